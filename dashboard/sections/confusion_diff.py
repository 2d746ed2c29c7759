"""The A − B confusion matrix as one clickable HTML table, and the images behind a clicked cell.

A cell holds A's count minus B's. Blue cells are where A does better (fewer
confusions off the diagonal, more correct answers on it), orange where B does.
Clicking a cell shows the images only A puts there and those only B puts
there, through the Errors page's two-model galleries.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial

import numpy as np
import streamlit as st

from core.analysis import compare
from core.analysis.gallery import by_confidence
from dashboard import cache
from dashboard.components import clickable
from dashboard.render import matrix

BETTER_A, BETTER_B = (31, 119, 180), (255, 127, 14)


def _cell_style(value: int, *, diagonal: bool, top: int) -> str:
    if value == 0:
        return "background:#fafafa;color:#bbb"
    a_better = value > 0 if diagonal else value < 0
    r, g, b = BETTER_A if a_better else BETTER_B
    alpha = 0.15 + 0.75 * min(abs(value) / max(top, 1), 1.0)
    return f"background:rgba({r},{g},{b},{alpha:.2f});font-weight:{600 if abs(value) >= top / 2 else 400}"


def table_html(diff: np.ndarray, *, class_names, selected: tuple[int, int] | None) -> str:
    """The difference matrix as a clickable table whose cells carry ``data-index`` ``true * n + predicted``."""
    n = len(class_names)
    top = int(np.abs(diff).max()) if diff.size else 0
    names = [str(c) for c in class_names]
    text = [[f"{int(diff[t, p]):+d}" if diff[t, p] else "·" for p in range(n)] for t in range(n)]
    styles = [[_cell_style(int(diff[t, p]), diagonal=t == p, top=top) for p in range(n)] for t in range(n)]
    titles = [[f"true {names[t]}, predicted {names[p]}: A − B = {int(diff[t, p]):+d}" for p in range(n)]
              for t in range(n)]
    return matrix.table_html(text, styles, titles, class_names=names, selected=selected,
                             corner="true ↓ pred. →")


def _pick(key: str, n: int, index: int) -> None:
    if (cell := matrix.cell_at(index, n)) is not None:
        st.session_state[key] = cell


def show(loaded: cache.Loaded, model: str, other: str, *, gallery: Callable) -> None:
    """The clickable A − B matrix of ``model`` (A) and ``other`` (B); a clicked cell opens its two galleries.

    ``gallery(rows, predictions, key=..., note=..., shown_model=...)`` draws a paged, clickable gallery.
    """
    pred_a, pred_b = loaded.predictions[model], loaded.predictions[other]
    class_names = list(loaded.data.class_names)
    n = len(class_names)
    diff = compare.confusion_difference(pred_a.y_true, pred_a.y_pred, pred_b.y_pred, n_classes=n)
    key = f"errors_diff_{model}_{other}"
    clickable.clicked(table_html(diff, class_names=class_names, selected=st.session_state.get(key)),
                      key=f"{key}_table", on_cell=partial(_pick, key, n))
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
        gallery(by_confidence(rows, cache.confidence(loaded, name)), pred,
                key=f"{key}_{true}_{predicted}_{who}", shown_model=name,
                note=f"Only {who} ({loaded.title(name)}) puts these {rows.size} here; captions show its answer.")
