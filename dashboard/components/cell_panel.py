"""Adapter around the Errors page's matrix panel (``static/cell_panel.js``, ``st.components.v2``, no iframe).

The panel shows a confusion matrix (``data-cell`` cells, see
:mod:`dashboard.render.matrix`) and the selected cell's gallery page beside it. With
the matrix the tab receives the first gallery page of the cells a reader is
likely to open (:func:`dashboard.cache.cell_pages`), and it keeps every page
it is sent, so a click on such a cell, or on a page it has seen, shows the
images at once, in the tab. Each click then tells Python the cell and page
(``select``: ``[cell, page, stamp]``), as a widget reports its value, so the
URL and the session follow; Python answers with only what the tab lacks. A
tile click reports its test row (``picked``). Tests patch :func:`show` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from dashboard import components
from dashboard.components import sent

_COMPONENT = components.define("digit_lens_cells", script="cell_panel.js", styles=("clickable.css", "cell_panel.css"))
#: Session-state key of what this session has sent: ``{view: {"cell:page", ...}, MATRICES: {matrix key, ...}}``.
SENT_KEY = "errors_sent"
#: The record's entry for the matrices (one per model, counts or shares, diagonal shown or not).
MATRICES = "matrices"
#: Characters of gallery markup sent ahead of clicks, once the tab shows a model's matrix (about 520 28x28
#: images with captions: the first page of every non-empty cell of the full-MNIST random forest, whose
#: correct cells 256 K left out).
AHEAD_CHARS = 384 * 1024
#: The item of a view's record that says its pages went ahead.
AHEAD = "ahead"


#: Between a cell and a page number in a page's key (sent in the payload, so the tab writes keys alike).
SEPARATOR = ":"


def page_key(cell: int, page: int) -> str:
    """The key of ``cell``'s gallery page ``page`` in a payload: ``"cell:page"``.

    Examples
    --------
    >>> page_key(53, 2)
    '53:2'
    """
    return f"{cell}{SEPARATOR}{page}"


def unsent(view: str, keys) -> list[str]:
    """Those page ``keys`` of ``view`` this session has not sent yet; they count as sent now."""
    return sent.unsent(SENT_KEY, view, keys)


def ahead_wanted(key: str, view: str) -> bool:
    """True, once per view, when the panel ``key`` asked for the pages sent ahead (it does so when idle after
    showing a view without them); they count as sent now."""
    value = st.session_state.get(key)
    asked = isinstance(value, Mapping) and value.get("ahead") is True
    return asked and bool(sent.unsent(SENT_KEY, view, [AHEAD]))


def holds_ahead(view: str) -> bool:
    """True once this session has sent ``view``'s pages ahead (see :func:`ahead_wanted`)."""
    return sent.has(SENT_KEY, view, AHEAD)


def matrix_unsent(matrix_key: str) -> bool:
    """True, once, for a matrix this session has not sent (it counts as sent now)."""
    return bool(sent.unsent(SENT_KEY, MATRICES, [matrix_key]))


def selection(key: str, *, n_cells: int) -> tuple[int, int, float] | None:
    """The ``(cell, page, stamp)`` the panel ``key`` last reported, None for none or nonsense."""
    value = st.session_state.get(key)
    reported = value.get("select") if isinstance(value, Mapping) else None
    if not (isinstance(reported, list) and len(reported) == 3):
        return None
    cell, page, stamp = reported
    if not (isinstance(cell, int) and 0 <= cell < n_cells and isinstance(page, int) and page >= 1
            and isinstance(stamp, (int, float))):
        return None
    return cell, page, float(stamp)


def show(*, key: str, view: str, matrix_key: str, matrix: str | None, pages: dict[str, str], ahead: bool,
         selected: int | None, page: int, answered: float, hint: str, on_select: Callable[[], None]) -> int | None:
    """Mount the panel of ``view`` (one model's cells); ``matrix`` (HTML, None once sent) is the matrix of
    ``matrix_key``, ``pages`` maps :func:`page_key` to gallery HTML the tab lacks; without ``ahead`` (the
    view's pages sent ahead) the tab asks for them when idle. The tab shows ``selected``
    (a ``data-cell`` number, or None for ``hint``) at ``page`` unless a later click of its own, stamped after
    ``answered`` (the stamp of the last click Python took), awaits its answer. ``on_select`` runs for a click
    before the rerun it starts (read it with :func:`selection`). Returns the test row of the tile clicked since
    the last run, else None."""
    data = {"view": view, "matrixKey": matrix_key, "matrix": matrix, "pages": pages, "ahead": ahead,
            "selected": selected, "page": page, "answered": answered, "hint": hint, "separator": SEPARATOR}
    result = _COMPONENT(key=key, data=data, on_select_change=on_select, on_picked_change=lambda: None,
                        on_ahead_change=lambda: None,
                        on_missing_change=lambda: _forget(view, matrix_key))
    row = result.get("picked")
    return int(row) if isinstance(row, (int, float)) else None


def _forget(view: str, matrix_key: str) -> None:
    """The tab lacks the matrix or the page it was told to show: send the view again."""
    sent.forget(SENT_KEY, view)
    sent.forget(SENT_KEY, MATRICES, [matrix_key])
