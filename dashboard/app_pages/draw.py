"""Draw page: draw or upload a digit and see what every model says about it."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import answers, embedding, typicality
from core.data import pictures
from core.artifacts import ArtifactError
from core.data.pictures import ImageError, image_to_mnist
from dashboard import cache
from dashboard.components import canvas, clickable
from dashboard.render import markup
from dashboard.sections import layout, why

CANVAS_KEY = "draw_canvas"
SOURCES = {"draw": "Draw", "upload": "Upload a picture"}

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
image_shape = loaded.data.image_shape

st.title("Draw")
models = layout.loadable_models(loaded, names)
if not models:
    st.info("No model could be loaded; rebuild the artifacts (see the warning above).")
    st.stop()


NOTHING_YET = "Nothing drawn yet: draw a digit on the canvas (or upload a picture) to see the predictions."
DRAW_CAPTION = "Draw one digit, large and centred; white ink on black like MNIST."


def _drawn() -> tuple[np.ndarray | None, str]:
    """The drawing as a model input row (None while nothing is drawn or it cannot be read) and what goes beside
    the canvas: the answers to it, a note while nothing is drawn, or why the drawing could not be read."""
    try:
        rgba = canvas.drawing(CANVAS_KEY)
    except ImageError as exc:
        return None, markup.error_html(html.escape(str(exc)))
    if rgba is None:
        return None, markup.info_html(html.escape(NOTHING_YET))
    row = answers.digit_row(rgba, image_shape=image_shape)
    return row, _answers_html(row)


def _why(row: np.ndarray) -> None:
    """On request, the ink behind one model's answer to the drawn or uploaded digit (the map follows each stroke)."""
    if not st.toggle("Why? The ink behind one model's answer", key="draw_why"):
        return
    choice = list(models)
    model = st.selectbox("Model", choice, index=choice.index(loaded.strongest(choice)), key="draw_why_model",
                         format_func=loaded.title)
    why.show(loaded, row[0], model=model, true=None, key="draw_why_other")


def _uploaded() -> None:
    """The uploader on the left; what the models say about the picture on the right."""
    left, right = st.columns([2, 3])
    with left:
        upload = st.file_uploader("A picture of one digit", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
                                  key="draw_upload")
    with right:
        if upload is None:
            st.info(NOTHING_YET)
            return
        try:
            row = answers.digit_row(image_to_mnist(upload.getvalue()), image_shape=image_shape)
        except ImageError as exc:
            st.error(str(exc))
            return
        clickable.html_block(_answers_html(row), key="draw_answers")
    _why(row)


@st.fragment
def draw_and_predict(source: str) -> None:
    """The canvas with what every model says about the drawing beside it, as one element (a stroke reruns
    this fragment, and every element of a rerun costs the browser a render, bench/browser.py); or the upload
    and its answer."""
    if source == "draw":
        row, beside = _drawn()
        canvas.show(CANVAS_KEY, caption=DRAW_CAPTION, beside=beside)
        if row is not None:
            _why(row)
    else:
        _uploaded()


def _answers_html(row) -> str:
    """What the models see, their verdict, every model's answer and the nearest training digits."""
    votes = answers.predict_all(models, row, class_names=class_names,
                              temperatures={n: loaded.predictions[n].temperature for n in models},
                              from_scores=cache.decided_by_scores(loaded),
                              scorers=cache.quick_scorers(loaded, tuple(models)))
    if votes.agree:
        said = html.escape(str(votes.summary["predicted"].iloc[0]))
        verdict = markup.note_html(f"All {len(models)} models say <b>{said}"
                               "</b>.", good=True)
    else:
        tally = votes.summary["predicted"].value_counts()
        verdict = markup.note_html("The models disagree: " + ", ".join(
            f"<b>{html.escape(str(d))}</b> ({c})" for d, c in tally.items()), good=False)
    seen = markup.tiles_html([pictures.png_data_url(row.reshape(image_shape))], ["what the models see"],
                         ["the model input"], columns=1, pixels=112)
    caption = ('<p style="font-size:0.875rem;color:#777">Each model\'s answer, its confidence and its probability '
               "for every digit (decision values through a softmax at the model's temperature); blank cells are "
               "under 0.5%.</p>")
    return (f'<div style="display:grid;grid-template-columns:128px minmax(0,1fr);gap:16px"><div>{seen}</div>'
            f'<div>{verdict}</div></div>' + markup.votes_html(votes, titles={n: loaded.title(n) for n in models})
            + caption + _nearest_html(row))


def _nearest_html(row) -> str:
    """The training digits nearest to the drawn one, and what their labels say."""
    try:
        found = embedding.nearest_training(cache.feature_space(loaded), cache.explore_data(loaded).index, row)
    except ArtifactError as exc:
        return (f'<p style="font-size:0.875rem;color:#777">Nearest training digits are not available: '
                f'{html.escape(str(exc))}</p>')
    rows, distances = found.indices[0], found.distances[0]
    labels = loaded.data.y_train[rows]
    label, share = embedding.majority(labels)
    placed = typicality.typicality(distances[0], cache.explore_data(loaded).distances[:, 0])
    unlike = markup.note_html("This does not look like a digit from the data set: it lies farther from every "
                              f"training image than {placed.level:g}% of the test images do, so read the answers "
                              "above with care.", good=False) if placed.unusual else ""
    return (unlike + f"<p><b>Nearest training digits</b>: {share:.0%} of the {len(rows)} nearest are "
            f"<b>{html.escape(class_names[label])}</b>. {html.escape(placed.describe())}</p>"
            + markup.tiles_html(cache.train_images(loaded, rows),
                            [f"<b>{html.escape(class_names[n])}</b> · d {d:.2f}" for n, d in zip(labels, distances)],
                            [f"training image {r}" for r in rows], columns=5, pixels=56))


source = st.segmented_control("Input", list(SOURCES), format_func=SOURCES.get, default="draw",
                              key="draw_source") or "draw"
draw_and_predict(source)
