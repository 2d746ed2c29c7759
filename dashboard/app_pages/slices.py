"""Slices page: which kinds of digits a model fails on, as rules over image properties, and their images."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import map_selection, slices
from core.artifacts import ArtifactError
from core.analysis.intervals import THIN
from core.data.properties import PROPERTIES
from dashboard import cache
from dashboard.components import clickable
from dashboard.render import markup, palette, svg
from dashboard.sections import image_dialog, layout

PER_PAGE = 18
CHARTS_PER_ROW = 2
SELECTED = ' style="outline:2px solid #333"'

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
st.title("Slices")
try:
    props = cache.image_properties(loaded)
except ArtifactError as exc:
    st.info(f"{exc} It adds the image properties: {layout.core_command(loaded, 'build')}")
    st.stop()

model = layout.focus_model(loaded, names)
pred = loaded.predictions[model]


layout.model_select(loaded, names, model, key="slices_model_pick")
report = cache.error_slices(loaded, model)
st.caption(f"{loaded.title(model)} errs on {report.n_errors:,} of {report.n_images:,} test images "
           f"({report.overall_rate:.2%}). Shallow decision trees over the image properties (overall and per true "
           f"digit) find the slices below, where it errs at least {slices.MIN_LIFT:g}× as often; most errors "
           "beyond the overall rate first. Click a slice for its images.")


def _table_html(found: tuple[slices.Slice, ...], selected: int | None) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("slice", "images", "errors", "error rate", "lift", "share of errors"))
    rows = "".join(
        f'<tr data-index="{i}" tabindex="0" role="button"{SELECTED if i == selected else ""}>'
        f"<td>{html.escape(s.describe())}</td><td>{s.size:,}</td><td>{s.errors:,}</td><td>{s.rate_text}</td>"
        f"<td>{s.lift:.1f}×</td><td>{s.share_of_errors:.1%}</td></tr>" for i, s in enumerate(found))
    return f'<table style="font-size:0.85rem;width:100%"><tr>{head}</tr>{rows}</table>'


@st.fragment
def slice_table() -> None:
    """The slices as a clickable table; a click shows the slice's images (reruns only this)."""
    if not report.slices:
        st.info("No slice where this model errs far more often than overall.")
        return
    key = f"slices_pick_{model}"
    picked = clickable.clicked(_table_html(report.slices, st.session_state.get(key)), key=f"slices_table_{model}")
    if picked is not None and 0 <= picked < len(report.slices):
        st.session_state[key] = int(picked)
    chosen = st.session_state.get(key)
    if chosen is None:
        return
    found = report.slices[chosen]
    rows = np.flatnonzero(found.select(slices.with_truth(props, pred.y_true)))
    ordered = map_selection.gallery_order(rows, y_true=pred.y_true, y_pred=pred.y_pred,
                                    confidence=cache.confidence(loaded, model))
    st.subheader(f"{found.describe()}: {rows.size:,} images, {found.errors:,} wrong")
    image_dialog.paged_gallery(loaded, ordered, pred, model=model, key="slices_gallery", tiles_key="slices_tiles",
                         page_key=f"slices_page_{model}_{chosen}", per_page=PER_PAGE,
                         note="Mistakes first, most confident first. Click an image for its whole story.")


slice_table()
st.subheader("Error rate against each property")
bins = cache.error_bins(loaded, model)
flat = [PROPERTIES[name][0] for name, table in bins.items() if len(table) < 2]
bins = {name: table for name, table in bins.items() if len(table) >= 2}
charts = [svg.bars(list(table["bin"]), {"error rate %": table["error_rate"].to_numpy() * 100},
                   colours=[palette.MISTAKE],
                   title=f"{PROPERTIES[name][0]} ({table['images'].min():,}-{table['images'].max():,} images a bin)",
                   y_title="error rate %", fmt=".1f",
                   ranges={"error rate %": (table["low"].to_numpy() * 100, table["high"].to_numpy() * 100)},
                   faint=table["thin"].to_numpy())
          for name, table in bins.items()]
alts = [f"error rate against {PROPERTIES[name][0]}" for name in bins]
st.caption(f"Whiskers: 95% Wilson intervals; pale bars are thin bins (under {THIN} images)."
           + (f" Not drawn, the same for every test image: {', '.join(flat)}." if flat else ""))
for start in range(0, len(charts), CHARTS_PER_ROW):
    st.html(markup.svg_row_html(charts[start:start + CHARTS_PER_ROW], alts=alts[start:start + CHARTS_PER_ROW]))
