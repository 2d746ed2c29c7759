import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from core import artifacts as art
from core.artifacts import BuildInProgress, load_model, open_artifacts, sha256_file
from core.analysis import evaluation
from core.artifacts.build import build
from core.models import REGISTRY
from core.data.preprocess import PixelScaler
from core.data.eda import DataSummary


@pytest.fixture(scope="module")
def digits_build(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("digits-artifacts")
    events = []
    result = build(dataset=digits, artifacts_dir=root, models="sgd,rf,is5", seed=0, cv=3, progress=events.append)
    return root, result, events


def test_build_writes_every_file_with_its_checksum(digits_build):
    root, result, _ = digits_build
    manifest = json.loads((root / "manifest.json").read_text())
    assert result.built == ["sgd", "rf", "is5"] and result.reused == []
    assert set(manifest["models"]) == {"sgd", "rf", "is5"}
    for relative, digest in manifest["files"].items():
        assert sha256_file(root / relative) == digest
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == set(manifest["files"]) | {"manifest.json", art.LOCK_FILE}
    assert manifest["versions"] == art.runtime_versions()
    assert manifest["dataset"]["n_train"] == 1347 and manifest["dataset"]["image_shape"] == [8, 8]


def test_progress_reports_every_stage_of_every_model(digits_build):
    _, _, events = digits_build
    stages = [(e.model, e.stage) for e in events]
    assert [s for m, s in stages if m == "sgd"] == ["fit", "predict", "calibrate", "cv", "latency", "save",
                                                    "explain", "robust", "done"]
    assert [s for m, s in stages if m == "is5"] == ["fit", "predict", "calibrate", "cv", "latency", "save", "done"]
    assert [s for m, s in stages if m == "rf"] == ["fit", "predict", "cv", "latency", "save", "explain", "robust", "done"]
    assert [s for m, s in stages if m == "explore"] == ["features", "map", "neighbours", "save", "done"]
    assert {e.total for e in events} == {4}
    assert all(0 <= e.fraction <= 1 for e in events)


def test_stored_predictions_and_metrics_match_the_loaded_model(digits_build, digits):
    root, result, _ = digits_build
    artifacts = open_artifacts(root)
    for name in ("sgd", "rf"):
        model = load_model(root, name)
        stored = artifacts.predictions(name)
        np.testing.assert_array_equal(stored.y_pred, model.predict(digits.X_test))
        np.testing.assert_array_equal(stored.y_true, digits.y_test)
        assert stored.scores.shape == (len(digits.y_test), 10)
        metrics = artifacts.model_info(name)["metrics"]
        assert metrics["test_accuracy"] == pytest.approx(np.mean(stored.y_pred == digits.y_test))
        assert metrics["test_accuracy"] > 0.9
        assert metrics["size_bytes"] == (root / artifacts.model_info(name)["files"]["model"]).stat().st_size
        assert metrics["predict_ms"] > 0 and metrics["fit_seconds"] > 0
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)  # the build's cv=3, seed=0
        cv = cross_val_score(REGISTRY[name].make(image_shape=digits.image_shape, seed=0), digits.X_train,
                             digits.y_train, cv=folds)
        assert metrics["cv_mean"] == pytest.approx(cv.mean()) and metrics["cv_std"] == pytest.approx(cv.std())
        assert 0.8 < metrics["cv_mean"] <= 1
    assert artifacts.predictions("rf").score_kind == "proba"
    assert artifacts.predictions("rf").temperature == 1.0
    sgd = artifacts.predictions("sgd")
    assert sgd.score_kind == "decision" and sgd.temperature > 0
    calibrated = evaluation.confidence(sgd.scores, score_kind="decision", temperature=sgd.temperature)
    assert calibrated.mean() < evaluation.confidence(sgd.scores, score_kind="decision").mean()


def test_binary_detector_stores_its_own_task(digits_build, digits):
    artifacts = open_artifacts(digits_build[0])
    stored = artifacts.predictions("is5")
    np.testing.assert_array_equal(stored.y_true, (digits.y_test == 5).astype(int))
    assert stored.class_names == ("not 5", "5") and stored.scores.shape == (len(digits.y_test), 2)


def test_data_bundle_holds_test_images_and_summary(digits_build, digits):
    data = open_artifacts(digits_build[0]).data()
    np.testing.assert_array_equal(data.X_test, digits.X_test)
    np.testing.assert_array_equal(data.y_train, digits.y_train)
    summary = DataSummary.from_arrays(data.summary)
    assert summary.mean_images.shape == (10, 8, 8)


def test_rebuild_reuses_up_to_date_models_and_retrains_changed_ones(tmp_path, digits):
    first = build(dataset=digits, artifacts_dir=tmp_path, models="sgd,is5", seed=0)
    again = build(dataset=digits, artifacts_dir=tmp_path, models="sgd,is5", seed=0)
    assert again.built == [] and again.reused == ["sgd", "is5"]
    assert again.manifest["models"] == first.manifest["models"]
    reseeded = build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=1)
    assert reseeded.built == ["sgd"]
    assert set(reseeded.manifest["models"]) == {"sgd", "is5"}, "other up-to-date models are kept"
    assert len(list((tmp_path / "models").glob("sgd-*"))) == 4, "old sgd files are removed (model, outputs, cells, robust)"


