"""Imported models on every page: a predictions-only import and an ONNX model beside a built one (MNIST slice)."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data import subset
from core.artifacts.imports import import_model, import_predictions
from dashboard import registry
from tests.dashboard.apptest import assert_clean, open_app
from tests.onnx_graphs import conv_graph

PREDICTIONS_ONLY = "mycnn (predictions only)"
ONNX = "conv (imported ONNX)"


@pytest.fixture(scope="module")
def imported_dir(tmp_path_factory, mnist):
    """sgd built on 1,000 / 300 MNIST images, a logistic regression's test probabilities imported as ``mycnn``
    and the same regression as a convolutional ONNX graph imported as ``conv``."""
    small = subset(mnist, train_size=1000, test_size=300, seed=1)
    root = tmp_path_factory.mktemp("imported") / "artifacts"
    build(dataset=small, artifacts_dir=root, models="sgd")
    logreg = LogisticRegression(max_iter=300).fit(small.X_train / 255.0, small.y_train)
    folder = root.parent
    pd.DataFrame(logreg.predict_proba(small.X_test / 255.0), columns=[str(d) for d in range(10)]).to_csv(
        folder / "mycnn.csv", index=False)
    (folder / "conv.onnx").write_bytes(conv_graph(logreg.coef_, logreg.intercept_))
    import_predictions(root, "mycnn", folder / "mycnn.csv")
    import_model(root, "conv", folder / "conv.onnx")
    return root


@pytest.mark.parametrize("page", registry.PAGES, ids=[p.url_path for p in registry.PAGES])
def test_imported_models_show_on_every_page(monkeypatch, imported_dir, page):
    at = open_app(monkeypatch, imported_dir, page)
    assert_clean(at)
    assert not at.error
    sidebar = at.multiselect(key="models")
    assert sidebar.value == ["sgd", "mycnn", "conv"]
    assert sidebar.options[1:] == [PREDICTIONS_ONLY, ONNX]


def test_models_page_compares_imported_models_from_their_stored_predictions(monkeypatch, imported_dir):
    stored = open_artifacts(imported_dir)
    at = open_app(monkeypatch, imported_dir, "app_pages/models.py")
    table = at.dataframe[0].value
    for name in ("mycnn", "conv"):
        pred = stored.predictions(name)
        assert table.loc[name, "test_accuracy"] == pytest.approx(np.mean(pred.y_pred == pred.y_true))
    assert table.loc["mycnn", "label"] == PREDICTIONS_ONLY and pd.isna(table.loc["mycnn", "predict_ms"])
    assert table.loc["conv", "predict_ms"] > 0


def test_errors_page_opens_an_imported_models_confusion_cell(monkeypatch, imported_dir):
    pred = open_artifacts(imported_dir).predictions("mycnn")
    wrong = np.flatnonzero(pred.y_pred != pred.y_true)
    true, predicted = int(pred.y_true[wrong[0]]), int(pred.y_pred[wrong[0]])
    at = open_app(monkeypatch, imported_dir)
    at.query_params.update({"model": "mycnn", "cell": f"{true}-{predicted}"})
    at.switch_page("app_pages/errors.py").run()
    assert_clean(at)
    gallery = next(block.value for block in at.html if 'alt="test image' in block.value)
    shown = [int(n) for n in re.findall(r'alt="test image (\d+)"', gallery)]
    expected = np.flatnonzero((pred.y_true == true) & (pred.y_pred == predicted))
    assert sorted(shown) == expected.tolist()


def test_draw_page_asks_the_onnx_model_and_says_the_predictions_only_one_cannot(monkeypatch, imported_dir):
    aset = open_artifacts(imported_dir)
    data, pred = aset.data(), aset.predictions("conv")
    row = int(np.flatnonzero((pred.y_pred == pred.y_true) & (pred.scores.max(axis=1) > 0.95))[0])
    buffer = io.BytesIO()
    Image.fromarray(data.X_test[row].reshape(data.image_shape)).resize((112, 112), Image.NEAREST).save(buffer, "PNG")
    at = open_app(monkeypatch, imported_dir, "app_pages/draw.py")
    assert any(PREDICTIONS_ONLY in w.value and "cannot score new drawings" in w.value for w in at.warning)
    at.segmented_control(key="draw_source").set_value("upload").run()
    at.file_uploader(key="draw_upload").set_value(("digit.png", buffer.getvalue(), "image/png")).run()
    assert_clean(at)
    table = next(block.value for block in at.html if "data-model" in block.value)
    answers = dict(re.findall(r'data-model="([^"]+)"><b>([^<]+)</b>', table))
    assert sorted(answers) == ["conv", "sgd"]
    assert answers["conv"] == str(data.y_test[row])
