"""Adapter around the one custom component: a block of HTML whose ``[data-index]`` elements are clickable.

Galleries are HTML (one element, images at their own size); this component
shows such HTML in the page (no iframe, ``st.components.v2``) and reports the
``data-index`` of the element a user clicks, or activates with Enter or
Space, back to Python. Tests patch :func:`clicked` alone.
"""

from __future__ import annotations

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


def clicked(html: str, *, key: str) -> int | None:
    """Show ``html``; the ``data-index`` of the element clicked since the last run, else None."""
    result = _COMPONENT(data=html, key=key, on_picked_change=lambda: None)
    picked = result.get("picked")
    return int(picked) if isinstance(picked, (int, float)) else None
