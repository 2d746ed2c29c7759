"""Draw page: draw or upload a digit and see what every model says about it."""

from __future__ import annotations

import html

import streamlit as st

from core.analysis import explore, views
from core.artifacts import ArtifactError
from core.data.pictures import ImageError, image_to_mnist
from dashboard import canvas, loader, ui

CANVAS_KEY = "draw_canvas"
SOURCES = {"draw": "Draw", "upload": "Upload a picture"}

loaded = ui.artifacts()
names = ui.chosen_models(loaded)
class_names = list(loaded.data.class_names)
image_shape = loaded.data.image_shape

st.title("Draw")
models = ui.loadable_models(loaded, names)
if not models:
    st.info("No model could be loaded; rebuild the artifacts (see the warning above).")
    st.stop()


def _input_image() -> tuple[object, bool]:
    """The drawn or uploaded digit as one model input row (or None), and whether a problem was already shown."""
    source = st.segmented_control("Input", list(SOURCES), format_func=SOURCES.get, default="draw",
                                  key="draw_source") or "draw"
    if source == "draw":
        st.caption("Draw one digit, large and centred; white ink on black like MNIST.")
        return canvas.drawn_row(CANVAS_KEY, image_shape=image_shape), False
    upload = st.file_uploader("A picture of one digit", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"],
                              key="draw_upload")
    if upload is None:
        return None, False
    try:
        return views.digit_row(image_to_mnist(upload.getvalue()), image_shape=image_shape), False
    except ImageError as exc:
        st.error(str(exc))
        return None, True


@st.fragment
def draw_and_predict() -> None:
    """Canvas or upload and what the models see on the left; every model's answer on the right."""
    left, right = st.columns([2, 3])
    with left:
        row, problem_shown = _input_image()
        if row is not None:
            ui.tiles([views.png_data_url(row.reshape(image_shape))], ["what the models see"],
                     ["the model input"], columns=1, pixels=112)
    with right:
        if row is None:
            if not problem_shown:
                st.info("Nothing drawn yet: draw a digit on the canvas (or upload a picture) to see the predictions.")
            return
        votes = views.predict_all(models, row, class_names=class_names,
                                  temperatures={n: loaded.predictions[n].temperature for n in models},
                                  from_scores=loader.decided_by_scores(loaded),
                                  scorers={n: loader.quick_scorer(loaded, n) for n in models})
        if votes.agree:
            st.success(f"All {len(models)} models say **{votes.summary['predicted'].iloc[0]}**.")
        else:
            tally = votes.summary["predicted"].value_counts()
            st.warning("The models disagree: " + ", ".join(f"**{d}** ({c})" for d, c in tally.items()))
        ui.votes_table(votes, titles={n: loaded.title(n) for n in models})
        st.caption("Each model's answer, its confidence and its probability for every digit (decision values "
                   "through a softmax at the model's temperature); blank cells are under 0.5%.")
    _nearest(row)


def _nearest(row) -> None:
    """The training digits nearest to the drawn one, and what their labels say."""
    try:
        found = explore.nearest_training(loader.feature_space(loaded), loader.explore_data(loaded).index, row)
    except ArtifactError as exc:
        st.caption(f"Nearest training digits are not available: {exc}")
        return
    rows, distances = found.indices[0], found.distances[0]
    labels = loaded.data.y_train[rows]
    label, share = explore.majority(labels)
    st.markdown(f"**Nearest training digits**: {share:.0%} of the {len(rows)} nearest are "
                f"**{html.escape(class_names[label])}**.")
    ui.tiles(loader.train_images(loaded, rows),
             [f"<b>{html.escape(class_names[label])}</b> · d {d:.2f}" for label, d in zip(labels, distances)],
             [f"training image {r}" for r in rows], columns=len(rows), pixels=56)


draw_and_predict()
