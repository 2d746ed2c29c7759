"""One image's whole story, as a dialog any gallery opens and a link (``?image=N``) reopens.

A gallery passes the clicked test row to :func:`request`; the entry script
calls :func:`from_url` on every full run, so a shared link opens the same
dialog. Closing the dialog removes ``image`` from the URL.
"""

from __future__ import annotations

import html
import re
from functools import partial

import numpy as np
import streamlit as st

from core.analysis import gallery, image_story, typicality
from core.artifacts import ArtifactError
from core.data.preprocess import Deskew
from core.data.pictures import png_data_url
from dashboard import cache, session
from dashboard.components import clickable
from dashboard.render import markup
from dashboard.sections import label_review, layout, why

IMAGE_PARAM = "image"
IMAGE_KEY = "detail_image"
#: The model whose prediction the neighbour vote is read against (set by the page that opens the dialog).
MODEL_KEY = "detail_model"
_ROW = re.compile(r"[0-9]{1,7}")


def parse_row(text: str | None, n_test: int) -> int | None:
    """The test row a link names, or None for anything that is not a row of this set."""
    if text is None or not _ROW.fullmatch(text):
        return None
    row = int(text)
    return row if row < n_test else None


def request(loaded: cache.Loaded, row: int, *, model: str | None = None) -> None:
    """Open the dialog for test row ``row`` and put it in the URL."""
    if model is not None:
        st.session_state[MODEL_KEY] = model
    session.set_url_value(IMAGE_PARAM, str(int(row)), session_key=IMAGE_KEY)
    _dialog(loaded, int(row))


def show_clickable(loaded: cache.Loaded, markup: str, *, key: str, model: str | None = None) -> None:
    """Show ``markup`` whose ``data-index`` tiles are test rows; a click opens that image's dialog.

    ``model`` is the model whose answer the gallery shows: the dialog reads the neighbour vote against it.
    """
    open_story(loaded, clickable.clicked(markup, key=key), model=model)


def from_url(loaded: cache.Loaded) -> None:
    """Open the dialog a link names (``?image=N``); an edited, invalid value is dropped from the URL."""
    text = st.query_params.get(IMAGE_PARAM)
    if text is None:
        return
    row = parse_row(text, len(loaded.data.y_test))
    if row is None:
        session.set_url_value(IMAGE_PARAM, None, session_key=IMAGE_KEY)
        return
    _dialog(loaded, row)


def _closed() -> None:
    session.set_url_value(IMAGE_PARAM, None, session_key=IMAGE_KEY)


@st.dialog("Test image", width="large", on_dismiss=_closed)
def _dialog(loaded: cache.Loaded, row: int) -> None:
    names = session.selected_models(loaded.multiclass) or loaded.multiclass
    model = st.session_state.get(MODEL_KEY)
    model = model if model in names else names[0]
    class_names = list(loaded.data.class_names)
    true = int(loaded.data.y_test[row])
    image = loaded.data.X_test[row].reshape(loaded.data.image_shape)
    st.markdown(f"**Test image #{row}** · labelled **{html.escape(class_names[true])}** · "
                f"neighbours and vote read against {html.escape(loaded.title(model))}")
    left, right = st.columns([2, 3])
    with left:
        _images(loaded, image, names)
    with right:
        answers = image_story.answers(row, probabilities={n: cache.probabilities(loaded, n) for n in names},
                                 y_true=loaded.data.y_test, class_names=class_names)
        layout.answers_table(answers, titles={n: loaded.title(n) for n in names})
    said = int(loaded.predictions[model].y_pred[row])
    if st.toggle(f"Why does {loaded.title(model)} say {class_names[said]}? (the ink behind its answer)",
                 key=f"detail_why_{model}_{row}"):
        why.show(loaded, loaded.data.X_test[row], model=model, predicted=said,
                 probabilities=cache.probabilities(loaded, model)[row], true=true,
                 key=f"detail_why_other_{model}_{row}")
    label_review.story(loaded, row, model=model)
    _neighbours(loaded, row, true=true, predicted=int(loaded.predictions[model].y_pred[row]), model=model)


def _images(loaded: cache.Loaded, image: np.ndarray, names: list[str]) -> None:
    deskewing = image_story.deskewing_models({n: loaded.artifacts.model_info(n).get("params") for n in names})
    sources, captions = [png_data_url(image)], ["as stored"]
    if deskewing:
        straight = Deskew(image_shape=image.shape).fit_transform(image.reshape(1, -1)).reshape(image.shape)
        sources.append(png_data_url(np.clip(straight, 0, 255).astype(np.uint8)))
        captions.append("deskewed, as " + ", ".join(html.escape(loaded.title(n)) for n in deskewing) + " see it")
    layout.tiles(sources, captions, captions, columns=2, pixels=140)


