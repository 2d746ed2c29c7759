"""Importing your own model into a built MNIST artifact set: predictions files, ONNX and scikit-learn models.

The imported models are real: a logistic regression and a PCA pipeline fitted here on an MNIST slice,
exported to ONNX by skl2onnx or written into a convolutional graph with ``onnx.helper``.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core import artifacts as art
from core.__main__ import main
from core.artifacts import CorruptArtifacts, MissingArtifacts, PredictionsOnly, open_artifacts
from core.artifacts.build import build
from core.data import subset
from core.artifacts.imports import InvalidImport, import_model, import_predictions, remove_model
from core.models.onnx_model import InputSpec, OnnxClassifier
from tests.onnx_graphs import conv_graph, sklearn_onnx

CLASSES = [str(d) for d in range(10)]


@pytest.fixture(scope="module")
def small(mnist):
    return subset(mnist, train_size=1000, test_size=300, seed=1)


@pytest.fixture(scope="module")
def built(tmp_path_factory, small):
    root = tmp_path_factory.mktemp("imports") / "artifacts"
    build(dataset=small, artifacts_dir=root, models="sgd")
    return root


@pytest.fixture
def root(built, tmp_path):
    """A fresh copy of the built set for every test."""
    return Path(shutil.copytree(built, tmp_path / "artifacts"))


@pytest.fixture(scope="module")
def logreg(small):
    return LogisticRegression(max_iter=300).fit(small.X_train / 255.0, small.y_train)


@pytest.fixture(scope="module")
def proba(logreg, small) -> pd.DataFrame:
    return pd.DataFrame(logreg.predict_proba(small.X_test / 255.0), columns=CLASSES)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != art.LOCK_FILE}


def test_predictions_csv_becomes_a_model_entry(root, proba, small, tmp_path):
    path = tmp_path / "mycnn.csv"
    proba.to_csv(path, index=False)
    result = import_predictions(root, "mycnn", path)
    aset = open_artifacts(root)
    assert aset.model_names == ["sgd", "mycnn"]
    pred = aset.predictions("mycnn")
    np.testing.assert_allclose(pred.scores, proba.to_numpy(), atol=1e-6)
    np.testing.assert_array_equal(pred.y_pred, proba.to_numpy().argmax(axis=1))
    np.testing.assert_array_equal(pred.y_true, small.y_test)
    info = aset.model_info("mycnn")
    assert info["title"] == "mycnn (predictions only)" and "model" not in info["files"]
    assert info["imported"] == {"kind": "predictions", "source": "mycnn.csv", "dataset_hash": small.content_hash}
    assert result.entry["metrics"]["test_accuracy"] == pytest.approx(np.mean(pred.y_pred == small.y_test))
    for relative, digest in aset.manifest["files"].items():
        assert art.sha256_file(root / relative) == digest
    with pytest.raises(PredictionsOnly, match="cannot score new drawings"):
        aset.load_model("mycnn")


def test_shuffled_rows_with_an_index_parquet_and_npz_give_the_same_entry(root, proba, tmp_path):
    order = np.random.default_rng(0).permutation(len(proba))
    shuffled = proba.iloc[order].assign(index=order, predicted=proba.to_numpy().argmax(axis=1)[order])
    shuffled.to_parquet(tmp_path / "a.parquet", index=False)
    np.savez(tmp_path / "b.npz", scores=proba.to_numpy()[order], index=order)
    import_predictions(root, "a", tmp_path / "a.parquet")
    import_predictions(root, "b", tmp_path / "b.npz")
    aset = open_artifacts(root)
    for name in ("a", "b"):
        np.testing.assert_allclose(aset.predictions(name).scores, proba.to_numpy(), atol=1e-6)
        np.testing.assert_array_equal(aset.predictions(name).y_pred, proba.to_numpy().argmax(axis=1))


def test_decision_values_are_stored_as_decision_and_predicted_labels_are_kept(root, logreg, small, tmp_path):
    logits = pd.DataFrame(logreg.decision_function(small.X_test / 255.0), columns=CLASSES)
    second = np.argsort(logits.to_numpy(), axis=1)[:, -2]  # a "model" that always says its runner-up
    logits.assign(predicted=second).to_csv(tmp_path / "logits.csv", index=False)
    import_predictions(root, "logits", tmp_path / "logits.csv", score_kind="decision")
    pred = open_artifacts(root).predictions("logits")
    assert pred.score_kind == "decision" and pred.temperature == 1.0
    np.testing.assert_array_equal(pred.y_pred, second)


def _with(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    """``frame`` with one cell changed (object dtype for a value that is not a number)."""
    frame = frame.astype(object) if isinstance(value, str) else frame.copy()
    frame.loc[row, column] = value
    return frame


DEFECTS = {
    "row count": (lambda f: f.iloc[:-1], "has 299 rows, but the artifact set has 300 test images"),
    "missing class": (lambda f: f.drop(columns="7"), "no column for class(es) 7"),
    "unknown column": (lambda f: f.rename(columns={"7": "p7"}), "unexpected column(s) 'p7'"),
    "NaN": (lambda f: _with(f, 5, "3", np.nan), "nan at line 7, column '3'"),
    "not summing to 1": (lambda f: f.mul(np.where(f.index == 4, 0.5, 1.0), axis=0),
                         "probabilities at line 6 sum to 0.5, not 1"),
    "outside 0-1": (lambda f: _with(f, 8, "2", 1.5), "probability 1.5 at line 10, column '2' is outside 0-1"),
    "label outside the classes": (lambda f: f.assign(predicted=np.where(f.index == 3, 12, 0)),
                                  "predicted label 12 at line 5 is not a class"),
    "not a number": (lambda f: _with(f, 2, "1", "abc"), "column '1' at line 4 holds 'abc', not a number"),
    "repeated index": (lambda f: f.assign(index=np.minimum(np.arange(len(f)), 298)),
                       "index 298 at line 301 appears twice"),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_defective_predictions_are_refused_in_one_line_and_write_nothing(root, proba, tmp_path, defect):
    change, message = DEFECTS[defect]
    path = tmp_path / "bad.csv"
    change(proba.copy()).to_csv(path, index=False)
    before = snapshot(root)
    with pytest.raises(InvalidImport) as caught:
        import_predictions(root, "bad", path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert snapshot(root) == before


def test_npz_of_the_wrong_shape_and_unreadable_files_are_refused(root, proba, tmp_path):
    before = snapshot(root)
    np.savez(tmp_path / "narrow.npz", scores=proba.to_numpy()[:, :9])
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(art.ArtifactError, match=r"'scores' has shape \(300, 9\); expected \(n_test, 10\)"):
        import_predictions(root, "narrow", tmp_path / "narrow.npz")
    with pytest.raises(art.ArtifactError, match="junk.parquet is not a readable PARQUET file"):
        import_predictions(root, "junk", tmp_path / "junk.parquet")
    with pytest.raises(art.ArtifactError, match="must be .csv, .parquet, .npz"):
        import_predictions(root, "txt", tmp_path / "p.txt")
    assert snapshot(root) == before


@pytest.mark.parametrize("name,message", [("sgd", "'sgd' is already in"), ("rf", "is a Digit Lens model's name"),
                                          ("../evil", "is not a model name")])
def test_names_of_built_models_are_refused(root, proba, tmp_path, name, message):
    proba.to_csv(tmp_path / "p.csv", index=False)
    before = snapshot(root)
    with pytest.raises(InvalidImport, match=message):
        import_predictions(root, name, tmp_path / "p.csv")
    assert snapshot(root) == before


@pytest.fixture(scope="module")
def pca_pipeline(small):
    """A scikit-learn Pipeline on raw 0-255 float rows (skl2onnx cannot convert core's own transformers)."""
    X = small.X_train.astype(np.float32)
    return make_pipeline(StandardScaler(), PCA(40, random_state=0), LogisticRegression(max_iter=500)).fit(
        X, small.y_train)


def test_onnx_export_of_a_sklearn_pipeline_predicts_like_the_original(root, pca_pipeline, small, tmp_path):
    path = tmp_path / "pca.onnx"
    path.write_bytes(sklearn_onnx(pca_pipeline, small.X_test.shape[1]))
    result = import_model(root, "pca", path, scale="byte")
    expected = pca_pipeline.predict(small.X_test.astype(np.float32))
    aset = open_artifacts(root)
    np.testing.assert_array_equal(aset.predictions("pca").y_pred, expected)
    np.testing.assert_allclose(aset.predictions("pca").scores,
                               pca_pipeline.predict_proba(small.X_test.astype(np.float32)), atol=1e-4)
    model = aset.load_model("pca")
    assert isinstance(model, OnnxClassifier)
    np.testing.assert_array_equal(model.predict(small.X_test), expected)
    info = aset.model_info("pca")
    assert info["imported"]["input"]["layout"] == "flat" and info["imported"]["input"]["output"] == "proba"
    assert info["files"]["model"].endswith(".onnx") and (root / info["files"]["model"]).read_bytes() == \
        path.read_bytes()
    assert result.entry["metrics"]["size_bytes"] == path.stat().st_size
    assert result.entry["metrics"]["predict_ms"] > 0


def test_pipeline_on_raw_pixels_is_imported_with_the_byte_scale_it_was_trained_on(root, pca_pipeline, small,
                                                                                   tmp_path, capsys):
    """No --input-scale: the default (0-1) is near chance on the labels, so the import takes 0-255 and says why."""
    path = tmp_path / "raw.onnx"
    path.write_bytes(sklearn_onnx(pca_pipeline, small.X_test.shape[1]))
    X = small.X_test.astype(np.float32)
    byte, unit = (accuracy_score(small.y_test, pca_pipeline.predict(x)) for x in (X, X / 255))
    assert unit < 0.2 < 0.7 < byte  # the pixels a user would feed by mistake give chance
    assert main(["import", "raw", "--model", str(path), "--artifacts", str(root)]) == 0
    out = capsys.readouterr().out
    info = open_artifacts(root).model_info("raw")
    assert info["imported"]["input"]["scale"] == "byte"
    assert info["metrics"]["test_accuracy"] == byte
    assert f"test accuracy {byte:.4f}" in out
    assert (f"Input scale byte chosen, not the default unit: accuracy on a stratified sample of 300 test images "
            f"{byte:.3f} with byte (floats 0-255), {unit:.3f} with unit (floats 0-1)") in out


def test_a_declared_scale_at_chance_is_refused_in_one_line_naming_the_other(root, pca_pipeline, small, tmp_path,
                                                                            capsys):
    path = tmp_path / "raw.onnx"
    path.write_bytes(sklearn_onnx(pca_pipeline, small.X_test.shape[1]))
    before = snapshot(root)
    assert main(["import", "raw", "--model", str(path), "--artifacts", str(root), "--input-scale", "unit"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: test accuracy ") and err.count("\n") == 1
    assert "with --input-scale unit (floats 0-1) is near chance (0.100); use --input-scale byte (floats 0-255)" in err
    assert snapshot(root) == before


def test_a_model_trained_on_unit_pixels_keeps_the_unit_scale(root, logreg, small, tmp_path):
    """Fed 0-255 it scores about as well (a linear model's argmax barely moves), which is no reason to switch."""
    path = tmp_path / "unit.onnx"
    path.write_bytes(sklearn_onnx(logreg, small.X_test.shape[1]))
    result = import_model(root, "unit", path)
    assert result.entry["imported"]["input"]["scale"] == "unit"
    assert result.entry["metrics"]["test_accuracy"] == accuracy_score(small.y_test, logreg.predict(small.X_test / 255))
    assert result.entry["description"] == "ONNX model imported from unit.onnx; input (N, 784) floats 0-1 -> proba."


def test_a_model_at_chance_with_every_scale_is_refused(root, logreg, tmp_path):
    """Its classes one off (each class's weights moved to the next class): no pixel scale can fix that."""
    path = tmp_path / "shifted.onnx"
    path.write_bytes(conv_graph(np.roll(logreg.coef_, 1, axis=0), np.roll(logreg.intercept_, 1)))
    before = snapshot(root)
    with pytest.raises(InvalidImport, match=r"accuracy on a stratified sample of 300 test images is near chance "
                                            r"\(0.100\) with every input scale \(0\.\d{3} with \w+ .*check it was "
                                            r"trained on this artifact set's classes 0..9, in order"):
        import_model(root, "shifted", path)
    with pytest.raises(InvalidImport, match=r"--input-scale unit \(floats 0-1\) gives 0\.\d{3} on a stratified "
                                            r"sample of 300 test images, near chance too"):
        import_model(root, "shifted", path, scale="byte")
    assert snapshot(root) == before


@pytest.mark.parametrize("layout,batch", [("nchw", "N"), ("nhwc", "N"), ("nchw", 1)])
def test_image_shaped_conv_graph_reads_its_layout_and_gives_logits(root, logreg, small, tmp_path, layout, batch):
    path = tmp_path / "conv.onnx"
    path.write_bytes(conv_graph(logreg.coef_, logreg.intercept_, layout=layout, batch=batch))
    import_model(root, "conv", path)
    aset = open_artifacts(root)
    spec = aset.model_info("conv")["imported"]["input"]
    assert (spec["layout"], spec["scale"], spec["output"], spec["batch"]) == (layout, "unit", "logits",
                                                                              1 if batch == 1 else None)
    expected = logreg.predict_proba(small.X_test / 255.0)
    np.testing.assert_allclose(aset.predictions("conv").scores, expected, atol=1e-5)
    np.testing.assert_array_equal(aset.load_model("conv").predict(small.X_test), logreg.predict(small.X_test / 255.0))


@pytest.mark.parametrize("flags,message", [
    ({"layout": "flat"}, r"--input-layout flat \(N, h\*w\) does not match the model's input 'image' of shape "
                         r"\(N, 1, 28, 28\)"),
    ({"scale": "uint8"}, r"--input-scale uint8 does not match the model's input 'image' of type tensor\(float\); "
                         "use --input-scale unit or byte"),
    ({"output": "proba"}, "--output proba, but the model's output for test image 0 is not probabilities"),
])
def test_declared_input_or_output_that_contradicts_the_graph_is_refused(root, logreg, tmp_path, flags, message):
    path = tmp_path / "conv.onnx"
    path.write_bytes(conv_graph(logreg.coef_, logreg.intercept_))
    before = snapshot(root)
    with pytest.raises(InvalidImport, match=message):
        import_model(root, "conv", path, **flags)
    assert snapshot(root) == before


def test_graph_for_other_images_or_not_onnx_is_refused(root, logreg, digits, tmp_path):
    small_images = tmp_path / "eight.onnx"
    coef = LogisticRegression(max_iter=200).fit(digits.X_train / 16.0, digits.y_train)
    small_images.write_bytes(conv_graph(coef.coef_, coef.intercept_, image_shape=(8, 8)))
    with pytest.raises(InvalidImport, match=r"input has shape \(N, 1, 8, 8\), but this artifact set's 28x28 images"):
        import_model(root, "eight", small_images)
    (tmp_path / "junk.onnx").write_bytes(b"\x00 not a graph")
    with pytest.raises(InvalidImport, match="junk.onnx cannot be run by onnxruntime"):
        import_model(root, "junk", tmp_path / "junk.onnx")


def test_onnx_classifier_pickles_its_bytes_not_its_session(logreg, small):
    graph = conv_graph(logreg.coef_, logreg.intercept_)
    spec = InputSpec(input_name="image", output_name="logits", layout="nchw", scale="unit", image_shape=(28, 28),
                     output="logits")
    model = OnnxClassifier(graph, spec=spec, n_classes=10)
    before = model.predict(small.X_test[:20])
    assert "_session" in model.__dict__ and "_session" not in model.__getstate__()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(small.X_test[:20]), before)


def test_sklearn_joblib_import_and_what_is_not_a_classifier(root, pca_pipeline, small, tmp_path):
    joblib.dump(pca_pipeline, tmp_path / "pca.joblib")
    import_model(root, "pca_skl", tmp_path / "pca.joblib")
    aset = open_artifacts(root)
    assert aset.model_info("pca_skl")["title"] == "pca_skl (imported scikit-learn)"
    np.testing.assert_array_equal(aset.predictions("pca_skl").y_pred, pca_pipeline.predict(small.X_test))
    np.testing.assert_array_equal(aset.load_model("pca_skl").predict(small.X_test), pca_pipeline.predict(small.X_test))
    before = snapshot(root)
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    with pytest.raises(InvalidImport, match="holds a dict, not a fitted scikit-learn classifier"):
        import_model(root, "d", tmp_path / "dict.joblib")
    named = LogisticRegression(max_iter=1000).fit(small.X_train[:200] / 255.0, small.y_train[:200].astype(str))
    joblib.dump(named, tmp_path / "named.joblib")
    with pytest.raises(InvalidImport, match="are not the class indices 0..9"):
        import_model(root, "named", tmp_path / "named.joblib")
    assert snapshot(root) == before


def test_imports_survive_a_rebuild_on_the_same_data_not_on_other_data(root, proba, logreg, small, mnist, tmp_path):
    proba.to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "conv.onnx").write_bytes(conv_graph(logreg.coef_, logreg.intercept_))
    import_predictions(root, "mine", tmp_path / "p.csv")
    import_model(root, "conv", tmp_path / "conv.onnx")
    kept = {name: open_artifacts(root).model_info(name) for name in ("mine", "conv")}
    result = build(dataset=small, artifacts_dir=root, models="rf")
    aset = open_artifacts(root)
    assert result.built == ["rf"] and aset.model_names == ["sgd", "rf", "mine", "conv"]
    assert {name: aset.model_info(name) for name in kept} == kept
    assert aset.load_model("conv").predict(small.X_test[:5]).tolist() == logreg.predict(small.X_test[:5] / 255).tolist()
    files = [root / rel for info in kept.values() for rel in info["files"].values()]
    build(dataset=subset(mnist, train_size=1000, test_size=300, seed=2), artifacts_dir=root, models="sgd")
    assert open_artifacts(root).model_names == ["sgd"]
    assert not any(path.exists() for path in files)


def test_remove_deletes_the_entry_and_its_files_only(root, proba, tmp_path):
    proba.to_csv(tmp_path / "p.csv", index=False)
    import_predictions(root, "mine", tmp_path / "p.csv")
    import_predictions(root, "other", tmp_path / "p.csv")
    files = open_artifacts(root).model_info("mine")["files"].values()
    assert remove_model(root, "mine") == list(files)
    aset = open_artifacts(root)
    assert aset.model_names == ["sgd", "other"] and not any((root / rel).exists() for rel in files)
    assert set(aset.manifest["files"]) == {p.relative_to(root).as_posix() for p in root.rglob("*.*")
                                           if p.suffix in (".npz", ".joblib", ".onnx")}
    with pytest.raises(MissingArtifacts, match="No model 'mine' in .*; it holds: sgd, other"):
        remove_model(root, "mine")


def test_edited_imported_entries_are_corrupt(root, logreg, tmp_path):
    (tmp_path / "conv.onnx").write_bytes(conv_graph(logreg.coef_, logreg.intercept_))
    import_model(root, "conv", tmp_path / "conv.onnx")
    manifest = json.loads((root / art.MANIFEST).read_text())
    manifest["models"]["conv"]["imported"]["input"]["layout"] = "sideways"
    (root / art.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CorruptArtifacts, match="cannot be loaded as model 'conv'"):
        open_artifacts(root).load_model("conv")
    manifest["models"]["conv"]["imported"]["kind"] = "magic"
    (root / art.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CorruptArtifacts, match="models.conv.imported.kind"):
        open_artifacts(root)


def test_cli_import_and_remove(root, proba, tmp_path, capsys):
    proba.to_csv(tmp_path / "p.csv", index=False)
    assert main(["import", "mine", "--predictions", str(tmp_path / "p.csv"), "--artifacts", str(root)]) == 0
    out = capsys.readouterr().out
    accuracy = open_artifacts(root).model_info("mine")["metrics"]["test_accuracy"]
    assert f"added mine (predictions only) as 'mine': test accuracy {accuracy:.4f}" in out
    proba.iloc[:10].to_csv(tmp_path / "short.csv", index=False)
    assert main(["import", "short", "--predictions", str(tmp_path / "short.csv"), "--artifacts", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "has 10 rows" in err
    assert main(["remove", "mine", "--artifacts", str(root)]) == 0
    assert open_artifacts(root).model_names == ["sgd"]
