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

import numpy as np
import streamlit as st
from plotly.colors import sample_colorscale

from dashboard import components
from dashboard.charts import LOSS, PALETTE

_CSS = """
.dl-map { font-size: 0.8rem; }
.dl-tools { display: flex; gap: 4px; margin-bottom: 4px; }
.dl-tools button { font: inherit; padding: 2px 10px; border: 1px solid #ccc; border-radius: 6px;
  background: #fff; cursor: pointer; }
.dl-tools button[aria-pressed="true"] { border-color: var(--st-primary-color); color: var(--st-primary-color); }
.dl-stage { position: relative; }
.dl-stage canvas { display: block; }
.dl-overlay { position: absolute; left: 0; top: 0; cursor: crosshair; touch-action: none; }
.dl-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 4px; }
.dl-legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
"""
_COMPONENT = components.define("digit_lens_map", script="map_canvas.js", css=_CSS)
#: Grey for a right answer.
RIGHT = "#b8b8b8"


def palette(by: str, class_names) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour of every colour value of :func:`core.analysis.map_selection.colour_values` and the legend entries for ``by``."""
    if by in ("true", "predicted"):
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(class_names))]
        return colours, [(str(name), colour) for name, colour in zip(class_names, colours)]
    if by == "outcome":
        return [RIGHT, LOSS], [("right", RIGHT), ("wrong (drawn larger)", LOSS)]
    colours = sample_colorscale("Viridis", list(np.linspace(0, 1, 101)))
    return colours, [(f"confidence {p}%", colours[p]) for p in (0, 25, 50, 75, 100)]


def show(*, key: str, map_id: str, coords: str | None, layer_id: str, colours: str | None, sizes: str | None,
         palette: list[str], legend: list[tuple[str, str]], region: dict | None, on_pick, side: int = 620) -> None:
    """Mount the map. ``coords`` (base64 uint16 pairs) may be None when this session already sent them for
    ``map_id``, and ``colours``/``sizes`` (base64 uint8) when it sent them for ``layer_id``; ``on_pick`` runs
    when the user finishes a region, clicks a dot, or the browser lacks an array (then read :func:`picked`
    and send everything again)."""
    _COMPONENT(key=key, data={"key": map_id, "coords": coords, "layer": layer_id, "colours": colours,
                              "sizes": sizes, "palette": palette, "legend": legend, "region": region, "side": side},
               on_region_change=on_pick, on_point_change=on_pick, on_missing_change=on_pick)


def picked(key: str) -> dict:
    """What the map reported in the event being handled: ``region`` (dict), ``point`` (row) or ``missing``."""
    value = st.session_state.get(key)
    return dict(value) if isinstance(value, Mapping) else {}