def _neighbours(loaded: cache.Loaded, row: int, *, true: int, predicted: int, model: str) -> None:
    try:
        data = cache.explore_data(loaded)
    except ArtifactError as exc:
        st.info(f"Nearest training images are not available: {exc}")
        return
    story = image_story.neighbour_story(data.neighbours[row], data.distances[row], y_train=loaded.data.y_train,
                                   true=true, predicted=predicted)
    names = loaded.data.class_names
    vote = story.vote
    if predicted == true:
        reading = f"{vote.share_true:.0%} of them carry its label {names[true]}"
    else:
        reading = (f"{vote.share_true:.0%} carry its label {names[true]}, {vote.share_predicted:.0%} the predicted "
                   f"{names[predicted]}: {vote.verdict}")
    placed = typicality.typicality(data.distances[row, 0], data.distances[:, 0])
    st.markdown(f"**Nearest training images** ({len(story.rows)}): {reading}. {placed.describe()}")
    if placed.unusual:
        st.warning(f"Unusual for this data set: farther from every training image than {placed.level:g}% of the "
                   "test images.")
    layout.tiles(cache.train_images(loaded, story.rows),
             [f"train #{r} · <b>{html.escape(names[label])}</b> · d {d:.2f}"
              for r, label, d in zip(story.rows, story.labels, story.distances)],
             [f"training image {r}" for r in story.rows], columns=min(len(story.rows), 10), pixels=56)


def gallery_page_html(loaded: cache.Loaded, rows, pred, *, page: int, note: str, per_page: int = 18,
                      columns: int = 6) -> str:
    """Page ``page`` (clipped to the pages there are) of test ``rows`` (in display order) captioned with
    ``pred``'s answers, as HTML: ``note``, a pager (``data-page`` buttons, see
    :func:`dashboard.render.markup.pager_html`)
    and the tiles (``data-index``); flagged labels carry a badge, ``columns`` to a row."""
    page = gallery.paginate(rows, page=page, per_page=per_page)
    calibration = (f" Confidence is the softmax of the decision values at temperature {pred.temperature:.3g}."
                   if pred.score_kind == "decision" else "")
    captions = gallery.gallery(page.rows, y_true=pred.y_true, y_pred=pred.y_pred, scores=pred.scores,
                             score_kind=pred.score_kind, class_names=loaded.data.class_names,
                             temperature=pred.temperature)
    return (f'<p style="font-size:0.875rem;color:#777;margin:0 0 0.25rem">{html.escape(note)} Page {page.page} of '
            f'{page.n_pages}.{html.escape(calibration)}</p>' + markup.pager_html(page.page, page.n_pages)
            + markup.gallery_html(cache.test_images(loaded, page.rows), captions, columns=columns,
                              flagged=label_review.flagged_rows(loaded)))


def page_number(page_key: str) -> int:
    """The gallery page kept under ``page_key`` (:func:`set_page`), 1 before any."""
    number = st.session_state.get(page_key, 1)
    return number if isinstance(number, int) else 1


def set_page(page_key: str, number: int) -> None:
    """Show page ``number`` of the gallery whose page lives under ``page_key`` (a pager's ``on_page``)."""
    st.session_state[page_key] = int(number)


def open_story(loaded: cache.Loaded, picked: int | None, *, model: str | None) -> None:
    """Open the dialog of the test row a gallery reported clicked (nothing for None or a row not in the set)."""
    if picked is not None and parse_row(str(picked), len(loaded.data.y_test)) is not None:
        request(loaded, picked, model=model)


def paged_gallery(loaded: cache.Loaded, rows, pred, *, model: str, key: str, tiles_key: str, page_key: str,
                  note: str, per_page: int = 18) -> None:
    """:func:`gallery_page_html` as one clickable element: a pager click shows another page, an image click
    opens that image's story (read against ``model``)."""
    markup = gallery_page_html(loaded, rows, pred, page=page_number(page_key), note=note, per_page=per_page)
    with st.container(key=key):
        picked = clickable.clicked(markup, key=tiles_key, on_page=partial(set_page, page_key))
    open_story(loaded, picked, model=model)
