"""Errors page: the confusion matrix, the images behind any cell, and where two models disagree."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import evaluation, gallery, intervals, significance
from dashboard import cache, session
from dashboard.components import cell_panel
from core.data.pictures import png_data_url
from dashboard.render import heat, markup, matrix
from dashboard.sections import confusion_diff, image_dialog, label_review, layout

PER_PAGE = 18
MATRIX_KEY = "errors_matrix"
#: Session key of the stamp of the last matrix-panel click Python took (see dashboard.components.cell_panel.show).
ANSWERED_KEY = "errors_answered"
HINT = "<p>Click a cell of the matrix (or a confused pair) to see the test images in it.</p>"
PAIRS_KEY = "errors_pairs"
OUTCOMES = {"a_right_b_wrong": "A right, B wrong", "b_right_a_wrong": "B right, A wrong",
            "both_wrong_differently": "both wrong, differently", "both_wrong_same": "both wrong, alike",
            "both_right": "both right"}

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
n_classes = len(class_names)


def _is_cell(text: str) -> bool:
    return session.parse_cell(text, n_classes) is not None


model = layout.focus_model(loaded, names)
pred = loaded.predictions[model]


def _set_cell(true: int, predicted: int) -> None:
    session.set_url_value("cell", session.format_cell(true, predicted), session_key="errors_cell")


def _cell() -> tuple[int, int] | None:
    return session.parse_cell(session.url_value("cell", session_key="errors_cell", valid=_is_cell, default=None),
                            n_classes)


def _on_select() -> None:
    """A click in the matrix panel: go to the cell and page it reports (the panel may show them already)."""
    if (reported := cell_panel.selection(MATRIX_KEY, n_cells=n_classes * n_classes)) is not None:
        index, page, stamp = reported
        cell = matrix.cell_at(index, n_classes)
        _set_cell(*cell)
        image_dialog.set_page(_page_key(cell), page)
        st.session_state[ANSWERED_KEY] = stamp


def _on_cell_pick() -> None:
    """Both digits picked: go to that cell and empty the pickers (the matrix and heading show the cell)."""
    true, predicted = st.session_state["errors_true_pick"], st.session_state["errors_pred_pick"]
    if true is not None and predicted is not None:
        _set_cell(class_names.index(true), class_names.index(predicted))
        st.session_state["errors_true_pick"] = st.session_state["errors_pred_pick"] = None


def _on_pair_pick() -> None:
    picked = session.parse_cell(st.session_state[PAIRS_KEY], n_classes)
    if picked is not None:
        _set_cell(*picked)
    st.session_state[PAIRS_KEY] = None


st.title("Errors")
label_review.corrected_note(loaded, names)
top = st.columns([2, 2, 1])
layout.model_select(loaded, names, model, key="errors_model_pick", where=top[0])
normalise = top[1].radio("Cells show", ["counts", "row shares"], horizontal=True, key="errors_norm") == "row shares"
show_diagonal = top[2].toggle("Show diagonal", value=False, key="errors_diag")

pairs = evaluation.confused_pairs(pred.y_true, pred.y_pred, top=10, class_names=class_names)
labels = {session.format_cell(int(row.true), int(row.predicted)):
          f"{row.true_name} → {row.predicted_name}: {row.count:,} ({row.share_of_true:.1%})"
          for row in pairs.itertuples(index=False)}
pickers = st.columns([4, 1, 1])
pickers[0].pills("Most confused pairs", list(labels), format_func=labels.get, key=PAIRS_KEY, on_change=_on_pair_pick,
                 help="true → predicted: images (share of the true digit's images)")
pickers[1].selectbox("Or true digit", class_names, index=None, key="errors_true_pick", on_change=_on_cell_pick,
                     placeholder="digit")
pickers[2].selectbox("and predicted", class_names, index=None, key="errors_pred_pick", on_change=_on_cell_pick,
                     placeholder="digit")


def _paged_gallery(rows, shown_pred, *, key: str, note: str, shown_model: str) -> None:
    """Page through ``rows`` (already in display order), captioned with ``shown_pred``'s answers."""
    image_dialog.paged_gallery(loaded, rows, shown_pred, model=shown_model, key=key, tiles_key=f"{key}_tiles",
                         page_key=f"{key}_page", note=note, per_page=PER_PAGE)


def _cell_rows(cell: tuple[int, int]):
    return evaluation.cell_indices(pred.y_true, pred.y_pred, cache.confidence(loaded, model), true=cell[0],
                                   predicted=cell[1])


def _cell_html(cell: tuple[int, int], rows, page: int) -> str:
    """The right half of the matrix view: cell ``cell``'s heading and page ``page`` of its ``rows``."""
    true, predicted = cell
    kind = "correct" if true == predicted else "mistakes"
    n_true = int((pred.y_true == true).sum())
    heading = (f'<h3 style="margin:0 0 0.5rem">True {html.escape(class_names[true])} → predicted '
               f'{html.escape(class_names[predicted])}: {rows.size} images ({kind})</h3>'
               f'<p style="font-size:0.875rem;margin:0 0 0.5rem">{intervals.rate_text(rows.size, n_true)} of the '
               f'{n_true:,} true {html.escape(class_names[true])}s.</p>')
    if rows.size == 0:
        return heading + "<p>No test image falls in this cell.</p>"
    if true != predicted and page == 1:
        heading += _cell_maps_html(true, predicted)
    return heading + image_dialog.gallery_page_html(loaded, rows, pred, page=page, per_page=PER_PAGE,
                                              note="Most confident first. Click an image for its whole story.",
                                              columns=4)


