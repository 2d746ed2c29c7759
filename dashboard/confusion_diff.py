"""The A − B confusion matrix as one clickable HTML table, and the images behind a clicked cell.

A cell holds A's count minus B's. Blue cells are where A does better (fewer
confusions off the diagonal, more correct answers on it), orange where B does.
Clicking a cell shows the images only A puts there and those only B puts
there, through the Errors page's two-model galleries.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import streamlit as st

from core.analysis import compare, views
from dashboard import clickable, loader

BETTER_A, BETTER_B = (31, 119, 180), (255, 127, 14)


def _cell_style(value: int, *, diagonal: bool, top: int) -> str:
    if value == 0:
        return "background:#fafafa;color:#bbb"
    a_better = value > 0 if diagonal else value < 0
    r, g, b = BETTER_A if a_better else BETTER_B
    alpha = 0.15 + 0.75 * min(abs(value) / max(top, 1), 1.0)
    return f"background:rgba({r},{g},{b},{alpha:.2f});font-weight:{600 if abs(value) >= top / 2 else 400}"


def table_html(diff: np.ndarray, *, class_names, selected: tuple[int, int] | None) -> str:
    """The difference matrix as a table whose cells carry ``data-index`` ``true * n + predicted``."""
    n = len(class_names)
    top = int(np.abs(diff).max()) if diff.size else 0
    head = "".join(f'<th style="padding:2px 6px">{html.escape(c)}</th>' for c in class_names)
    rows = []
    for t in range(n):
        cells = []
        for p in range(n):
            value = int(diff[t, p])
            outline = ";outline:2px solid #333" if selected == (t, p) else ""
            cells.append(f'<td data-index="{t * n + p}" tabindex="0" role="button" title="true {class_names[t]}, '
                         f'predicted {class_names[p]}: A − B = {value:+d}" style="text-align:center;padding:2px 6px;'
                         f'{_cell_style(value, diagonal=t == p, top=top)}{outline}">{value:+d}</td>' if value
                         else f'<td data-index="{t * n + p}" tabindex="0" role="button" style="text-align:center;'
                              f'padding:2px 6px;{_cell_style(0, diagonal=t == p, top=top)}{outline}">·</td>')
        rows.append(f'<tr><th style="padding:2px 6px">{html.escape(class_names[t])}</th>{"".join(cells)}</tr>')
    return ('<table style="border-collapse:separate;border-spacing:2px;font-size:0.85rem">'
            f'<tr><th>true ↓ / predicted →</th>{head}</tr>{"".join(rows)}</table>')


def show(loaded: loader.Loaded, model: str, other: str, *, gallery: Callable) -> None:
    """The clickable A − B matrix of ``model`` (A) and ``other`` (B); a clicked cell opens its two galleries.

    ``gallery(rows, predictions, key=..., note=..., shown_model=...)`` draws a paged, clickable gallery.
    """
    pred_a, pred_b = loaded.predictions[model], loaded.predictions[other]
    class_names = list(loaded.data.class_names)
    n = len(class_names)
    diff = compare.confusion_difference(pred_a.y_true, pred_a.y_pred, pred_b.y_pred, n_classes=n)
    key = f"errors_diff_{model}_{other}"
    picked = clickable.clicked(table_html(diff, class_names=class_names, selected=st.session_state.get(key)),
                               key=f"{key}_table")
    if picked is not None and 0 <= picked < n * n:
        st.session_state[key] = divmod(int(picked), n)
    st.caption(f"A − B: A = {loaded.title(model)}, B = {loaded.title(other)}. Blue: A does better (fewer of "
               "these confusions, or more right on the diagonal); orange: B does. Click a cell for its images.")
    cell = st.session_state.get(key)
    if cell is None:
        return
    true, predicted = cell
    images = compare.cell_images(pred_a.y_true, pred_a.y_pred, pred_b.y_pred, true=true, predicted=predicted)
    st.markdown(f"**True {html.escape(class_names[true])} → predicted {html.escape(class_names[predicted])}**: "
                f"A − B = {int(diff[true, predicted]):+d} ({images.only_a.size} only A, {images.only_b.size} only B)")
    for rows, pred, name, who in ((images.only_a, pred_a, model, "A"), (images.only_b, pred_b, other, "B")):
        if rows.size == 0:
            st.caption(f"No image only {who} ({loaded.title(name)}) puts in this cell.")
            continue
        gallery(views.by_confidence(rows, loader.confidence(loaded, name)), pred,
                key=f"{key}_{true}_{predicted}_{who}", shown_model=name,
                note=f"Only {who} ({loaded.title(name)}) puts these {rows.size} here; captions show its answer.")
