"""The build's CNN step on a real MNIST slice: stored as ONNX, scored by onnxruntime, reused, and skipped
without PyTorch."""

import json
import subprocess
import sys

import numpy as np
import pytest

from core import artifacts as art
from core.__main__ import main
from core.analysis.explanations import explain_test_image
from core.analysis.report import report_json
from core.artifacts import deep_build, open_artifacts
from core.artifacts.build import build
from core.models import deep, onnx_model


@pytest.fixture(scope="module")
def cnn_build(tmp_path_factory, mnist_small):
    root = tmp_path_factory.mktemp("cnn-artifacts")
    return root, build(dataset=mnist_small, artifacts_dir=root, models="sgd,cnn", epochs=1, seed=0)


def test_the_cnn_is_stored_as_a_checksummed_onnx_graph_with_its_training_curve(cnn_build, mnist_small):
    root, result = cnn_build
    assert result.built == ["sgd", "cnn"] and result.skipped == {}
    entry = json.loads((root / art.MANIFEST).read_text())["models"]["cnn"]
    assert entry["files"]["model"].endswith(".onnx") and not list(root.glob("models/cnn-*.joblib"))
    assert art.sha256_file(root / entry["files"]["model"]) == entry["sha256"][entry["files"]["model"]]
    assert entry["onnx_input"]["layout"] == "nchw" and entry["onnx_input"]["output"] == "proba"
    assert entry["training_curve"]["epoch"] == [1] and entry["metrics"]["n_train"] == len(mnist_small.y_train) - 300
    assert entry["params"]["epochs"] == "1" and entry["metrics"]["cv_mean"] is None


def test_the_loaded_cnn_scores_like_the_stored_predictions(cnn_build, mnist_small):
    root, _ = cnn_build
    artifacts = open_artifacts(root)
    model = artifacts.load_model("cnn")
    assert isinstance(model, onnx_model.OnnxClassifier)
    stored = artifacts.predictions("cnn")
    assert np.array_equal(model.predict(mnist_small.X_test), stored.y_pred)
    np.testing.assert_allclose(model.predict_proba(mnist_small.X_test[:50]), stored.scores[:50], atol=1e-6)
    accuracy = float((stored.y_pred == mnist_small.y_test).mean())
    assert artifacts.model_info("cnn")["metrics"]["test_accuracy"] == pytest.approx(accuracy)
    reported = json.loads(report_json(artifacts))
    cnn = next(row for row in reported["models"] if row["name"] == "cnn")
    assert cnn["test_accuracy"] == pytest.approx(accuracy)


def test_the_dashboard_side_loads_the_cnn_without_pytorch(cnn_build, mnist_small):
    root, _ = cnn_build
    script = ("import sys\n"
              "class NoTorch:\n"
              "    def find_spec(self, name, path=None, target=None):\n"
              "        if name.split('.')[0] == 'torch': raise ImportError('PyTorch is blocked')\n"
              "sys.meta_path.insert(0, NoTorch())\n"
              "from core.artifacts import open_artifacts\n"
              f"a = open_artifacts({str(root)!r})\n"
              "right = (a.load_model('cnn').predict(a.data().X_test) == a.predictions('cnn').y_pred).sum()\n"
              "assert 'torch' not in sys.modules\n"
              "print(int(right))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(mnist_small.y_test)


def test_an_unchanged_cnn_is_reused_and_other_epochs_retrain_it(cnn_build, mnist_small):
    root, _ = cnn_build
    again = build(dataset=mnist_small, artifacts_dir=root, models="cnn", epochs=1, seed=0)
    assert again.reused == ["cnn"] and again.built == []
    more = build(dataset=mnist_small, artifacts_dir=root, models="cnn", epochs=2, seed=0)
    assert more.built == ["cnn"]
    assert open_artifacts(root).model_info("cnn")["training_curve"]["epoch"] == [1, 2]


def test_without_pytorch_naming_the_cnn_fails_in_one_line_and_a_group_skips_it(monkeypatch, tmp_path, mnist_small,
                                                                              capsys):
    monkeypatch.setattr(deep, "torch_version", lambda: None)
    with pytest.raises(ValueError, match="pip install -r requirements-deep.txt"):
        build(dataset=mnist_small, artifacts_dir=tmp_path, models="sgd,cnn")
    assert not list(tmp_path.rglob("*.npz"))
    names, skipped = deep_build.buildable("all")
    assert "cnn" not in names and "sgd" in names and set(skipped) == {"cnn"}
    assert main(["build", "--dataset", "digits", "--models", "cnn", "--artifacts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "requirements-deep.txt" in err


def test_the_cnn_is_explained_through_its_onnx_graph(cnn_build, mnist_small):
    root, _ = cnn_build
    artifacts = open_artifacts(root)
    found = explain_test_image(artifacts, "cnn", row=4)
    stored = artifacts.predictions("cnn").scores[4]
    target = found["target"]
    assert target == found["predicted"] == str(int(np.argmax(stored)))
    other = int(found["other"])
    assert found["score"] == pytest.approx(stored[int(target)] - stored[other], abs=1e-5)
    assert np.isfinite(found["map"]).all() and np.asarray(found["map"]).shape == (28, 28)
