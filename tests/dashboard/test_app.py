"""Every dashboard page through Streamlit's AppTest, on a small real artifact set.

Expected numbers come from the stored arrays through numpy and scikit-learn,
not from the code under test.
"""

from __future__ import annotations

import base64
import html
import io
import os
import json
import re
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from scipy.special import softmax
from scipy.stats import binomtest
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_curve, precision_score, recall_score
from streamlit.testing.v1 import AppTest

from core import artifacts as art
from core.artifacts import MANIFEST, open_artifacts
from core.artifacts.build import build
from core.analysis import answers, embedding
from core.data import load_dataset
from core.data.pictures import image_to_mnist
from dashboard import registry
from tests.dashboard.conftest import CELL, CLICK, DRAW, PAGE, PANEL
from tests.dashboard.apptest import ENTRY, TIMEOUT, assert_clean, metrics, open_app, percent_bounds

@pytest.fixture(scope="module")
def stored(artifact_dir):
    """Opened artifact set and the test labels, read directly with core.artifacts."""
    return open_artifacts(artifact_dir)


@pytest.mark.parametrize("page", registry.PAGES, ids=[p.url_path for p in registry.PAGES])
def test_every_page_renders_from_the_artifacts(monkeypatch, artifact_dir, page):
    at = open_app(monkeypatch, artifact_dir, page)
    assert_clean(at)
    assert [t.value for t in at.title] == [page.title]
    assert not at.error


def test_page_registry_lists_existing_scripts_under_app_pages():
    assert [p.title for p in registry.PAGES] == ["Data", "Models", "Calibration", "Robustness", "Errors", "Explore",
                                                 "Labels", "Slices", "Thresholds", "Draw", "Concepts"]
    for page in registry.PAGES:
        assert page.path.is_file() and page.path.parent.name == "app_pages"


def test_sidebar_model_choice_limits_every_page(monkeypatch, artifact_dir, stored):
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    multiclass = [n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass"]
    assert at.multiselect(key="models").value == multiclass
    at.multiselect(key="models").set_value(["rf", "sgd"]).run()
    assert_clean(at)
    assert at.selectbox(key="errors_model_pick").options == [stored.model_info(n)["title"] for n in ("sgd", "rf")]
    at.switch_page("app_pages/models.py").run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert sorted(table.index) == ["rf", "sgd"]
    assert table.loc["rf", "test_accuracy"] == pytest.approx(
        np.mean(stored.predictions("rf").y_pred == stored.predictions("rf").y_true))
    at.multiselect(key="models").set_value([]).run()
    assert_clean(at)
    assert any("Pick at least 1 model" in i.value for i in at.info)


def _view(at: AppTest) -> str:
    """The Errors page's matrix-and-cell element (one HTML block)."""
    return next(block.value for block in at.html if "true ↓ pred. →" in block.value)


def _gallery_rows(at: AppTest) -> list[int]:
    """Test-row numbers of the first image gallery on the page, in display order."""
    gallery = next((block.value for block in at.html if 'alt="test image' in block.value), "")
    return [int(n) for n in re.findall(r'alt="test image (\d+)"', gallery)]


def test_cell_from_the_url_opens_its_gallery_most_confident_first(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (pred.y_true, pred.y_pred), 1)
    off = counts - np.diag(np.diag(counts))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    monkeypatch.setenv("DIGIT_LENS_ARTIFACTS", str(artifact_dir))
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/errors.py")
    at.query_params.update({"model": "rf", "cell": f"{true}-{predicted}"})
    at.run()
    assert_clean(at)
    heading = f"True {true} → predicted {predicted}: {off[true, predicted]} images (mistakes)</h3>"
    assert heading in _view(at)
    k, n, z = off[true, predicted], counts[true].sum(), 1.959963984540054
    centre, half = (k + z * z / 2) / (n + z * z), z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    assert (f"{k / n:.1%} (95% CI {100 * (centre - half):.1f}–{100 * (centre + half):.1f}%) of the {n:,} true "
            f"{true}s") in _view(at), "the cell's share of the true digit, with its Wilson interval"
    rows = np.flatnonzero((pred.y_true == true) & (pred.y_pred == predicted))
    expected = rows[np.argsort(-pred.scores[rows].max(axis=1), kind="stable")]
    assert _gallery_rows(at)[:len(rows)] == expected[:18].tolist()
    assert at.query_params["cell"] == f"{true}-{predicted}"
    # beside the gallery: the mean of the cell's most confident mistakes and of both digits, and the mean map
    used = min(rows.size, 20)
    view = html.unescape(_view(at))
    assert f"Over the {used} most confident of the cell's {rows.size} images" in view
    tiles = re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]+)"', view)
    named = {alt: base64.b64decode(png) for png, alt in tiles}
    shown = np.asarray(Image.open(io.BytesIO(named[f"mean image of the cell {true} to {predicted}"])))
    mean = np.rint(stored.data().X_test[expected[:used]].astype(float).mean(axis=0)).reshape(28, 28)
    assert np.abs(shown.astype(int) - mean).max() <= 1
    assert len(named[f"mean map of why Random forest says {predicted} and not {true}"]) <= 2048


