"""Adapter around the drawing canvas (``static/draw_canvas.js``, ``st.components.v2``, no iframe).

The canvas sends the whole drawing as one PNG data URL the moment a stroke
ends (streamlit-drawable-canvas waited 200 ms after every stroke before
sending); Undo and Clear live in the component, so clearing needs no new key. The
drawing is in the session before the canvas is shown (:func:`drawing`), so the
Draw page shows its answer inside the canvas's own element (:func:`show`):
a stroke's rerun sends that one element, and the browser has nothing else to
draw while the models answer. The rest of the dashboard only sees an RGBA
array (or ``None``) and HTML, so tests patch :func:`drawing` and :func:`show`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from core.analysis.answers import digit_row
from core.data.pictures import ImageError, drawing_to_rgba
from dashboard import components

CANVAS_PIXELS = 280
STROKE_WIDTH = 20
_COMPONENT = components.define("digit_lens_draw", script="draw_canvas.js", styles=("draw_canvas.css",))


def drawing(key: str) -> np.ndarray | None:
    """The drawing the canvas ``key`` last sent, as an ``(h, w, 4)`` uint8 RGBA array, or ``None`` while nothing
    is drawn. It is in the session before the canvas is shown, so a page can draw the answer beside it in the
    same element (:func:`show`).

    Raises
    ------
    core.data.pictures.ImageError
        When what arrived is not the canvas's PNG (the message says to draw again).
    """
    image = _sent_image(key)
    return None if image is None else drawing_to_rgba(image)


def show(key: str, *, caption: str = "", beside: str | None = None, size: int = CANVAS_PIXELS) -> None:
    """Show a square drawing canvas (white ink on black, like MNIST) with Undo and Clear, ``caption`` above it
    and, to its right, ``beside``: HTML the dashboard built with every outside string escaped (the answer to
    the drawing). One element, so a stroke's rerun sends one element back.
    """
    data = {"key": key, "size": size, "stroke": STROKE_WIDTH, "drawn": _sent_image(key) is not None,
            "caption": caption, "beside": beside}
    _COMPONENT(key=key, data=data, default={"image": None}, on_image_change=lambda: None)


def _sent_image(key: str) -> str | None:
    """The PNG data URL the canvas ``key`` last sent (the canvas resends one the session lacks), or None."""
    sent = st.session_state.get(key)
    return sent.get("image") if isinstance(sent, Mapping) else None


def drawn_row(key: str, *, image_shape: tuple[int, int]) -> np.ndarray | None:
    """Show the canvas and return the drawing as one model input row for ``image_shape`` (see
    :func:`core.analysis.answers.digit_row`), or None while nothing is drawn; a damaged drawing is
    reported in the page in one line."""
    show(key)
    try:
        rgba = drawing(key)
    except ImageError as exc:
        st.error(str(exc))
        return None
    return None if rgba is None else digit_row(rgba, image_shape=image_shape)