def _cell_maps_html(true: int, predicted: int) -> str:
    """What makes the model call these images ``predicted``: the cell's mean image beside both digits' mean
    training images, and the mean map of p(predicted) - p(true) over the cell's most confident mistakes."""
    found = cache.cell_maps_of(loaded, model)
    where = None if found is None else found.find(true, predicted)
    if where is None:
        return ('<p style="font-size:0.875rem;color:#777">The mean map of this cell appears after the next build: '
                f'{html.escape(layout.core_command(loaded, "build"))}.</p>')
    t, p = html.escape(class_names[true]), html.escape(class_names[predicted])
    means = loaded.summary.mean_images
    sources = [png_data_url(np.clip(np.rint(image), 0, 255).astype(np.uint8))
               for image in (found.images[where], means[true], means[predicted])]
    sources.append(heat.signed_map_png(found.maps[where], found.images[where]))
    captions = [f"mean of these {found.used[where]}", f"mean training {t}", f"mean training {p}",
                f"mean map: <b style='color:#d62728'>red</b> ink says {p}, <b style='color:#1f77b4'>blue</b> {t}"]
    alts = [f"mean image of the cell {t} to {p}", f"mean training {t}", f"mean training {p}",
            f"mean map of why {loaded.title(model)} says {p} and not {t}"]
    note = (f'<p style="font-size:0.875rem;color:#777">Over the {found.used[where]} most confident of the cell\'s '
            f"{found.counts[where]} images: occlusion maps of p({p}) − p({t}), averaged.</p>")
    return markup.tiles_html(sources, captions, alts, columns=4, pixels=84) + note


def _first_page(true: int, predicted: int) -> str:
    return _cell_html((true, predicted), _cell_rows((true, predicted)), 1)


def _page_key(cell: tuple[int, int]) -> str:
    return f"errors_cell_{model}_{cell[0]}_{cell[1]}_page"


@st.fragment
def matrix_and_cell() -> None:
    """The matrix panel (:mod:`dashboard.components.cell_panel`): the matrix and the selected cell's images side by
    side,
    as one element. Once the tab shows a model's matrix it asks for the first page of its likeliest cells, so
    a click on one shows it at once; a click then reruns this fragment alone, which sends only what the tab
    lacks."""
    cell = _cell()
    view = f"{loaded.fingerprint[:16]}/{model}"
    matrix_key = f"{view}/{'shares' if normalise else 'counts'}/{'diagonal' if show_diagonal else 'mistakes'}"
    selected = page = rows = None
    keys = []
    if cell is not None:
        selected, rows = cell[0] * n_classes + cell[1], _cell_rows(cell)
        page = gallery.paginate(rows, page=image_dialog.page_number(_page_key(cell)), per_page=PER_PAGE).page
        keys.append(cell_panel.page_key(selected, page))
    first_pages = (cache.cell_pages(loaded, model, budget=cell_panel.AHEAD_CHARS, _render=_first_page)
                   if cell_panel.ahead_wanted(MATRIX_KEY, view) else {})
    ahead = {cell_panel.page_key(index, 1): markup for index, markup in first_pages.items()}
    pages = {key: ahead.get(key) or _cell_html(cell, rows, page)
             for key in cell_panel.unsent(view, keys + list(ahead))}
    matrix_html = None
    if cell_panel.matrix_unsent(matrix_key):
        matrix_html = (cache.confusion_table(loaded, model, normalise=normalise, show_diagonal=show_diagonal)
                       + '<p style="font-size:0.875rem;color:#777">Rows are the true digit, columns the prediction. '
                         'Click a cell to see its images.</p>')
    picked = cell_panel.show(key=MATRIX_KEY, view=view, matrix_key=matrix_key, matrix=matrix_html, pages=pages,
                             ahead=cell_panel.holds_ahead(view),
                             selected=selected, page=page or 1, answered=st.session_state.get(ANSWERED_KEY, 0.0),
                             hint=HINT, on_select=_on_select)
    image_dialog.open_story(loaded, picked, model=model)


@st.fragment
def two_models() -> None:
    """Images one model gets right and the other wrong."""
    st.subheader("Two models")
    others = [n for n in names if n != model]
    if not others:
        st.info("Pick a second model in the sidebar to compare two models image by image.")
        return
    cols = st.columns([2, 3])
    other = cols[0].selectbox("Compare with", others, key="errors_other", format_func=loaded.title)
    side = cols[1].radio("Show", ["A right, B wrong", "B right, A wrong"], horizontal=True, key="errors_side")
    pred_b = loaded.predictions[other]
    diff = evaluation.disagreements(pred.y_true, pred.y_pred, pred_b.y_pred)
    outcome = {"A right, B wrong": "a_right_b_wrong", "B right, A wrong": "b_right_a_wrong"}[side]
    wrong, wrong_name = (pred_b, other) if outcome == "a_right_b_wrong" else (pred, model)
    rows = gallery.by_confidence(getattr(diff, outcome), cache.confidence(loaded, wrong_name))
    test = significance.mcnemar(pred.y_true, pred.y_pred, pred_b.y_pred)
    st.caption(f"A = {loaded.title(model)}, B = {loaded.title(other)}. " + " · ".join(
        f"{OUTCOMES[label]}: {count:,}" for label, count in diff.counts.items())
        + f". Is the difference real? Exact McNemar test on the images exactly one gets right: "
          f"{significance.verdict(test)} (p = {test.p:.3g}).")
    if rows.size == 0:
        st.info("No image in this group.")
    else:
        _paged_gallery(rows, wrong, key=f"errors_two_{model}_{other}_{outcome}",
                       note=f"{rows.size} images; captions show the wrong model's answer, most confident first.",
                       shown_model=wrong_name)
    st.markdown("**Confusion difference A − B**")
    confusion_diff.show(loaded, model, other, gallery=_paged_gallery)


matrix_and_cell()
st.divider()
two_models()