def test_the_matrix_shows_sklearns_confusion_matrix_and_a_click_opens_its_cell(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    expected = confusion_matrix(pred.y_true, pred.y_pred, labels=range(10))
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("rf").run()
    matrix = next(block.value for block in at.html if "true ↓ pred. →" in block.value)
    cells = re.findall(r'data-cell="(\d+)"[^>]*title="true (\d) → predicted (\d): ([\d,]+) images"[^>]*>([^<]+)</td>',
                       matrix)
    assert [int(index) for index, *_ in cells] == list(range(100))
    assert [int(text) for *_, text in cells] == expected.ravel().tolist()
    assert [(int(t), int(p)) for _, t, p, *_ in cells] == [divmod(i, 10) for i in range(100)]
    off = expected - np.diag(np.diag(expected))
    true, predicted = np.unravel_index(off.argmax(), off.shape)
    at.session_state[CELL + "errors_matrix"] = int(true * 10 + predicted)
    at.run()
    assert_clean(at)
    assert at.query_params["cell"] == f"{true}-{predicted}"
    assert f"True {true} → predicted {predicted}: {off[true, predicted]} images (mistakes)</h3>" in _view(at)
    at.radio(key="errors_norm").set_value("row shares").run()
    matrix = next(block.value for block in at.html if "true ↓ pred. →" in block.value)
    shares = [float(text) for text in re.findall(r'data-cell="\d+"[^>]*>([^<]+)</td>', matrix)]
    assert np.allclose(shares, (expected / expected.sum(axis=1, keepdims=True)).ravel(), atol=0.005)
    assert f'data-cell="{true * 10 + predicted}" aria-pressed="true"' in matrix


def test_a_confused_pair_opens_its_cell_and_the_pills_are_ready_for_the_next(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    counts = confusion_matrix(pred.y_true, pred.y_pred, labels=range(10))
    np.fill_diagonal(counts, 0)
    true, predicted = np.unravel_index(counts.argmax(), counts.shape)
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("rf").run()
    pills = at.pills(key="errors_pairs")
    assert pills.options[0].startswith(f"{true} → {predicted}: {counts[true, predicted]:,} (")
    pills.set_value(f"{true}-{predicted}").run()
    assert_clean(at)
    assert at.query_params["cell"] == f"{true}-{predicted}"
    assert f"True {true} → predicted {predicted}: {counts[true, predicted]} images (mistakes)</h3>" in _view(at)
    assert at.pills(key="errors_pairs").value is None


def test_picking_a_cell_updates_the_url_and_pages_through_large_cells(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("rf").run()
    at.selectbox(key="errors_true_pick").set_value("1")
    at.selectbox(key="errors_pred_pick").set_value("1").run()
    assert_clean(at)
    assert at.query_params["cell"] == "1-1" and at.query_params["model"] == "rf"
    assert at.selectbox(key="errors_true_pick").value is None and at.selectbox(key="errors_pred_pick").value is None
    rows = np.flatnonzero((pred.y_true == 1) & (pred.y_pred == 1))
    assert rows.size > 18
    expected = rows[np.argsort(-pred.scores[rows].max(axis=1), kind="stable")]
    first = _gallery_rows(at)[:18]
    at.session_state[PAGE + "errors_matrix"] = 2
    at.run()
    assert_clean(at)
    second = _gallery_rows(at)[:18]
    assert first == expected[:18].tolist() and second == expected[18:36].tolist()


def test_two_model_view_counts_disagreements(monkeypatch, artifact_dir, stored):
    a, b = stored.predictions("sgd"), stored.predictions("rf")
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("sgd").run()
    at.selectbox(key="errors_other").set_value("rf").run()
    assert_clean(at)
    a_right_b_wrong = int(np.sum((a.y_pred == a.y_true) & (b.y_pred != b.y_true)))
    assert any(f"A right, B wrong: {a_right_b_wrong:,}" in c.value for c in at.caption)
    b_right_a_wrong = int(np.sum((b.y_pred == b.y_true) & (a.y_pred != a.y_true)))
    p = binomtest(a_right_b_wrong, a_right_b_wrong + b_right_a_wrong, 0.5).pvalue
    words = "significant" if p < 0.05 else "not significant"
    assert any(f"{words} at 5%: {a_right_b_wrong} vs {b_right_a_wrong} images (p = {p:.3g})" in c.value
               for c in at.caption)


CAPTION = re.compile(r"#(\d+) · true <b>(\w+)</b> → <b>(\w+)</b> \(([^)]+)\)<br>top-3: (.+?)</figcaption>")


def test_two_model_gallery_shows_the_wrong_models_temperature_softmax(monkeypatch, artifact_dir, stored):
    a, b = stored.predictions("rf"), stored.predictions("sgd")
    assert b.score_kind == "decision" and b.temperature != 1.0
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("rf").run()
    at.selectbox(key="errors_other").set_value("sgd").run()
    assert_clean(at)
    probs = softmax(b.scores.astype(np.float64) / b.temperature, axis=1)
    rows = np.flatnonzero((a.y_pred == a.y_true) & (b.y_pred != b.y_true))
    gallery = next(block.value for block in at.html if 'alt="test image' in block.value)
    shown = CAPTION.findall(html.unescape(gallery))
    order = np.array([int(s[0]) for s in shown])
    assert len(order) == min(rows.size, 18) and set(order) <= set(rows)
    confidence, rest = probs[order].max(axis=1), probs[np.setdiff1d(rows, order)].max(axis=1)
    assert np.all(np.diff(confidence) <= 1e-6) and np.all(rest <= confidence.min() + 1e-6)
    for index, true, predicted, percent, top in shown:
        row = int(index)
        assert (true, predicted) == (str(b.y_true[row]), str(b.y_pred[row]))
        low, high = percent_bounds(percent)
        assert low - 1e-6 <= probs[row].max() <= high + 1e-6
        best = np.argsort(-probs[row])[:3]
        parts = [part.split() for part in top.split(" · ")]
        assert [int(c) for c, _ in parts] == best.tolist()
        for (_, text), value in zip(parts, probs[row, best]):
            low, high = percent_bounds(text)
            assert low - 1e-6 <= value <= high + 1e-6
    plain = softmax(b.scores[order].astype(np.float64), axis=1).max(axis=1)
    assert np.any(np.abs(plain - confidence) > 0.01)


def open_thresholds(monkeypatch, root, *, model: str, digit: str):
    """The Thresholds page on ``root`` with ``model`` and one-vs-rest ``digit`` picked."""
    at = open_app(monkeypatch, root, "app_pages/thresholds.py")
    at.selectbox(key="thresholds_model").set_value(model).run()
    at.selectbox(key="thresholds_digit").set_value(digit).run()
    return at


def panel(at, key: str) -> dict:
    """What the page sent the Thresholds panel ``key`` in the last run."""
    assert_clean(at)
    return at.session_state[PANEL + key]


def test_the_panel_holds_the_operating_point_of_every_slider_position(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    at = open_thresholds(monkeypatch, artifact_dir, model="rf", digit="3")
    sent = panel(at, "thresholds_panel_rf_3_probability")
    table = sent["table"]
    assert sent["position"] == 100 and len(table["value"]) == 201 and "decision" not in table
    y = pred.y_true == 3
    for position in (0, 60, 100, 140, 200):
        threshold = table["value"][position]
        positive = pred.scores[:, 3] >= threshold
        assert table["threshold"][position] == pytest.approx(position / 200)
        assert table["precision"][position] == pytest.approx(precision_score(y, positive, zero_division=0), abs=1e-6)
        assert table["recall"][position] == pytest.approx(recall_score(y, positive), abs=1e-6)
        assert table["f1"][position] == pytest.approx(f1_score(y, positive, zero_division=0), abs=1e-6)
        assert table["fpr"][position] == pytest.approx(np.mean(positive[~y]), abs=1e-6)
        assert (table["tp"][position], table["fp"][position]) == ((positive & y).sum(), (positive & ~y).sum())
    assert len(sent["charts"]) == 3 and all(c.startswith("<svg") for c in sent["charts"])

    assert sent["last"]["table"] is not None and sent["last"]["images"]
    at.run()
    again = panel(at, "thresholds_panel_rf_3_probability")["last"]
    assert again["table"] is None and again["charts"] is None and again["images"] == {}, \
        "a rerun at the same position sends nothing the tab already holds"


def test_a_new_position_brings_the_mistakes_nearest_its_threshold(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    key = "thresholds_panel_rf_8_probability"
    at = open_thresholds(monkeypatch, artifact_dir, model="rf", digit="8")
    table = panel(at, key)["table"]
    first = set(panel(at, key)["images"])
    at.session_state[key] = {"position": 51}
    at.run()
    images = panel(at, key)["last"]["images"]
    p, y = pred.scores[:, 8], pred.y_true == 8
    false_pos = np.flatnonzero(~y & (p >= 0.255))
    false_neg = np.flatnonzero(y & (p < 0.255))
    shown_fp, shown_fn = table["falsePos"][51], table["falseNeg"][51]
    assert false_pos.size and false_neg.size
    assert sorted(p[shown_fp]) == sorted(np.sort(p[false_pos])[:6]) and set(shown_fp) <= set(false_pos)
    assert sorted(p[shown_fn]) == sorted(np.sort(p[false_neg])[::-1][:6]) and set(shown_fn) <= set(false_neg)
    assert set(shown_fp + shown_fn) <= first | set(images) and not first & set(images)
    held = {**panel(at, key)["images"]}
    for row in shown_fp + shown_fn:
        label = pred.class_names[int(pred.y_true[row])]
        assert f'data-index="{row}"' in held[row] and "<figcaption" in held[row]
        assert f"#{row} · true <b>{label}</b> · p('8') " in held[row], held[row]

    at.session_state[key] = {"position": 999}
    at.run()
    assert panel(at, key)["position"] == 100, "a position outside the slider falls back to the start"


def test_clicking_a_panel_image_opens_its_story(monkeypatch, artifact_dir):
    key = "thresholds_panel_rf_8_probability"
    at = open_thresholds(monkeypatch, artifact_dir, model="rf", digit="8")
    row = panel(at, key)["table"]["falseNeg"][100][0]
    at.session_state[CLICK + key] = row
    at.run()
    assert_clean(at)
    assert any(f"**Test image #{row}**" in m.value for m in at.markdown)
    nearest = open_artifacts(artifact_dir).explore()["distances"][:, 0]
    placed = f"farther than {100 * (nearest < nearest[row]).mean():.1f}% of the test images"
    assert any(placed in m.value for m in at.markdown), "where the image lies among the test images"
    assert bool(at.warning) == (nearest[row] > np.percentile(nearest, 99))


def test_target_precision_picks_the_lowest_threshold_that_reaches_it(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("sgd")
    at = open_thresholds(monkeypatch, artifact_dir, model="sgd", digit="5")
    at.segmented_control(key="thresholds_by").set_value("precision").run()
    sent = panel(at, "thresholds_panel_sgd_5_precision")
    table, at_start = sent["table"], sent["position"]
    assert table["value"][at_start] == 0.9 and "Lowest precision" in sent["text"]["label"]
    proba = softmax(pred.scores.astype(np.float64) / pred.temperature, axis=1)[:, 5]
    precision, recall, thresholds = precision_recall_curve(pred.y_true == 5, proba)
    chosen = np.argmax(precision[:-1] >= 0.9)
    assert table["precision"][at_start] >= 0.9 - 5e-4
    assert abs(table["recall"][at_start] - recall[chosen]) <= 1 / np.sum(pred.y_true == 5) + 5e-4
    nearest = np.flatnonzero(proba >= table["threshold"][at_start])
    assert table["decision"][at_start] == pytest.approx(pred.scores[nearest[np.argmin(proba[nearest])], 5], abs=1e-3)


def test_binary_detector_threshold_is_its_probability(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("is5")
    at = open_app(monkeypatch, artifact_dir, "app_pages/thresholds.py")
    at.selectbox(key="thresholds_model").set_value("is5").run()
    sent = panel(at, "thresholds_panel_is5_1_probability")
    assert sent["table"]["value"][sent["position"]] == 0.5
    y = pred.y_true == 1
    assert sent["table"]["recall"][sent["position"]] == pytest.approx(recall_score(y, pred.scores[:, 1] >= 0),
                                                                      abs=1e-6)


def test_abstain_threshold_keeps_the_confident_rows(monkeypatch, artifact_dir, stored):
    pred = stored.predictions("rf")
    at = open_app(monkeypatch, artifact_dir, "app_pages/thresholds.py")
    at.segmented_control(key="thresholds_mode").set_value("abstain").run()
    at.selectbox(key="thresholds_model").set_value("rf").run()
    at.slider(key="thresholds_conf_rf").set_value(0.6).run()
    assert_clean(at)
    kept = pred.scores.max(axis=1) >= 0.6
    shown = metrics(at)
    assert shown["Coverage"] == f"{kept.mean():.1%}"
    assert shown["Kept"] == f"{kept.sum():,}"
    assert shown["Accuracy on kept"] == f"{np.mean(pred.y_pred[kept] == pred.y_true[kept]):.4f}"


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).resize((112, 112), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_shows_every_models_prediction(monkeypatch, artifact_dir, stored):
    data, pred = stored.data(), stored.predictions("rf")
    confident = np.flatnonzero((pred.y_pred == pred.y_true) & (pred.scores.max(axis=1) > 0.9))
    image = data.X_test[confident[0]].reshape(data.image_shape)
    at = open_app(monkeypatch, artifact_dir, "app_pages/draw.py")
    assert any('role="note"' in block.value and "Nothing drawn yet" in block.value for block in at.html)
    at.segmented_control(key="draw_source").set_value("upload").run()
    assert any("Nothing drawn yet" in i.value for i in at.info)
    at.file_uploader(key="draw_upload").set_value(("digit.png", _png(image), "image/png")).run()
    assert_clean(at)
    table = next(block.value for block in at.html if "data-model" in block.value)
    answered = dict(re.findall(r'data-model="([^"]+)"><b>([^<]+)</b>', table))
    assert sorted(answered) == sorted(n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass")
    assert answered["rf"] == str(pred.y_true[confident[0]])
    assert "what the models see" in next(block.value for block in at.html if "the model input" in block.value)
    row = answers.digit_row(image_to_mnist(_png(image)), image_shape=data.image_shape)
    arrays = stored.explore()
    expected = embedding.NeighbourIndex(arrays["train_features"], data.y_train).query(
        stored.load_feature_space().transform(row)).indices[0]
    nearest = next(block.value for block in at.html if "training image" in block.value)
    assert [int(n) for n in re.findall(r'alt="training image (\d+)"', nearest)] == expected.tolist()
    label, share = embedding.majority(data.y_train[expected])
    assert f"{share:.0%} of the {len(expected)} nearest are <b>{label}</b>" in nearest
    distance = np.linalg.norm(arrays["train_features"][expected[0]] - stored.load_feature_space().transform(row)[0])
    below = (arrays["distances"][:, 0] < distance).mean()
    assert f"farther than {100 * below:.1f}% of the test images" in nearest
    assert "does not look like a digit" not in nearest


def test_an_upload_unlike_any_digit_is_called_unusual(monkeypatch, artifact_dir, stored):
    block = np.zeros((28, 28), dtype=np.uint8)
    block[4:24, 4:24] = 255
    at = open_app(monkeypatch, artifact_dir, "app_pages/draw.py")
    at.segmented_control(key="draw_source").set_value("upload").run()
    at.file_uploader(key="draw_upload").set_value(("block.png", _png(block), "image/png")).run()
    assert_clean(at)
    nearest = next(block.value for block in at.html if "training image" in block.value)
    assert "This does not look like a digit from the data set" in nearest


def _drawing(image: np.ndarray) -> str:
    """A 28x28 digit drawn at 10x on the 280x280 canvas, as the PNG data URL the canvas sends."""
    big = np.kron(image, np.ones((10, 10), dtype=np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([big, big, big, np.full_like(big, 255)])).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_a_drawing_gets_every_models_answer_and_undoing_it_clears_them(monkeypatch, artifact_dir, stored):
    data, pred = stored.data(), stored.predictions("rf")
    confident = np.flatnonzero((pred.y_pred == pred.y_true) & (pred.scores.max(axis=1) > 0.9))
    image = data.X_test[confident[1]].reshape(data.image_shape)
    at = open_app(monkeypatch, artifact_dir, "app_pages/draw.py")
    at.session_state[DRAW + "draw_canvas"] = _drawing(image)
    at.run()
    assert_clean(at)
    table = next(block.value for block in at.html if "data-model" in block.value)
    answered = dict(re.findall(r'data-model="([^"]+)"><b>([^<]+)</b>', table))
    assert answered["rf"] == str(pred.y_true[confident[1]])
    at.session_state[DRAW + "draw_canvas"] = None
    at.run()
    assert any("Nothing drawn yet" in block.value for block in at.html)
    assert not any("data-model" in block.value for block in at.html)


def test_a_damaged_drawing_says_to_draw_again(monkeypatch, artifact_dir):
    at = open_app(monkeypatch, artifact_dir, "app_pages/draw.py")
    at.session_state[DRAW + "draw_canvas"] = "data:image/png;base64,bm90IGEgcG5n"
    at.run()
    assert_clean(at)
    alerts = [block.value for block in at.html if 'role="alert"' in block.value]
    assert len(alerts) == 1
    message = re.sub(r"<[^>]+>", "", alerts[0])
    assert message.startswith("The drawing arrived damaged") and message.endswith("draw the digit again.")
    assert not any("data-model" in block.value for block in at.html)


def test_bad_upload_says_what_was_wrong(monkeypatch, artifact_dir):
    at = open_app(monkeypatch, artifact_dir, "app_pages/draw.py")
    at.segmented_control(key="draw_source").set_value("upload").run()
    at.file_uploader(key="draw_upload").set_value(("digit.png", b"this is not a picture", "image/png")).run()
    assert_clean(at)
    assert any("not a picture Digit Lens can read" in e.value for e in at.error)
    assert not any("Nothing drawn yet" in i.value for i in at.info)


def test_empty_folder_offers_to_build_and_the_build_opens_the_app(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "empty")
    assert_clean(at)
    assert any("No artifacts" in i.value for i in at.info)
    assert any("python -m core build" in c.value for c in at.code)
    at.radio(key="setup_dataset").set_value("digits").run()
    assert "--dataset digits" in at.code[0].value
    at.button(key="setup_build").click().run()
    assert_clean(at)
    assert (tmp_path / "empty" / MANIFEST).is_file()
    assert [t.value for t in at.title] == ["Data"]


def test_a_read_only_server_never_builds_nor_asks_for_a_path(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGIT_LENS_READ_ONLY", "1")
    at = open_app(monkeypatch, tmp_path / "empty")
    assert_clean(at)
    assert any("read-only" in i.value for i in at.info)
    assert not at.button and not at.text_input and not at.radio
    assert "-m core build" in at.code[0].value
    assert not (tmp_path / "empty").exists()


def test_the_build_button_says_a_build_is_running_instead_of_starting_another(monkeypatch, tmp_path):
    root = tmp_path / "busy"
    with art.build_lock(root):
        at = open_app(monkeypatch, root)
        assert_clean(at)
        assert any(f"process {os.getpid()}" in i.value for i in at.info)
        assert at.button(key="setup_build").disabled
    at.run()
    assert not at.button(key="setup_build").disabled


def test_missing_mnist_offers_the_bundled_digits(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGIT_LENS_CACHE", str(tmp_path / "cache"))
    at = open_app(monkeypatch, tmp_path / "art")
    at.text_input(key="setup_data_dir").set_value(str(tmp_path / "no-mnist-here")).run()
    at.button(key="setup_build").click().run()
    assert_clean(at)
    assert any("MNIST is not available" in e.value for e in at.error)
    at.button(key="setup_use_digits").click().run()
    assert_clean(at)
    assert open_artifacts(tmp_path / "art").dataset["name"] == "digits"


def test_checksum_mismatch_warns_and_offers_a_rebuild(monkeypatch, artifact_dir, tmp_path):
    root = tmp_path / "corrupt"
    shutil.copytree(artifact_dir, root)
    manifest = json.loads((root / MANIFEST).read_text())
    (root / manifest["models"]["rf"]["files"]["predictions"]).write_bytes(b"damaged")
    at = open_app(monkeypatch, root)
    assert_clean(at)
    assert any("does not match its checksum" in w.value for w in at.warning)
    assert at.button(key="setup_build") is not None


def test_other_sklearn_version_warns_but_shows_stored_results(monkeypatch, artifact_dir, tmp_path):
    root = tmp_path / "old"
    shutil.copytree(artifact_dir, root)
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["versions"]["sklearn"] = "0.0.1"
    (root / MANIFEST).write_text(json.dumps(manifest))
    at = open_app(monkeypatch, root, "app_pages/errors.py")
    assert_clean(at)
    assert any("sklearn 0.0.1" in w.value for w in at.warning)
    assert [t.value for t in at.title] == ["Errors"]
    at.switch_page("app_pages/draw.py").run()
    assert_clean(at)
    assert any("cannot be used here" in w.value for w in at.warning)


@pytest.mark.parametrize("cell", ["²-1", "9" * 5000 + "-1", "3-5-7", "-1--1"])
def test_an_edited_cell_in_the_url_is_ignored_without_a_traceback(monkeypatch, artifact_dir, cell):
    monkeypatch.setenv("DIGIT_LENS_ARTIFACTS", str(artifact_dir))
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/errors.py").run()
    at.query_params["model"] = "rf"
    at.query_params["cell"] = cell
    at.run()
    assert_clean(at)
    assert at.selectbox(key="errors_model_pick").value == "rf", "the URL was read"
    assert "Click a cell of the matrix" in _view(at)


def test_thresholds_and_errors_cope_with_a_digit_missing_from_training(monkeypatch, tmp_path):
    digits = load_dataset("digits")
    keep = digits.y_train != 3
    build(dataset=replace(digits, X_train=digits.X_train[keep], y_train=digits.y_train[keep]),
          artifacts_dir=tmp_path, models="sgd,rf")
    at = open_app(monkeypatch, tmp_path)
    assert_clean(at)
    at.switch_page("app_pages/thresholds.py").run()
    at.selectbox(key="thresholds_digit").set_value("3").run()
    for model in ("sgd", "rf"):
        at.selectbox(key="thresholds_model").set_value(model).run()
        sent = panel(at, f"thresholds_panel_{model}_3_probability")
        assert sent["table"]["recall"][sent["position"]] == 0.0
    at.switch_page("app_pages/errors.py").run()
    assert_clean(at)


def test_pages_open_on_the_strongest_model_then_on_the_one_the_user_picked_last(monkeypatch, artifact_dir, stored):
    names = [n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass"]
    accuracy = {n: float(np.mean(stored.predictions(n).y_pred == stored.predictions(n).y_true)) for n in names}
    strongest = max(names, key=accuracy.get)
    assert sorted(accuracy.values())[-1] > sorted(accuracy.values())[-2], "the small set has one strongest model"
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    assert at.selectbox(key="errors_model_pick").value == strongest
    other = min(names, key=accuracy.get)
    at.selectbox(key="errors_model_pick").set_value(other).run()
    assert at.query_params["model"] == other
    for page, key in (("app_pages/slices.py", "slices_model_pick"), ("app_pages/explore.py", "explore_model_pick"),
                      ("app_pages/thresholds.py", "thresholds_model")):
        at.switch_page(page).run()
        assert_clean(at)
        assert at.selectbox(key=key).value == other, page


def test_the_thresholds_page_opens_on_the_strongest_multiclass_model_not_a_detector(monkeypatch, artifact_dir, stored):
    accuracy = {n: float(np.mean(stored.predictions(n).y_pred == stored.predictions(n).y_true))
                for n in stored.model_names}
    multiclass = [n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass"]
    detectors = [n for n in stored.model_names if stored.model_info(n)["task"] == "binary"]
    assert detectors and max(accuracy[n] for n in detectors) > max(accuracy[n] for n in multiclass)
    at = open_app(monkeypatch, artifact_dir, "app_pages/thresholds.py")
    assert_clean(at)
    assert at.selectbox(key="thresholds_model").value == max(multiclass, key=accuracy.get)
