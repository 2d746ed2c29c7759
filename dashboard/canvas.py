"""Adapter around streamlit-drawable-canvas: one call draws, one call clears.

The rest of the dashboard only sees an RGBA array (or ``None``), so a change
of canvas component touches this module alone.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

CANVAS_PIXELS = 280
STROKE_WIDTH = 20


def _generation_key(key: str) -> str:
    return f"{key}_generation"


def draw_digit(key: str, *, size: int = CANVAS_PIXELS) -> np.ndarray | None:
    """Show a square drawing canvas and return what is drawn on it.

    White ink on a black background, like MNIST.

    Parameters
    ----------
    key : str
        Widget key; `clear_canvas` with the same key empties the canvas.
    size : int
        Canvas side in screen pixels.

    Returns
    -------
    numpy.ndarray or None
        ``(size, size, 4)`` uint8 RGBA image, or ``None`` before the
        component has sent a drawing.
    """
    generation = st.session_state.setdefault(_generation_key(key), 0)
    result = st_canvas(
        stroke_width=STROKE_WIDTH,
        stroke_color="#ffffff",
        background_color="#000000",
        height=size,
        width=size,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"{key}_{generation}",
    )
    image = result.image_data
    if image is None:
        return None
    return np.asarray(image, dtype=np.uint8)


def clear_canvas(key: str) -> None:
    """Empty the canvas drawn by ``draw_digit(key)`` on the next rerun.

    The component keeps its drawing per widget key, so clearing means
    mounting a fresh component under a new key.
    """
    st.session_state[_generation_key(key)] = st.session_state.get(_generation_key(key), 0) + 1
