"""Layout helpers the pages share: the loaded artifacts, the model choice, image galleries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

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
    return np.kron(np.asarray(image, dtype=np.uint8), np.ones((factor, factor), dtype=np.uint8))


def gallery(images: np.ndarray, captions: pd.DataFrame, *, columns: int = 6) -> None:
    """Images in a grid, each with the caption columns ``true``, ``predicted``, ``confidence``, ``top``."""
    for i, (img, row) in enumerate(zip(images, captions.itertuples(index=False))):
        if i % columns == 0:
            grid = st.columns(columns)
        with grid[i % columns]:
            st.image(enlarge(img), width=GALLERY_PIXELS)
            st.caption(f"#{row.index} · true **{row.true}** → **{row.predicted}** ({row.confidence:.0%})  \n"
                       f"top-3: {row.top}")
