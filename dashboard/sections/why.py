"""Why, in the image: a model's occlusion map for one image, contrasted with a class the user picks, and how
faithful it is (the deletion curve). Shown in the image dialog; any page with one image may call :func:`show`."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import attribution, embedding, morph
from core.artifacts import ArtifactError
from core.data import pictures
from dashboard import cache
from dashboard.render import heat, markup, palette, svg
from dashboard.sections import layout


def show(loaded: cache.Loaded, row: np.ndarray, *, model: str, true: int | None, key: str,
         predicted: int | None = None, probabilities: np.ndarray | None = None) -> None:
    """The map of ``model``'s answer for the raw pixel ``row`` (``true``: its label when known); ``key`` is the
    contrast picker's. A stored test image passes its stored answer and probabilities; a new one (a drawing)
    is scored here, its answer the most probable class."""
    class_names = list(loaded.data.class_names)
    try:
        scorer = cache.quick_scorers(loaded, (model,))[model]
    except ArtifactError as exc:
        st.info(f"No map for {loaded.title(model)}: {exc}")
        return
    proba = attribution.scorer_proba(scorer, temperature=loaded.predictions[model].temperature)
    if probabilities is None:
        probabilities = proba(np.asarray(row)[None])[0]
    predicted = int(np.argmax(probabilities)) if predicted is None else predicted
    choices = [c for c in range(len(class_names)) if c != predicted]
    default = attribution.contrast_class(probabilities, predicted=predicted, true=true)
    other = st.selectbox(f"Why {class_names[predicted]} and not", choices, index=choices.index(default), key=key,
                         format_func=lambda c: class_names[c])
    found = attribution.explain(proba, row, image_shape=loaded.data.image_shape, target=predicted, other=other)
    a, d = found.attribution, found.deletion
    image = np.asarray(row).reshape(loaded.data.image_shape)
    said, against = html.escape(class_names[predicted]), html.escape(class_names[other])
    layout.tiles([heat.signed_map_png(a.values, image)],
                 [f"{html.escape(loaded.title(model))}: <b style='color:#d62728'>red</b> ink makes it say {said}, "
                  f"<b style='color:#1f77b4'>blue</b> ink {against}"],
                 [f"map of why {loaded.title(model)} says {class_names[predicted]} and not {class_names[other]}"],
                 columns=1, pixels=168)
    st.caption(a.describe(class_names) + f". p({class_names[predicted]}) − p({class_names[other]}) = {a.score:.3f}.")
    curve = svg.chart([svg.Line(d.fractions, d.by_map, palette.PALETTE[0], "map"),
                       svg.Line(d.fractions, d.by_ink, palette.NEUTRAL, "brightest", dash=True),
                       svg.Line(d.fractions, d.by_random, palette.PALETTE[1], "random", dash=True)],
                      title=f"p({class_names[predicted]}) as ink is removed", x_title="share of the ink removed",
                      y_title=f"p({class_names[predicted]})")
    st.html(markup.svg_row_html([curve], alts=[f"deletion curve of the map of {loaded.title(model)}"]))
    st.caption(f"Area under the curve (smaller: the map finds what matters faster): map {d.area_map:.3f}, "
               f"brightest ink first {d.area_ink:.3f}, random {d.area_random:.3f}.")
    if not d.beats_ink:
        st.warning("This map does not remove the answer faster than taking away the brightest ink first: it says "
                   "little beyond where the ink is.")
    _morph(loaded, row, proba, model=model, predicted=predicted, other=other)


def _morph(loaded: cache.Loaded, row: np.ndarray, proba, *, model: str, predicted: int, other: int) -> None:
    """The path from the image to its nearest training image of class ``other``, and where the answer flips."""
    names = loaded.data.class_names
    try:
        toward = embedding.nearest_of_class(cache.feature_space(loaded), cache.explore_data(loaded).index, row,
                                            label=other)
    except (ArtifactError, ValueError) as exc:
        st.caption(f"No edit towards {names[other]}: {exc}")
        return
    path = morph.morph(proba, row, cache.explore_data(loaded).train_images[toward], target=other)
    steps = len(path.alphas) - 1
    shown = sorted({*range(0, steps + 1, steps // 4 or 1), *([path.flip] if path.flip is not None else [])})
    st.markdown(f"**The edit that flips it**: towards training image #{toward}, the nearest **{names[other]}**")
    layout.tiles([pictures.png_data_url(path.images[k].reshape(loaded.data.image_shape)) for k in shown],
                 [f"step {k}{' · flips' if k == path.flip else ''} · says <b>{html.escape(names[path.predicted[k]])}"
                  f"</b>" for k in shown],
                 [f"morph step {k} of {steps}" for k in shown], columns=len(shown), pixels=84)
    chart = svg.chart([svg.Line(path.alphas, path.probabilities[:, other], palette.PALETTE[0],
                                f"p({names[other]})"),
                       svg.Line(path.alphas, path.probabilities[:, predicted], palette.MISTAKE,
                                f"p({names[predicted]})", dash=True)],
                      title=f"{loaded.title(model)} along the way to the nearest {names[other]}",
                      x_title="share of the way", y_title="probability",
                      rule=None if path.flip is None else float(path.alphas[path.flip]))
    st.html(markup.svg_row_html([chart], alts=[f"probabilities along the morph towards {names[other]}"]))
    if path.flip is None:
        st.caption(f"{loaded.title(model)} never says {names[other]} on the way, not even at the training image.")
    else:
        st.caption(f"{loaded.title(model)} first says {names[other]} at step {path.flip} of {steps} "
                   f"({path.alphas[path.flip]:.0%} of the way): the smallest change in that direction that does it.")
