"""The Labels and Slices pages, the label story in the image dialog and the A − B matrix, under AppTest.

Expected rows come from core on the stored arrays (cleanlab, the stored properties, numpy), not from the page.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from core.analysis import compare, evaluation, gallery, label_quality, slices
from core.data import properties
from core.artifacts import open_artifacts, reviews
from tests.dashboard.apptest import assert_clean, open_app
from tests.dashboard.conftest import CELL, CLICK

SHOWN = re.compile(r'alt="test image (\d+)"')


@pytest.fixture(scope="module")
def stored(artifact_dir):
    return open_artifacts(artifact_dir)


@pytest.fixture
def own_set(artifact_dir, tmp_path):
    """A copy of the small set, so review marks written by a test stay in it."""
    return shutil.copytree(artifact_dir, tmp_path / "set")


def _expected_issues(aset) -> label_quality.LabelIssues:
    names = [n for n in aset.model_names if aset.model_info(n)["task"] == "multiclass"]
    best = sorted(names, key=lambda n: -aset.model_info(n)["metrics"]["test_accuracy"])[:label_quality.TOP_K]
    proba = []
    for name in best:
        pred = aset.predictions(name)
        proba.append(evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature))
    return label_quality.label_issues(aset.data().y_test, np.mean(proba, axis=0))


def _shown(at) -> list[int]:
    return [int(r) for r in SHOWN.findall(next(b.value for b in at.html if "test image" in b.value))]


def test_the_labels_page_ranks_images_most_doubtful_first_and_filters_by_digit(monkeypatch, artifact_dir, stored):
    expected = _expected_issues(stored)
    at = open_app(monkeypatch, artifact_dir, "app_pages/labels.py")
    assert_clean(at)
    flagged = expected.ranking[expected.flagged[expected.ranking]]
    assert _shown(at) == flagged[:18].tolist()
    at.radio(key="labels_which").set_value("every image").run()
    assert _shown(at) == expected.ranking[:18].tolist()
    at.selectbox(key="labels_digit").set_value("4").run()
    y = stored.data().y_test
    assert _shown(at) == expected.ranking[y[expected.ranking] == 4][:18].tolist()
    at.selectbox(key="labels_source_pick").set_value("rf").run()
    assert_clean(at)
    assert at.query_params["source"] == "rf"
    pred = stored.predictions("rf")
    alone = label_quality.label_issues(y, evaluation.probabilities(pred.scores, score_kind=pred.score_kind))
    assert _shown(at) == alone.ranking[y[alone.ranking] == 4][:18].tolist()


def test_reviewing_a_label_in_the_dialog_saves_it_and_corrects_accuracy(monkeypatch, own_set):
    aset = open_artifacts(own_set)
    expected = _expected_issues(aset)
    row = int(expected.ranking[0])
    at = open_app(monkeypatch, own_set, "app_pages/labels.py")
    at.session_state[CLICK + "labels_tiles"] = row
    at.run()
    assert_clean(at)
    story = " ".join(m.value for m in at.markdown)
    assert f"quality {expected.quality[row]:.3f}, rank 1 of" in story
    at.button_group(key=f"review_mark_{row}").set_value("wrong").run()
    assert_clean(at)
    marks = reviews.load_marks(own_set, aset.dataset["hash"])
    assert marks[["row", "mark", "label"]].values.tolist() == [[row, "wrong", int(expected.suggested[row])]]
    at.selectbox(key=f"review_label_{row}").set_value("0").run()
    assert reviews.corrections(reviews.load_marks(own_set, aset.dataset["hash"])) == {row: 0}
    at.switch_page("app_pages/labels.py").run()
    assert_clean(at)
    assert at.get("download_button")
    pred = aset.predictions("rf")
    before, after = label_quality.corrected_accuracy(pred.y_true, pred.y_pred, {row: 0})
    at.switch_page("app_pages/errors.py").run()
    assert any(f"{before:.2%} → {after:.2%}" in c.value for c in at.caption)


def test_the_slices_page_lists_the_slices_and_a_click_shows_their_images(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("sgd")
    props = properties.stored_properties(stored)
    report = slices.find_slices(props, y_true=pred.y_true, wrong=pred.y_true != pred.y_pred,
                                class_names=stored.dataset["class_names"])
    at = open_app(monkeypatch, artifact_dir)
    at.query_params["model"] = "sgd"
    at.switch_page("app_pages/slices.py").run()
    assert_clean(at)
    table = next(b.value for b in at.html if "share of errors" in b.value)
    assert table.count("data-index=") == len(report.slices) > 0
    charts = [b.value for b in at.html if "data:image/svg+xml" in b.value]
    assert sum(c.count("<img") for c in charts) == len(properties.PROPERTIES)
    at.session_state[CLICK + "slices_table_sgd"] = 0
    at.run()
    assert_clean(at)
    first = report.slices[0]
    rows = np.flatnonzero(first.select(slices.with_truth(props, pred.y_true)))
    assert any(h.value.startswith(first.describe()) and f"{rows.size:,} images" in h.value for h in at.subheader)
    assert set(_shown(at)) <= set(rows.tolist()) and len(_shown(at)) == min(rows.size, 18)


def test_the_difference_matrix_cell_opens_the_images_only_one_model_puts_there(monkeypatch, artifact_dir, stored):
    a, b = stored.predictions("sgd"), stored.predictions("rf")
    diff = compare.confusion_difference(a.y_true, a.y_pred, b.y_pred, n_classes=10)
    at = open_app(monkeypatch, artifact_dir)
    at.query_params["model"] = "sgd"
    at.switch_page("app_pages/errors.py").run()
    matrix = next(h.value for h in at.html if "A − B =" in h.value)
    cells = re.findall(r'data-cell="(\d+)"[^>]*>([^<]+)</td>', matrix)
    assert [v for _, v in cells] == [f"{v:+d}" if v else "·" for v in diff.ravel()]
    off = np.where(np.eye(10, dtype=bool), 0, np.abs(diff))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    at.session_state[CELL + "errors_diff_sgd_rf_table"] = int(true * 10 + predicted)
    at.run()
    assert_clean(at)
    cell = compare.cell_images(a.y_true, a.y_pred, b.y_pred, true=true, predicted=predicted)
    galleries = [SHOWN.findall(h.value) for h in at.html if "test image" in h.value]
    for rows, pred in ((cell.only_a, a), (cell.only_b, b)):
        if rows.size:
            confidence = evaluation.confidence(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
            assert [str(r) for r in gallery.by_confidence(rows, confidence)[:18]] in galleries
    assert any(f"A − B = {int(diff[true, predicted]):+d}" in m.value for m in at.markdown)


def test_galleries_elsewhere_mark_flagged_labels(monkeypatch, artifact_dir, stored):
    expected = _expected_issues(stored)
    pred = stored.predictions("sgd")
    confidence = evaluation.confidence(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
    on_first_page = [int(r) for r in np.flatnonzero(expected.flagged) if int(r) in evaluation.cell_indices(
        pred.y_true, pred.y_pred, confidence, true=pred.y_true[r], predicted=pred.y_pred[r])[:18]]
    assert on_first_page, "a flagged label shows on the first page of its Errors cell"
    row = on_first_page[0]
    at = open_app(monkeypatch, artifact_dir)
    at.query_params.update(model="sgd", cell=f"{pred.y_true[row]}-{pred.y_pred[row]}")
    at.switch_page("app_pages/errors.py").run()
    gallery = next(h.value for h in at.html if f'alt="test image {row}"' in h.value)
    tiles = [t for t in gallery.split("<figure")[1:] if "data-index" in t]  # the gallery's tiles, not the cell's means
    marked = {int(re.search(r'data-index="(\d+)"', t)[1]) for t in tiles if "label?" in t}
    shown = {int(re.search(r'data-index="(\d+)"', t)[1]) for t in tiles}
    assert marked == shown & set(np.flatnonzero(expected.flagged).tolist()) and row in marked
