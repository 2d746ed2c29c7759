"""The Models page's ablation, tuning and fit-warning sections through AppTest, on real artifact sets.

Expected values come from the stored predictions and ``tuning.json`` through
numpy and ``core.models.tuning``'s reader, not from the page's code.
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from core.models.ablation import ABLATION
from core.artifacts import MANIFEST, open_artifacts
from core.data import load_dataset
from core.models.tuning import TUNING_FILE, load_results, save_results, tune
from tests.dashboard.apptest import assert_clean, open_app

MODELS_PAGE = "app_pages/models.py"


def frame_with(at, column: str):
    """The page's one dataframe that has ``column``."""
    [frame] = [d.value for d in at.dataframe if column in d.value.columns]
    return frame


def table_with(at, column: str):
    """The page's one static table that has ``column``, or None."""
    found = [t.value for t in at.table if column in t.value.columns]
    assert len(found) <= 1
    return found[0] if found else None


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def edit_manifest(root, change) -> None:
    manifest = json.loads((root / MANIFEST).read_text())
    change(manifest)
    (root / MANIFEST).write_text(json.dumps(manifest))


def test_ablation_table_lists_the_built_steps_in_order_with_their_errors(monkeypatch, ablation_dir):
    stored = open_artifacts(ablation_dir)
    at = open_app(monkeypatch, ablation_dir, MODELS_PAGE)
    assert_clean(at)
    assert "Ablation: what each step bought" in [s.value for s in at.subheader]
    table = table_with(at, "what the step adds")
    built = [step for step in ABLATION if step.name in stored.model_names]
    assert table["model"].tolist() == [stored.model_info(s.name)["title"] for s in built]
    assert table["what the step adds"].tolist() == [s.change for s in built]
    assert table["step"].tolist() == list(range(1, len(built) + 1))
    errors, accuracy = [], []
    for step in built:
        pred = stored.predictions(step.name)
        errors.append(int(np.sum(pred.y_pred != pred.y_true)))
        accuracy.append(np.mean(pred.y_pred == pred.y_true))
        row = table.iloc[len(errors) - 1]
        for true, predicted in ((9, 4), (5, 3), (7, 1)):
            assert row[f"{true}→{predicted}"] == np.sum((pred.y_true == true) & (pred.y_pred == predicted))
    assert table["errors"].tolist() == errors
    assert np.allclose(table["accuracy"], accuracy)
    assert np.isnan(table["gain"].iloc[0]) and np.allclose(table["gain"].iloc[1:], np.diff(accuracy))
    assert "Not built yet: svc_hog, svc_virtual" in captions(at)


def test_ablation_waits_for_two_steps_and_names_the_build_command(monkeypatch, artifact_dir, tmp_path):
    at = open_app(monkeypatch, artifact_dir, MODELS_PAGE)
    assert_clean(at)
    assert table_with(at, "what the step adds")["model"].tolist() == ["SGD (hinge)", "Random forest"]
    root = tmp_path / "one-step"
    shutil.copytree(artifact_dir, root)
    edit_manifest(root, lambda manifest: manifest["models"].pop("rf"))
    at = open_app(monkeypatch, root, MODELS_PAGE)
    assert_clean(at)
    assert table_with(at, "what the step adds") is None
    dataset = json.loads((root / MANIFEST).read_text())["dataset"]["name"]
    assert f"-m core build --dataset {dataset} --artifacts {root} --models ablation`" in captions(at)


def test_tuning_shows_chosen_and_default_parameters_and_picks_up_a_new_search(monkeypatch, ablation_dir, tmp_path):
    root = tmp_path / "tuned"
    shutil.copytree(ablation_dir, root)
    results = {r.model: r for r in load_results(root)}
    at = open_app(monkeypatch, root, MODELS_PAGE)
    assert_clean(at)
    summary = table_with(at, "chosen parameters")
    assert summary["model"].tolist() == ["SGD (hinge)", "RBF SVM (PCA 50)"]
    assert summary["chosen parameters"].tolist() == [f"alpha={results['sgd'].best_params['clf__alpha']:g}",
                                                     f"C={results['svc'].best_params['clf__C']:g}, gamma=scale"]
    assert summary["registry defaults"].tolist() == ["alpha=0.0001", "C=10, gamma=scale"]
    for (_, row), name in zip(summary.iterrows(), ["sgd", "svc"]):
        result = results[name]
        assert row["CV accuracy"] == pytest.approx(result.best_score)
        assert row["defaults' CV accuracy"] == pytest.approx(result.default_score)
        assert row["gain"] == pytest.approx(result.best_score - result.default_score)
    assert [t.label for t in at.tabs] == ["SGD (hinge)", "RBF SVM (PCA 50)"]
    for tab, name in zip(at.tabs, ["sgd", "svc"]):
        shown = tab.dataframe[0].value
        assert shown["params"].tolist() == results[name].candidates["params"].tolist()
        assert np.allclose(shown["mean_test_score"], results[name].candidates["mean_test_score"])

    grid = {"sgd": {"clf__alpha": [1e-5, 1e-4, 1e-3]}}
    [again] = tune(load_dataset("digits"), models="sgd", train_size=600, cv=3, seed=0, n_jobs=1, spaces=grid)
    save_results([again], root)
    at.run()
    assert_clean(at)
    row = table_with(at, "chosen parameters").iloc[0]
    assert row["CV accuracy"] == pytest.approx(again.best_score)
    assert row["candidates"] == 3


