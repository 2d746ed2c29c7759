"""Layout helpers the pages share: the loaded artifacts, the model choice, image galleries."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from core import views
from dashboard import loader, state

GALLERY_PIXELS = 84


def artifacts() -> loader.Loaded:
    """The opened artifact set; the entry script only runs a page when there is one."""
    loaded = loader.status().loaded
    if loaded is None:
        st.info("No usable artifacts; open the app's start page to build them.")
        st.stop()
    return loaded


def chosen_models(loaded: loader.Loaded, *, at_least: int = 1) -> list[str]:
    """The sidebar's models; stops the page with a hint when fewer than ``at_least`` are picked."""
    names = state.selected_models(loaded.multiclass)
    if len(names) < at_least:
        st.info(f"Pick at least {at_least} model{'s' if at_least > 1 else ''} in the sidebar.")
        st.stop()
    return names


def enlarge(image: np.ndarray, *, pixels: int = GALLERY_PIXELS) -> np.ndarray:
    """A small greyscale image blown up by whole pixels (crisp, no smoothing) to about ``pixels`` wide."""
    factor = max(1, pixels // image.shape[1])
    return np.repeat(np.repeat(np.asarray(image, dtype=np.uint8), factor, axis=0), factor, axis=1)


def png_data_url(image: np.ndarray) -> str:
    """A greyscale image as an inline PNG ``data:`` URL (no media-file round trip)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def gallery(images: np.ndarray, captions: pd.DataFrame, *, columns: int = 6) -> None:
    """Images in a grid, each captioned from the columns ``index``, ``true``, ``predicted``, ``confidence``, ``top``.

    One HTML block with inline PNGs: a page of 18 images costs one element, not 54.
    """
    tiles = []
    for img, row in zip(images, captions.itertuples(index=False)):
        tiles.append(
            f'<figure style="margin:0"><img src="{png_data_url(enlarge(img))}" width="{GALLERY_PIXELS}" '
            f'height="{GALLERY_PIXELS}" alt="test image {row.index}">'
            f'<figcaption style="font-size:0.8rem;color:#555">#{row.index} · true <b>{html.escape(row.true)}</b>'
            f' → <b>{html.escape(row.predicted)}</b> ({html.escape(views.percent(row.confidence))})'
            f'<br>top-3: {html.escape(row.top)}'
            "</figcaption></figure>"
        )
    st.html(f'<div style="display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:12px">'
            f'{"".join(tiles)}</div>')