def test_interrupted_build_leaves_previous_artifacts_intact(tmp_path, digits, monkeypatch):
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    before = (tmp_path / "manifest.json").read_bytes()
    files_before = sorted(p.name for p in tmp_path.rglob("*"))

    def interrupt(event):
        if event.model == "rf" and event.stage == "save":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf", seed=5, progress=interrupt)
    assert (tmp_path / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == files_before, "the interrupted build left nothing"
    artifacts = open_artifacts(tmp_path)
    assert artifacts.model_names == ["sgd"]
    artifacts.load_model("sgd")
    real_write = art.write_model

    def crash_mid_write(path, model):
        real_write(path, model)
        raise OSError("disk full")

    monkeypatch.setattr(art, "write_model", crash_mid_write)
    with pytest.raises(OSError):
        build(dataset=digits, artifacts_dir=tmp_path, models="rf", seed=0)
    assert (tmp_path / "manifest.json").read_bytes() == before
    monkeypatch.undo()
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    assert sorted(p.name for p in tmp_path.rglob("*")) == files_before, "leftovers are cleaned up"


def test_a_first_build_cancelled_midway_leaves_an_empty_folder(tmp_path, digits):
    def cancel(event):
        if event.model == "rf" and event.stage == "fit":
            raise RuntimeError("the browser tab was closed")

    with pytest.raises(RuntimeError):
        build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf", progress=cancel)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [art.LOCK_FILE]


def test_quick_build_on_an_mnist_slice(tmp_path, mnist_small):
    result = build(dataset=mnist_small, artifacts_dir=tmp_path, models="quick", seed=0)
    metrics = {name: e["metrics"] for name, e in result.manifest["models"].items()}
    assert metrics["rf"]["test_accuracy"] > 0.88
    assert metrics["sgd"]["test_accuracy"] > 0.8
    assert result.manifest["dataset"]["id"] == "mnist-784"
    assert result.manifest["dataset"]["hash"] == mnist_small.content_hash


def test_fit_warnings_are_recorded_in_the_manifest_not_printed(tmp_path, digits, recwarn, monkeypatch):
    def one_epoch_mlp(*, image_shape, seed):
        return Pipeline([("scale", PixelScaler()), ("clf", MLPClassifier(max_iter=1, random_state=seed))])

    monkeypatch.setitem(REGISTRY, "mlp", replace(REGISTRY["mlp"], factory=one_epoch_mlp))
    result = build(dataset=digits, artifacts_dir=tmp_path, models="sgd,mlp", seed=0)
    entries = result.manifest["models"]
    assert entries["sgd"]["fit_warnings"] == []
    assert any(w.startswith("ConvergenceWarning") for w in entries["mlp"]["fit_warnings"])
    assert not [w for w in recwarn if "converge" in str(w.message)]


def test_a_second_build_into_the_same_folder_is_refused_while_the_first_runs(tmp_path, digits):
    started, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(event):
        if event.model == "rf" and event.stage == "fit":
            started.set()
            release.wait(60)

    def first():
        outcome["first"] = build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf", progress=hold)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(60)
    with pytest.raises(BuildInProgress, match=rf"process {os.getpid()} on .*Wait for it.*--artifacts"):
        build(dataset=digits, artifacts_dir=tmp_path, models="sgd")
    release.set()
    thread.join(60)
    assert outcome["first"].built == ["sgd", "rf"]
    aset = open_artifacts(tmp_path)
    assert aset.model_names == ["sgd", "rf"]
    for relative, digest in aset.manifest["files"].items():
        assert art.sha256_file(tmp_path / relative) == digest
    assert not (tmp_path / art.OWNER_FILE).exists()
    assert build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf").reused == ["sgd", "rf"]


def test_builds_into_two_folders_run_side_by_side(tmp_path, digits):
    results = {}
    threads = [threading.Thread(target=lambda name=name: results.__setitem__(
        name, build(dataset=digits, artifacts_dir=tmp_path / name, models="sgd"))) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["a", "b"] and all(r.built == ["sgd"] for r in results.values())


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        return "(python" in Path(f"/proc/{pid}/stat").read_text() and " Z " not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


def test_a_killed_cli_build_takes_its_worker_processes_with_it(tmp_path):
    command = [sys.executable, "-m", "core", "build", "--dataset", "digits", "--models", "svc,mlp,rf", "--cv", "5",
               "--artifacts", str(tmp_path / "killed")]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[3], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline, workers = time.monotonic() + 60, []
    while time.monotonic() < deadline and not workers:
        workers = [pid for pid in _children(process.pid)
                   if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()]
        time.sleep(0.05)
    assert workers, "the build started no worker process"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err
    time.sleep(1)
    assert not [pid for pid in workers if _alive(pid)]
    assert not (tmp_path / "killed" / "manifest.json").exists()


def test_a_class_missing_from_training_keeps_its_column(tmp_path, digits):
    keep = digits.y_train != 3
    no_threes = replace(digits, X_train=digits.X_train[keep], y_train=digits.y_train[keep])
    build(dataset=no_threes, artifacts_dir=tmp_path, models="sgd,rf")
    aset = open_artifacts(tmp_path)
    for name in ("sgd", "rf"):
        pred = aset.predictions(name)
        assert pred.scores.shape == (len(digits.y_test), 10)
        np.testing.assert_array_equal(pred.scores.argmax(axis=1), pred.y_pred)
        assert not np.any(pred.y_pred == 3)
        probs = evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
        assert np.all(probs[:, 3] == 0) and np.allclose(probs.sum(axis=1), 1)