def test_tuning_absent_or_unreadable_says_what_to_run(monkeypatch, artifact_dir, tmp_path):
    at = open_app(monkeypatch, artifact_dir, MODELS_PAGE)
    assert_clean(at)
    dataset = open_artifacts(artifact_dir).dataset["name"]
    assert f"-m core tune --dataset {dataset} --artifacts {artifact_dir}`" in captions(at)
    assert table_with(at, "chosen parameters") is None
    root = tmp_path / "bad-tuning"
    shutil.copytree(artifact_dir, root)
    (root / TUNING_FILE).write_text("{not json")
    at = open_app(monkeypatch, root, MODELS_PAGE)
    assert_clean(at)
    assert any("python -m core tune" in w.value for w in at.warning)


def test_fit_warnings_are_flagged_in_the_table_and_listed(monkeypatch, artifact_dir, tmp_path):
    root = tmp_path / "warned"
    shutil.copytree(artifact_dir, root)
    text = "ConvergenceWarning: Maximum number of iteration reached before convergence."
    edit_manifest(root, lambda manifest: manifest["models"]["sgd"].update(fit_warnings=[text]))
    at = open_app(monkeypatch, root, MODELS_PAGE)
    assert_clean(at)
    labels = frame_with(at, "macro_f1")["label"]
    assert labels["sgd"].endswith("⚠️") and not labels["rf"].endswith("⚠️")
    [expander] = [e for e in at.expander if "Fit warnings" in e.label]
    assert "SGD (hinge)" in expander.label and "Random forest" not in expander.label
    assert [c.value for c in expander.code] == [text]


def test_the_cnns_training_curve_is_drawn_from_the_stored_history(monkeypatch, artifact_dir):
    history = open_artifacts(artifact_dir).model_info("cnn")["training_curve"]
    at = open_app(monkeypatch, artifact_dir, MODELS_PAGE)
    assert_clean(at)
    assert "Training: CNN (PyTorch)" in [s.value for s in at.subheader]
    [chart] = [c for c in at.get("plotly_chart") if c.proto.id.endswith("models_training_cnn")
               or "models_training_cnn" in c.proto.id]
    figure = json.loads(chart.proto.spec)
    drawn = {(trace["name"], trace["hovertemplate"].split("</extra>")[0].rsplit(">", 1)[-1]): trace["y"]
             for trace in figure["data"]}
    for part, label in (("train", "training batches (augmented)"), ("held_out", "held-out images")):
        for metric in ("loss", "accuracy"):
            assert drawn[(label, metric)] == pytest.approx(history[f"{part}_{metric}"])
    assert (f"held-out accuracy {history['held_out_accuracy'][0]:.4f} after the first epoch, "
            f"{history['held_out_accuracy'][-1]:.4f} after the last") in captions(at)


def test_every_model_shows_its_wilson_interval_and_every_pair_its_mcnemar_test(monkeypatch, artifact_dir):
    stored = open_artifacts(artifact_dir)
    at = open_app(monkeypatch, artifact_dir, MODELS_PAGE)
    assert_clean(at)
    table = frame_with(at, "accuracy_ci")
    z = norm.ppf(0.975)
    for name in table.index:
        pred = stored.predictions(name)
        k, n = int(np.sum(pred.y_pred == pred.y_true)), pred.y_true.size
        centre, half = (k + z * z / 2) / (n + z * z), z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
        assert table.loc[name, "accuracy_ci"] == f"{centre - half:.2%}–{min(1, centre + half):.2%}"
    [matrix] = [e.proto.body for e in at.get("html") if "data-pair" in e.proto.body]
    names = list(table.sort_values("test_accuracy", ascending=False).index)
    tests = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            right_a = stored.predictions(a).y_pred == stored.predictions(a).y_true
            right_b = stored.predictions(b).y_pred == stored.predictions(b).y_true
            only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
            tests[(a, b)] = (only_a, only_b, binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0)
    ranked = sorted(tests, key=lambda pair: tests[pair][2])  # Holm: the k-th smallest p times (m - k), running max
    holm, running = {}, 0.0
    for k, pair in enumerate(ranked):
        running = max(running, min(1.0, tests[pair][2] * (len(ranked) - k)))
        holm[pair] = running
    for (a, b), (only_a, only_b, _) in tests.items():
        cell = re.search(rf'<td data-pair="{a}\|{b}"[^>]*style="([^"]*)"><span>([\d,]+) vs ([\d,]+)</span>', matrix)
        assert (int(cell[2]), int(cell[3])) == (only_a, only_b)
        assert ("background" in cell[1]) == (holm[(a, b)] < 0.05)
        mirrored = re.search(rf'<td data-pair="{b}\|{a}"[^>]*><span>([\d,]+) vs ([\d,]+)</span>', matrix)
        assert (int(mirrored[1]), int(mirrored[2])) == (only_b, only_a)
