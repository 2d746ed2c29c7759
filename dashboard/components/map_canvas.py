"""Adapter around the Explore map component (``static/map_canvas.js``, ``st.components.v2``, no iframe).

The map draws every test image as a dot on a canvas with lasso, box, pan and
wheel zoom. Plotly's own selection costs the browser 110-150 ms on 10,000
WebGL points before Streamlit even hears of it and sends every selected point
back (40-50 KB); this component sends only the region (at most 100 vertices in
grid units) or, for a click, the row of the nearest dot. Coordinates travel
once per session and map, colours and sizes once per model and colouring; a selection
sends neither again. Tests patch
:func:`show` alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.analysis import map_selection
from dashboard import components

_COMPONENT = components.define("digit_lens_map", script="map_canvas.js", styles=("map_canvas.css",))
def show(*, key: str, map_id: str, coords: str | None, layer_id: str, colours: str | None, sizes: str | None,
         palette: list[str], legend: list[tuple[str, str]], region: dict | None, on_pick, side: int = 620) -> None:
    """Mount the map. ``coords`` (base64 uint16 pairs) may be None when this session already sent them for
    ``map_id``, and ``colours``/``sizes`` (base64 uint8) when it sent them for ``layer_id``; ``on_pick`` runs
    when the user finishes a region, clicks a dot, or the browser lacks an array (then read :func:`picked`
    and send everything again)."""
    _COMPONENT(key=key, data={"key": map_id, "coords": coords, "layer": layer_id, "colours": colours,
                              "sizes": sizes, "palette": palette, "legend": legend, "region": region, "side": side,
                              "grid": map_selection.GRID, "dot": map_selection.DOT},
               on_region_change=on_pick, on_point_change=on_pick, on_missing_change=on_pick)


def picked(key: str) -> dict:
    """What the map reported in the event being handled: ``region`` (dict), ``point`` (row) or ``missing``."""
    value = st.session_state.get(key)
    return dict(value) if isinstance(value, Mapping) else {}
