"""Robustness page: each model's accuracy on 1,000 test images rotated, shifted, scaled, thinner or thicker,
distorted or noisy, at several strengths; a click on a point shows the images that flip there."""

from __future__ import annotations

import html
from functools import partial

import numpy as np
import streamlit as st

from core.analysis import robustness
from core.analysis.robustness import CLEAN, PERTURBATIONS
from dashboard import cache
from dashboard.components import clickable
from dashboard.render import markup, palette, svg
from dashboard.sections import image_dialog, layout

PICK, PAGE = "robustness_pick", "robustness_page"
PER_PAGE = 24
COLUMNS = 3

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
st.title("Robustness")
measured = [name for name in names if cache.robustness_of(loaded, name) is not None]
if not measured:
    st.info("None of the chosen models was measured under perturbations (a set built before this page, or "
            f"imported predictions only). A rebuild adds it without retraining: {layout.core_command(loaded, 'build')}")
    st.stop()
listed = robustness.conditions()
first = cache.robustness_of(loaded, measured[0])
st.caption(f"How each model copes with how digits are written: {len(first.rows):,} test images (stratified by "
           f"digit, the same for every model) under {len(listed) - 1} seeded perturbations, each read by the model's "
           "own pipeline from raw pixels. Lengths are in pixels of a 28×28 MNIST digit. Click a point for the images "
           "the model read right before and wrong at that strength.")
unmeasured = [loaded.title(name) for name in names if name not in measured]
if unmeasured:
    st.caption(f"Not measured (no model file to run, or built before this page): {', '.join(unmeasured)}.")

summary = cache.robustness_summary(loaded, tuple(measured))
headers = {CLEAN: "clean", **{kind: " / ".join(p.describe(s) for s in p.extremes) for kind, p in PERTURBATIONS.items()},
           "worst_drop": "worst drop"}
shown = summary.rename(columns=headers)
shown.insert(0, "model", [loaded.title(name) for name in summary.index])
st.dataframe(shown, hide_index=True, height="content",
             column_config={h: st.column_config.NumberColumn(h, format="percent") for h in headers.values()})
st.caption(f"Accuracy on the subset clean and at each perturbation's strongest setting; worst drop: the largest fall "
           f"from clean over all {len(listed) - 1} settings. With {len(first.rows):,} images a 95% interval is about "
           "±1 point near 97% accuracy (the point's tooltip gives each interval).")
colours = {name: palette.PALETTE[i % len(palette.PALETTE)] for i, name in enumerate(measured)}


def _pick(cell: int) -> None:
    """A point was clicked: keep its model and condition (a cell is model position × conditions + condition)."""
    position, index = divmod(int(cell), len(listed))
    if 0 <= position < len(measured) and 0 < index < len(listed):
        st.session_state[PICK] = (measured[position], index)
        st.session_state[PAGE] = 1


def _charts_html(selected: int | None) -> str:
    tables = {name: cache.robustness_of(loaded, name).table() for name in measured}
    low = min(float(t["accuracy"].min()) for t in tables.values())
    y_range = (np.floor(low * 10) / 10 if low < 1 else 0.9, 1.0)
    charts = []
    for kind, perturbation in PERTURBATIONS.items():
        xs = sorted([perturbation.identity, *perturbation.strengths])
        lines, marks = [], []
        for position, (name, table) in enumerate(tables.items()):
            part = table[table["kind"] == kind]
            by_strength = {perturbation.identity: float(table["accuracy"][0]),
                           **dict(zip(part["strength"], part["accuracy"]))}
            lines.append(svg.Line(np.array(xs), np.array([by_strength[x] for x in xs]), colours[name]))
            marks += [svg.Mark(row.strength, row.accuracy, colours[name], position * len(listed) + int(index),
                               f"{loaded.title(name)}, {perturbation.describe(row.strength)}: {row.accuracy:.1%} "
                               f"[{row.low:.1%}, {row.high:.1%}], {row.flipped} flipped")
                      for index, row in part.iterrows()]
        charts.append(svg.marked_chart(lines, marks, title=kind, x_title=perturbation.title, y_title="accuracy",
                                       x_range=(xs[0], xs[-1]), y_range=y_range, selected=selected))
    legend = markup.swatches_html([(loaded.title(name), colours[name]) for name in measured])
    return legend + markup.grid_html(charts, columns=COLUMNS)


def _flipped_html(name: str, index: int) -> str:
    found = cache.robustness_of(loaded, name)
    kind, strength = str(found.kinds[index]), float(found.strengths[index])
    positions = found.flipped(index)
    right = found.predicted == found.y_true
    fixed = int((~right[0] & right[index]).sum())
    head = (f'<h4 style="margin:1rem 0 0.25rem">{html.escape(loaded.title(name))}, '
            f'{html.escape(PERTURBATIONS[kind].describe(strength))}: {positions.size:,} of {int(right[0].sum()):,} '
            f'images it read right are now wrong; {fixed:,} it read wrong are now right.</h4>')
    if not positions.size:
        return head
    page = image_dialog.page_number(PAGE)
    n_pages = -(-positions.size // PER_PAGE)
    page = min(max(page, 1), n_pages)
    shown = positions[(page - 1) * PER_PAGE:page * PER_PAGE]
    captions = [f"#{found.rows[p]} · <b>{html.escape(class_names[found.y_true[p]])}</b> → "
                f"<b>{html.escape(class_names[found.predicted[index, p]])}</b>" for p in shown]
    note = (f'<p style="font-size:0.875rem;color:#777;margin:0 0 0.25rem">The images as the model saw them; '
            f'true → its answer. Click one for the original image\'s story. Page {page} of {n_pages}.</p>')
    return head + note + markup.pager_html(page, n_pages) + markup.tiles_html(
        cache.condition_images(loaded, name, index, shown), captions,
        [f"test image {found.rows[p]} under {kind}" for p in shown], indexes=[int(found.rows[p]) for p in shown])


@st.fragment
def charts() -> None:
    """The small multiples and the flipped images of the picked point, one clickable element (reruns only this)."""
    pick = st.session_state.get(PICK)
    if not (isinstance(pick, tuple) and pick[0] in measured):
        pick = None
    selected = None if pick is None else measured.index(pick[0]) * len(listed) + pick[1]
    body = _charts_html(selected) + ("" if pick is None else _flipped_html(*pick))
    picked = clickable.clicked(body, key="robustness_charts", on_cell=_pick,
                               on_page=partial(image_dialog.set_page, PAGE))
    image_dialog.open_story(loaded, picked, model=None if pick is None else pick[0])


charts()
