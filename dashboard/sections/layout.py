"""Layout helpers the pages share: the loaded artifacts, the model choice, image galleries."""

from __future__ import annotations

import html
import shlex

import numpy as np
import pandas as pd
import streamlit as st

from core.data import pictures
from core.artifacts import ArtifactError, python_command
from dashboard import cache, session
from dashboard.render import markup, palette


def artifacts() -> cache.Loaded:
    """The opened artifact set; the entry script only runs a page when there is one."""
    loaded = cache.status().loaded
    if loaded is None:
        st.info("No usable artifacts; open the app's start page to build them.")
        st.stop()
    return loaded


def chosen_models(loaded: cache.Loaded, *, at_least: int = 1) -> list[str]:
    """The sidebar's models; stops the page with a hint when fewer than ``at_least`` are picked."""
    names = session.selected_models(loaded.multiclass)
    if len(names) < at_least:
        st.info(f"Pick at least {at_least} model{'s' if at_least > 1 else ''} in the sidebar.")
        st.stop()
    return names


def focus_model(loaded: cache.Loaded, names: list[str]) -> str:
    """The model a page shows of ``names``: the link's ``?model=``, else the one the user picked last on any page,
    else the most accurate multiclass model (a one-digit detector's accuracy is not comparable); written back to
    the URL and the session."""
    multiclass = [name for name in names if name in loaded.multiclass]
    return session.url_value("model", session_key=session.FOCUS, valid=lambda v: v in names,
                             default=loaded.strongest(multiclass or names))


def model_select(loaded: cache.Loaded, names: list[str], model: str, *, key: str, where=st) -> None:
    """The page's model picker (key ``key``, in ``where``) showing ``model``; a pick becomes the focus model of
    every page (:func:`focus_model`)."""
    st.session_state[key] = model
    where.selectbox("Model", names, key=key, format_func=loaded.title, on_change=_focus, args=(key,))


def _focus(key: str) -> None:
    session.set_url_value("model", st.session_state[key], session_key=session.FOCUS)


def loadable_models(loaded: cache.Loaded, names) -> dict:
    """The fitted models of ``names`` that can be loaded, with a warning for each one that cannot."""
    models = {}
    for name in names:
        try:
            models[name] = cache.model(loaded, name)
        except ArtifactError as exc:
            st.warning(f"{loaded.title(name)} cannot be used here: {exc}")
    return models


def core_command(loaded: cache.Loaded, command: str, *args: str) -> str:
    """A ``python -m core`` command for the artifact set on show, as inline code: the interpreter that runs
    the app, the set's dataset (a folder to fill in for ``idx``) and its folder, so it adds to this set."""
    dataset = loaded.artifacts.dataset["name"]
    parts = [command, "--dataset", dataset, *(["--data-dir", "DIR"] if dataset == "idx" else []),
             "--artifacts", str(loaded.artifacts.root), *args]
    return f"`{python_command()} -m core {shlex.join(parts)}`"


def picture(image: np.ndarray, *, alt: str, width: int) -> None:
    """One image (greyscale or RGB uint8) as an inline PNG shown ``width`` pixels wide, crisp when enlarged."""
    st.html(f'<img src="{pictures.png_data_url(image)}" width="{width}" style="image-rendering:pixelated;'
            f'max-width:100%;height:auto" alt="{html.escape(alt)}">')


def tiles(sources: list[str], captions: list[str], alts: list[str], *, columns: int = 6,
          pixels: int = markup.GALLERY_PIXELS) -> None:
    """:func:`tiles_html` as one element."""
    st.html(markup.tiles_html(sources, captions, alts, columns=columns, pixels=pixels))


def answers_table(answers: pd.DataFrame, *, titles: dict[str, str]) -> None:
    """Every model's answer for one image (:func:`core.analysis.image_story.answers`) as one HTML table, mistakes
    in red."""
    rows = "".join(
        f'<tr><th style="text-align:left">{html.escape(titles.get(row.model, row.model))}</th>'
        f'<td style="color:{palette.RIGHT_ANSWER if row.correct else palette.MISTAKE}">'
        f'<b>{html.escape(row.predicted)}</b></td>'
        f'<td>{html.escape(row.top)}</td></tr>' for row in answers.itertuples(index=False))
    st.html('<table style="font-size:0.85rem;border-collapse:collapse;width:100%">'
            f'<tr><th style="text-align:left">model</th><th>says</th><th>top 3</th></tr>{rows}</table>')
