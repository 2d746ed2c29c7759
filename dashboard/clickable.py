"""Adapter around the one custom component: a block of HTML whose ``[data-index]`` elements are clickable.

Galleries are HTML (one element, images at their own size); this component
shows such HTML in the page (no iframe, ``st.components.v2``) and reports the
``data-index`` of the element a user clicks, or activates with Enter or
Space, back to Python. Tests patch :func:`clicked` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import streamlit as st

_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector("div.dl-clickable");
  if (!root) {
    root = document.createElement("div");
    root.className = "dl-clickable";
    parentElement.appendChild(root);
  }
  root.innerHTML = data;
  const pick = (event) => {
    const target = event.target.closest("[data-index]");
    if (target) setTriggerValue("picked", Number(target.dataset.index));
  };
  root.onclick = pick;
  root.onkeydown = (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(event); }
  };
}
"""
_CSS = """
[data-index] { cursor: pointer; border-radius: 4px; }
[data-index]:hover, [data-index]:focus-visible { outline: 2px solid var(--st-primary-color); }
"""
_COMPONENT = st.components.v2.component("digit_lens_clickable", js=_JS, css=_CSS)


def clicked(html: str, *, key: str, on_click: Callable[[int], None] | None = None) -> int | None:
    """Show ``html``; the ``data-index`` of the element clicked since the last run, else None.

    ``on_click(index)`` runs before the rerun a click starts (as a widget's ``on_change`` does), so
    what the page builds in that rerun, this element included, already reflects the click.
    """
    result = _COMPONENT(data=html, key=key, on_picked_change=partial(_dispatch, key, on_click))
    picked = result.get("picked")
    return int(picked) if isinstance(picked, (int, float)) else None


def _dispatch(key: str, on_click: Callable[[int], None] | None) -> None:
    value = st.session_state.get(key)
    picked = value.get("picked") if isinstance(value, Mapping) else None
    if on_click is not None and isinstance(picked, (int, float)):
        on_click(int(picked))
