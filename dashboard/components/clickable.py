"""Adapter around the clickable-HTML component: a block of HTML whose marked elements are clickable.

Galleries and matrices are HTML (one element, images at their own size); this
component shows such HTML in the page (no iframe, ``st.components.v2``) and
reports back to Python the element a user clicks, or activates with Enter or
Space: a ``data-index`` (a test row), a ``data-cell`` (a matrix cell) or a
``data-page`` (a pager button). One element can hold a matrix, a pager and a
gallery, so a click reruns a single element (``bench/browser.py``: each
element of a rerun costs the browser a React render). :func:`html_block` shows
HTML through the same component without listening: ``st.html`` sanitises its
markup in the browser first, which cost the Draw page's 15 KB answer ~15 ms
(``bench/browser.py``). Tests patch :func:`clicked` and :func:`html_block`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import streamlit as st

from dashboard import components

_COMPONENT = components.define("digit_lens_clickable", script="clickable.js", styles=("clickable.css",))


def clicked(html: str, *, key: str, on_click: Callable[[int], None] | None = None,
            on_cell: Callable[[int], None] | None = None,
            on_page: Callable[[int], None] | None = None) -> int | None:
    """Show ``html``; the ``data-index`` of the element clicked since the last run, else None.

    ``on_click(index)``, ``on_cell(cell)`` and ``on_page(page)`` run, for a click on a ``data-index``,
    ``data-cell`` or ``data-page`` element, before the rerun the click starts (as a widget's
    ``on_change`` does), so what the page builds in that rerun, this element included, already
    reflects the click.
    """
    result = _COMPONENT(data=html, key=key, on_picked_change=partial(_dispatch, key, "picked", on_click),
                        on_cell_change=partial(_dispatch, key, "cell", on_cell),
                        on_page_change=partial(_dispatch, key, "page", on_page))
    picked = result.get("picked")
    return int(picked) if isinstance(picked, (int, float)) else None


def _dispatch(key: str, event: str, handler: Callable[[int], None] | None) -> None:
    value = st.session_state.get(key)
    number = value.get(event) if isinstance(value, Mapping) else None
    if handler is not None and isinstance(number, (int, float)):
        handler(int(number))


def html_block(html: str, *, key: str) -> None:
    """Show ``html``, markup the dashboard built with every outside string escaped, as one element that the
    browser does not sanitise again (a click on a marked element is ignored)."""
    _COMPONENT(data=html, key=key)
