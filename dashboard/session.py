"""Session and URL state shared by the entry script and the pages.

Shared keys (set with ``setdefault`` in the entry script): ``models``, the
multiclass models picked in the sidebar, and ``focus_model``, the model the
user picked last on any page. Page-only keys start with the page
name (``errors_``, ``thresholds_``...). Values that belong in a link live in
``st.query_params`` and are mirrored into the session so they survive a page
switch (which clears the URL's query string).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import streamlit as st

MODELS = "models"
#: The model the user picked last on any page: every page's model picker opens on it (see
#: :func:`dashboard.sections.layout.focus_model`).
FOCUS = "focus_model"
#: A confusion cell in a URL: two short ASCII numbers (str.isdigit accepts '²', and int() refuses
#: numbers of more than 4,300 digits, so an edited URL could raise).
CELL = re.compile(r"([0-9]{1,4})-([0-9]{1,4})")


def selected_models(available: Sequence[str]) -> list[str]:
    """The sidebar's model choice, limited to ``available`` and in its order."""
    chosen = set(st.session_state.get(MODELS, []))
    return [name for name in available if name in chosen]


def url_value(name: str, *, session_key: str, valid: Callable[[str], bool], default: str | None) -> str | None:
    """Resolve a linkable value: the URL if valid, else the session copy, else ``default``.

    The result is written back to both, so the URL always shows the view.
    """
    for candidate in (st.query_params.get(name), st.session_state.get(session_key)):
        if candidate is not None and valid(candidate):
            value = candidate
            break
    else:
        value = default
    set_url_value(name, value, session_key=session_key)
    return value


def set_url_value(name: str, value: str | None, *, session_key: str) -> None:
    """Store a linkable value in the URL and the session; ``None`` removes it."""
    st.session_state[session_key] = value
    if value is None:
        st.query_params.pop(name, None)
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def format_cell(true: int, predicted: int) -> str:
    """URL form of a confusion cell: ``"3-5"`` is true 3, predicted 5."""
    return f"{true}-{predicted}"


def parse_cell(text: str | None, n_classes: int) -> tuple[int, int] | None:
    """Inverse of :func:`format_cell`; None for anything that is not a cell of an ``n_classes`` matrix."""
    match = CELL.fullmatch(text or "")
    if match is None:
        return None
    true, predicted = int(match[1]), int(match[2])
    return (true, predicted) if true < n_classes and predicted < n_classes else None
