import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix, f1_score

from core.__main__ import main
from core import artifacts as art
from core.artifacts import files, open_artifacts
from core.artifacts.build import build
from core.analysis import report, robustness
from core.analysis.report import ablation_table, comparison, pair_errors
from core.models.tuning import tune


@pytest.fixture(scope="module")
def built(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("report-artifacts")
    assert main(["build", "--dataset", "digits", "--artifacts", str(root), "--models", "sgd,is5"]) == 0
    return root


def test_pair_errors_count_the_study_confusions():
    y_true = np.array([9, 9, 9, 5, 7, 7, 1])
    y_pred = np.array([4, 4, 9, 3, 1, 7, 7])
    names = tuple(str(i) for i in range(10))
    assert pair_errors(y_true, y_pred, names) == {"9->4": 2, "5->3": 1, "7->1": 1}
    assert pair_errors(y_true % 3, y_pred % 3, ("0", "1", "2")) == {"9->4": None, "5->3": None, "7->1": None}


def test_pair_errors_match_the_confusion_matrix(mnist_small):
    rng = np.random.default_rng(0)
    y_true = mnist_small.y_test
    y_pred = np.where(rng.random(len(y_true)) < 0.3, rng.integers(0, 10, len(y_true)), y_true)
    matrix = confusion_matrix(y_true, y_pred, labels=range(10))
    assert pair_errors(y_true, y_pred, mnist_small.class_names) == {
        "9->4": matrix[9, 4], "5->3": matrix[5, 3], "7->1": matrix[7, 1]}


def test_ablation_table_orders_the_built_steps_and_their_gains(tmp_path, digits, capsys):
    build(dataset=digits, artifacts_dir=tmp_path, models="svc,sgd,svc_deskew", seed=0)
    table = ablation_table(open_artifacts(tmp_path))
    assert list(table["model"]) == ["sgd", "svc", "svc_deskew"]
    assert np.isnan(table["gain"].iloc[0])
    np.testing.assert_allclose(table["gain"].iloc[1:], np.diff(table["test_accuracy"]))
    assert table["change"].str.len().min() > 10
    assert main(["report", "--artifacts", str(tmp_path), "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)["ablation"]
    assert [step["name"] for step in steps] == ["sgd", "svc", "svc_deskew"]
    assert main(["report", "--artifacts", str(tmp_path), "--ablation"]) == 0
    text = capsys.readouterr().out
    assert "gain" in text and "logreg" not in text


def test_comparison_reads_manifest_metrics_and_stored_predictions(built, digits):
    frame = comparison(open_artifacts(built))
    assert list(frame["model"]) == ["sgd", "is5"]
    sgd = frame.set_index("model").loc["sgd"]
    stored = open_artifacts(built).predictions("sgd")
    assert sgd["test_accuracy"] == pytest.approx(np.mean(stored.y_pred == digits.y_test))
    assert sgd["9->4"] == np.count_nonzero((digits.y_test == 9) & (stored.y_pred == 4))
    assert np.isnan(frame.set_index("model").loc["is5", "9->4"])


def test_report_json_is_one_object_for_scripts(built, capsys):
    assert main(["report", "--artifacts", str(built), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["dataset"]["id"] == "digits-8x8"
    first = payload["models"][0]
    assert {"name", "test_accuracy", "fit_seconds", "predict_ms", "size_bytes"} <= set(first)
    assert first["name"] == "sgd" and 0.9 < first["test_accuracy"] <= 1
    # the trust fields (checked against their formulas in test_trust.py): the binary detector has them too,
    # and with one multiclass model there is no pair to test
    for model in payload["models"]:
        low, high = model["accuracy_ci"]
        assert low < model["test_accuracy"] < high and model["macro_f1_ci"][0] <= model["macro_f1"]
        assert 0 <= model["ece"] <= 1 and 0 <= model["brier"] <= 2 and model["log_loss"] > 0
    assert payload["pairwise"] == [] and payload["trust"]["n_boot"] == 1000
    by_name = {model["name"]: model for model in payload["models"]}
    assert by_name["is5"]["robustness"] is None, "a detector is not measured under perturbations"
    rows = by_name["sgd"]["robustness"]
    assert [(r["kind"], r["strength"]) for r in rows] == robustness.conditions()
    assert rows[0]["accuracy"] == pytest.approx(by_name["sgd"]["test_accuracy"]), "450 digits: all of them"
    assert all(r["n"] == 450 and r["low"] <= r["accuracy"] <= r["high"] for r in rows)


def test_report_text_and_errors(built, tmp_path, capsys):
    assert main(["report", "--artifacts", str(built)]) == 0
    out = capsys.readouterr().out
    assert "digits-8x8" in out and "sgd" in out and "accuracy [95% CI]" in out and " ece " in out
    sgd = next(line for line in out.splitlines() if line.split()[0] == "sgd")
    assert re.search(r" \d+\.\d\d% \[\d+\.\d\d, \d+\.\d\d\] ", sgd), sgd
    assert main(["report", "--artifacts", str(tmp_path / "empty")]) == 2
    assert "python -m core build" in capsys.readouterr().err
    assert main(["build", "--dataset", "digits", "--artifacts", str(tmp_path), "--models", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "-5", "lots"])
def test_cli_refuses_a_train_size_that_is_not_a_positive_count(tmp_path, capsys, size):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--dataset", "digits", "--train-size", size, "--artifacts", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--train-size" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing is built or written"


def test_report_without_artifacts_names_the_folder_in_the_command_to_run(tmp_path, capsys):
    assert main(["report", "--artifacts", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"-m core build --artifacts {tmp_path / 'empty'}" in err


def test_cli_build_says_who_holds_the_folder_and_exits_2(tmp_path, capsys):
    with art.build_lock(tmp_path):
        assert main(["build", "--dataset", "digits", "--models", "sgd", "--artifacts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"Another build is writing to {tmp_path}" in err and "--artifacts" in err
    assert not (tmp_path / "manifest.json").exists()


def test_cli_build_into_a_file_says_to_name_a_folder(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    assert main(["build", "--dataset", "digits", "--models", "sgd", "--artifacts", str(target)]) == 2
    assert main(["report", "--artifacts", str(target)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("is a file" in line and "--artifacts" in line for line in err)
    assert target.read_text() == "not a folder"


def test_cli_build_into_an_unwritable_folder_stops_before_training(tmp_path, capsys, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.FileLock, "acquire", refuse)  # root ignores file modes, so refuse as the OS would
    monkeypatch.setattr("core.artifacts.build.load_dataset",
                        lambda *a, **k: pytest.fail("data read before the folder check"))
    assert main(["build", "--dataset", "digits", "--models", "sgd", "--artifacts", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Cannot write to" in err and "Permission denied" in err and "nothing was trained" in err


def test_ctrl_c_while_the_cli_starts_prints_one_line(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "core", "report", "--artifacts", str(tmp_path)],
                               cwd=Path(__file__).resolve().parents[3], stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    assert process.poll() is None, "the CLI ended before the Ctrl-C; nothing was tested"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    # 2 would be the report's own "no artifacts" error: the Ctrl-C was ignored and the command ran on
    assert process.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "interrupted" in err, err


@pytest.mark.parametrize("damage, named", [
    (lambda m: m.pop("files"), "files"),
    (lambda m: m["models"]["sgd"].pop("score_kind"), "models.sgd.score_kind"),
    (lambda m: m["models"]["sgd"]["files"].pop("predictions"), "models.sgd.files.predictions"),
    (lambda m: m["dataset"].pop("class_names"), "dataset.class_names"),
    (lambda m: m.__setitem__("versions", None), "versions"),
])
def test_report_on_a_manifest_with_missing_keys_names_them_in_one_line(tmp_path, capsys, damage, named):
    build(dataset="digits", artifacts_dir=tmp_path, models="sgd")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    damage(manifest)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main(["report", "--artifacts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and named in err and "Rebuild with" in err


def test_per_class_f1_matches_sklearn(digits, fitted):
    preds = {name: (digits.y_test, y_pred) for name, (_, y_pred, _) in fitted.items()}
    table = report.per_class_f1(preds, class_names=digits.class_names)
    assert list(table.index) == list(fitted)
    assert list(table.columns) == list(digits.class_names)
    for name, (_, y_pred, _) in fitted.items():
        assert np.allclose(table.loc[name], f1_score(digits.y_test, y_pred, average=None))


def test_strategy_table_counts_binary_classifiers():
    comparison = pd.DataFrame({
        "model": ["sgd", "sgd_ovr", "sgd_ovo"], "title": ["a", "b", "c"], "test_accuracy": [0.8, 0.81, 0.9],
        "fit_seconds": [1.0, 2.0, 3.0], "predict_ms": [0.1, 0.2, 0.3],
    })
    table = report.strategy_table(comparison, strategies={"sgd_ovr": "ovr", "sgd_ovo": "ovo", "gone": "ovo"},
                                 n_classes=10)
    assert table["model"].tolist() == ["sgd_ovr", "sgd_ovo"]
    assert table["binary_classifiers"].tolist() == [10, 45]
    assert table["strategy"].tolist() == ["one-vs-rest", "one-vs-one"]
    assert table["test_accuracy"].tolist() == [0.81, 0.9]


def test_ablation_steps_count_errors_and_what_each_step_removed(digits, fitted):
    accuracy = [np.mean(y_pred == digits.y_test) for _, y_pred, _ in fitted.values()]
    table = pd.DataFrame({"model": list(fitted), "test_accuracy": accuracy, "size_bytes": [2_000_000, 500_000]})
    steps = report.ablation_steps(table, n_test=len(digits.y_test))
    errors = [int(np.sum(y_pred != digits.y_test)) for _, y_pred, _ in fitted.values()]
    assert steps["step"].tolist() == [1, 2]
    assert steps["errors"].tolist() == errors
    assert np.isnan(steps["fixed"].iloc[0]) and steps["fixed"].iloc[1] == errors[0] - errors[1]
    assert steps["size_mb"].tolist() == [2.0, 0.5]
    assert steps["model"].tolist() == list(fitted)


def test_tuning_table_adds_the_gain_and_flags_another_dataset(digits):
    results = tune(digits, models="sgd", train_size=600, cv=3, seed=0, n_jobs=1,
                   spaces={"sgd": {"clf__alpha": [1e-4, 1e-1]}})
    table = report.tuning_table(results, dataset_hash=digits.content_hash)
    [result] = results
    assert table["model"].tolist() == ["sgd"] and table["dataset"].tolist() == [digits.dataset_id]
    assert table["gain"].iloc[0] == pytest.approx(result.best_score - result.default_score)
    assert table["gain"].iloc[0] >= 0 and table["same_data"].tolist() == [True]
    assert table["best_params"].tolist() == [f"alpha={result.best_params['clf__alpha']:g}"]
    assert table["default_params"].tolist() == ["alpha=0.0001"]
    assert report.tuning_table(results, dataset_hash="other")["same_data"].tolist() == [False]
    assert report.tuning_table([]).empty


def test_params_label_shortens_pipeline_names_classifier_first():
    params = {"pca__n_components": 40, "clf__weights": "distance", "clf__n_neighbors": 4, "clf__C": 0.5}
    assert report.params_label(params) == "C=0.5, n_neighbors=4, weights=distance, pca n_components=40"
    assert report.params_label({"model__clf__gamma": 1.5, "alpha": 1e-05}) == "alpha=1e-05, model clf gamma=1.5"
    assert report.params_label({}) == ""
