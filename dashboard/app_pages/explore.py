"""Explore page: every test image on a 2-D map; a box or lasso shows the images inside, mistakes first."""

from __future__ import annotations

import html
import zlib

import numpy as np
import streamlit as st

from core.analysis import map_selection
from core.artifacts import ArtifactError
from dashboard import cache, session
from dashboard.components import clickable, map_canvas
from dashboard.render import palette
from dashboard.sections import image_dialog, layout

PER_PAGE = 18
MAP_KEY = "explore_map"
#: The map (fingerprint) and the layers (model and colouring) whose arrays this session's browser holds.
SENT_KEY = "explore_coords_sent"
LAYERS_KEY = "explore_layers_sent"

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
try:
    data = cache.explore_data(loaded)
except ArtifactError as exc:
    st.title("Explore")
    st.info(f"{exc} It adds the map and the neighbour index: {layout.core_command(loaded, 'build')}")
    st.stop()

model = layout.focus_model(loaded, names)
colour = session.url_value("colour", session_key="explore_colour", valid=lambda v: v in map_selection.COLOUR_BY,
                         default="outcome")
pred = loaded.predictions[model]


def _on_colour() -> None:
    picked = st.session_state["explore_colour_pick"]
    if picked is not None:
        session.set_url_value("colour", picked, session_key="explore_colour")


def _set_region(region: map_selection.Region | None) -> None:
    session.set_url_value("region", None if region is None else region.url(), session_key="explore_region")


def _on_pick() -> None:
    """A finished lasso or box becomes the region in the URL; a click on a dot opens that image."""
    picked = map_canvas.picked(MAP_KEY)
    if picked.get("missing") is not None:
        st.session_state.pop(SENT_KEY, None)
        st.session_state.pop(LAYERS_KEY, None)
    region = map_selection.region_from_browser(picked.get("region"))
    if region is not None:
        _set_region(region)
    point = picked.get("point")
    if isinstance(point, int) and 0 <= point < len(pred.y_true):
        st.session_state["explore_point"] = point


st.title("Explore")
entry = data.entry
st.caption(f"Each point is one of the {len(pred.y_true):,} test images, placed by {entry['method']} from "
           f"{entry['feature_space']} ({entry['dims']} dimensions), so images the strong models see alike sit "
           f"together; trustworthiness {entry['trustworthiness']:.3f} (k = {entry['trust_k']}, "
           f"{entry['trust_points']:,} points). Draw a lasso or a box to see the images inside; click a dot "
           "for its story.")
st.session_state["explore_colour_pick"] = colour
top = st.columns([2, 3])
layout.model_select(loaded, names, model, key="explore_model_pick", where=top[0])
top[1].segmented_control("Colour by", list(map_selection.COLOUR_BY), format_func=map_selection.COLOUR_BY.get,
                         key="explore_colour_pick", on_change=_on_colour)


def _summary_html(rows: np.ndarray) -> str:
    counts = map_selection.selection_counts(rows, y_true=pred.y_true, y_pred=pred.y_pred, class_names=class_names)
    true, predicted, images, mistake = (counts[c].to_numpy() for c in ("true", "predicted", "images", "mistake"))
    wrong = int(images[mistake].sum())
    lines = "".join(f'<tr style="color:{palette.MISTAKE if m else "#333"}"><td>{html.escape(t)} → {html.escape(p)}</td>'
                    f'<td style="text-align:right">{n:,}</td></tr>'
                    for t, p, n, m in zip(true[:12], predicted[:12], images[:12], mistake[:12]))
    more = f"<p>… and {len(counts) - 12} more pairs</p>" if len(counts) > 12 else ""
    return (f"<p><b>{rows.size:,} images selected</b>, {wrong:,} mistakes "
            f"({wrong / max(rows.size, 1):.1%}) by {html.escape(loaded.title(model))}</p>"
            f'<table style="font-size:0.85rem"><tr><th>true → predicted</th><th>images</th></tr>{lines}</table>'
            f"{more}")


@st.fragment
def selection_gallery(rows: np.ndarray, region_key: str) -> None:
    """The selected images, mistakes first and most confident first, paged (a page change reruns only this)."""
    ordered = map_selection.gallery_order(rows, y_true=pred.y_true, y_pred=pred.y_pred,
                                    confidence=cache.confidence(loaded, model))
    image_dialog.paged_gallery(loaded, ordered, pred, model=model, key="explore_gallery", tiles_key="explore_tiles",
                         page_key=f"explore_page_{region_key}", per_page=PER_PAGE,
                         note="Mistakes first, most confident first. Click an image for its whole story.")


@st.fragment
def map_and_selection() -> None:
    """The map; a selection on it reruns this fragment: the summary and the gallery of the region."""
    region = map_selection.parse_region(session.url_value(
        "region", session_key="explore_region", valid=lambda v: map_selection.parse_region(v) is not None,
        default=None))
    layer = cache.map_layer(loaded, model, colour)
    colours, legend = palette.map_palette(colour, class_names)
    map_id = loaded.fingerprint[:16]
    left, right = st.columns([3, 2])
    with left:
        layer_id = f"{map_id}/{model}/{colour}"
        sent = st.session_state.setdefault(LAYERS_KEY, [])
        fresh = layer_id not in sent
        map_canvas.show(key=MAP_KEY, map_id=map_id,
                        coords=None if st.session_state.get(SENT_KEY) == map_id else cache.map_coords(loaded),
                        layer_id=layer_id, colours=layer.colours if fresh else None,
                        sizes=layer.sizes if fresh else None, palette=colours, legend=legend,
                        region=None if region is None else {"kind": region.kind, "points": list(region.points)},
                        on_pick=_on_pick)
        st.session_state[SENT_KEY] = map_id
        if fresh:
            sent.append(layer_id)
    with right:
        if region is None:
            st.info("Draw a lasso or a box on the map to see the images inside (wheel to zoom, Pan to move).")
        else:
            rows = map_selection.select_region(data.grid, region)
            clickable.html_block(_summary_html(rows), key="explore_summary")
            st.button("Clear the selection", key="explore_clear", on_click=_set_region, args=(None,))
    point = st.session_state.pop("explore_point", None)
    if point is not None:
        image_dialog.request(loaded, point, model=model)
    if region is not None:
        if rows.size:
            selection_gallery(rows, f"{zlib.crc32(region.url().encode()):08x}")
        else:
            st.info("No image lies inside this region.")


map_and_selection()
