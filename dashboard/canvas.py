"""Adapter around the drawing canvas (``static/draw_canvas.js``, ``st.components.v2``, no iframe).

The canvas sends the whole drawing as one PNG data URL the moment a stroke
ends (streamlit-drawable-canvas waited 200 ms after every stroke before
sending); Undo and Clear live in the component, so clearing needs no new key. The rest of
the dashboard only sees an RGBA array (or ``None``), so tests patch
:func:`draw_digit` alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from core.analysis.views import digit_row
from core.data.pictures import ImageError, drawing_to_rgba
from dashboard import components

CANVAS_PIXELS = 280
STROKE_WIDTH = 20
_CSS = """
.dl-draw canvas { display: block; border-radius: 6px; touch-action: none; cursor: crosshair; max-width: 100%; }
.dl-draw-tools { display: flex; gap: 6px; margin-top: 6px; }
.dl-draw-tools button { font: inherit; padding: 2px 12px; border: 1px solid #ccc; border-radius: 6px;
  background: #fff; cursor: pointer; }
.dl-draw-tools button:hover, .dl-draw-tools button:focus-visible { border-color: var(--st-primary-color);
  color: var(--st-primary-color); }
"""
_COMPONENT = components.define("digit_lens_draw", script="draw_canvas.js", css=_CSS)


def draw_digit(key: str, *, size: int = CANVAS_PIXELS) -> np.ndarray | None:
    """Show a square drawing canvas (white ink on black, like MNIST) with Undo and Clear.

    Parameters
    ----------
    key : str
        Widget key; the drawing lives under it for the session.
    size : int
        Canvas side in pixels.

    Returns
    -------
    numpy.ndarray or None
        ``(size, size, 4)`` uint8 RGBA image, or ``None`` while nothing is drawn.

    Raises
    ------
    core.data.pictures.ImageError
        When what arrived is not the canvas's PNG (the message says to draw again).
    """
    previous = st.session_state.get(key)
    drawn = isinstance(previous, Mapping) and previous.get("image") is not None
    result = _COMPONENT(key=key, data={"key": key, "size": size, "stroke": STROKE_WIDTH, "drawn": drawn},
                        default={"image": None}, on_image_change=lambda: None)
    image = result.get("image")
    return None if image is None else drawing_to_rgba(image)


def drawn_row(key: str, *, image_shape: tuple[int, int]) -> np.ndarray | None:
    """Show the canvas and return the drawing as one model input row for ``image_shape`` (see
    :func:`core.analysis.views.digit_row`), or None while nothing is drawn; a damaged drawing is
    reported in the page in one line."""
    try:
        rgba = draw_digit(key)
    except ImageError as exc:
        st.error(str(exc))
        return None
    return None if rgba is None else digit_row(rgba, image_shape=image_shape)
