"""report --json's trust fields and pairwise table, each against an expectation computed here."""

import dataclasses
import io
import json
import warnings
from itertools import combinations
from contextlib import redirect_stdout
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import binomtest, norm
from sklearn import metrics

from core.__main__ import main
from core.analysis import intervals, trust
from core.analysis.trust import MODEL_COLUMNS, trust_table
from core.artifacts import open_artifacts

MODELS = "sgd,logreg,knn,is5,multilabel_knn"   # decision and proba scores, a binary detector, a multilabel model
TRUSTED = ["sgd", "logreg", "knn", "is5"]
MULTICLASS = ["sgd", "logreg", "knn"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("trust-artifacts")
    assert main(["build", "--dataset", "digits", "--artifacts", str(root), "--models", MODELS]) == 0
    return root


@pytest.fixture(scope="module")
def payload(built):
    return _report_json(built)


def _report_json(root):
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["report", "--artifacts", str(root), "--json"]) == 0
    return json.loads(out.getvalue())


def _stored(root, name):
    """y_true, y_pred and the probabilities the pages read, softmax(decision / T) written out here."""
    info = json.loads((root / "manifest.json").read_text())["models"][name]
    with np.load(root / info["files"]["predictions"]) as arrays:
        y_true, y_pred, scores = arrays["y_true"], arrays["y_pred"], arrays["scores"].astype(np.float64)
    proba = scores if info["score_kind"] == "proba" else softmax(scores / info["temperature"], axis=1)
    return y_true, y_pred, proba


def _wilson(k, n, z=norm.ppf(0.975)):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _ece(y_true, proba, bins=15):
    top, conf = proba.argmax(axis=1), proba.max(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for b in range(bins):
        inside = (conf >= edges[b]) & ((conf < edges[b + 1]) if b < bins - 1 else (conf <= 1))
        if inside.any():
            total += inside.sum() * abs(np.mean(top[inside] == y_true[inside]) - conf[inside].mean())
    return total / len(y_true)


def _bootstrap_macro_f1(y_true, y_pred, k, *, seed=0, n_boot=1000):
    """Percentile interval of macro F1 = mean over classes of 2 tp / (predicted + support) on each resample."""
    n = len(y_true)
    resamples = np.random.default_rng(seed).integers(0, n, size=(n_boot, n), dtype=np.int32)
    scores = []
    for rows in resamples:
        cm = np.bincount(y_true[rows] * k + y_pred[rows], minlength=k * k).reshape(k, k)
        den = cm.sum(axis=0) + cm.sum(axis=1)
        scores.append(np.mean(np.where(den > 0, 2 * np.diag(cm) / np.maximum(den, 1), 0.0)))
    for rows, score in zip(resamples[:5], scores):  # the formula is scikit-learn's macro F1
        assert score == pytest.approx(metrics.f1_score(y_true[rows], y_pred[rows], labels=range(k),
                                                       average="macro", zero_division=0))
    return np.quantile(scores, [0.025, 0.975])


def _holm(p):
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(len(p))
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p) - rank) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def test_every_trusted_model_carries_its_intervals_and_calibration(built, payload):
    models = {m["name"]: m for m in payload["models"]}
    assert list(models) == MODELS.split(",")
    for name in TRUSTED:
        y_true, y_pred, proba = _stored(built, name)
        k, entry = proba.shape[1], models[name]
        assert entry["accuracy_ci"] == pytest.approx(_wilson(np.sum(y_true == y_pred), len(y_true)), abs=1e-12)
        assert entry["accuracy_ci"][0] < entry["test_accuracy"] < entry["accuracy_ci"][1]
        assert entry["macro_f1_ci"] == pytest.approx(_bootstrap_macro_f1(y_true, y_pred, k), abs=1e-12)
        # the pages' softmax runs on the stored float32 scores, this one in float64: equal to float32 precision
        assert entry["ece"] == pytest.approx(_ece(y_true, proba), abs=1e-6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # float32 rows sum to 1 within 1e-7, not sqrt(eps)
            brier = metrics.brier_score_loss(y_true, proba, labels=range(k), scale_by_half=False)
            log_loss = metrics.log_loss(y_true, y_proba=np.clip(proba, 1e-15, 1), labels=range(k))
        assert entry["brier"] == pytest.approx(brier, abs=1e-6)
        assert entry["log_loss"] == pytest.approx(log_loss, abs=1e-6)
    assert {field: models["multilabel_knn"][field] for field in ("accuracy_ci", "macro_f1_ci", "ece")} == dict.fromkeys(
        ("accuracy_ci", "macro_f1_ci", "ece"))
    assert models["multilabel_knn"]["brier"] is None and models["multilabel_knn"]["log_loss"] is None
    assert payload["trust"] == {"seed": 0, "n_boot": 1000, "confidence": 0.95, "n_bins": 15}


def test_pairwise_holds_every_multiclass_pair_with_exact_and_holm_p(built, payload):
    table = payload["pairwise"]
    assert [(row["a"], row["b"]) for row in table] == list(combinations(MULTICLASS, 2))
    assert all(set(row) == {"a", "b", "only_a", "only_b", "p", "p_holm"} for row in table)
    for row in table:
        y_true, pred_a, _ = _stored(built, row["a"])
        _, pred_b, _ = _stored(built, row["b"])
        right_a, right_b = pred_a == y_true, pred_b == y_true
        assert row["only_a"] == np.sum(right_a & ~right_b) and row["only_b"] == np.sum(right_b & ~right_a)
        discordant = row["only_a"] + row["only_b"]
        assert row["p"] == pytest.approx(binomtest(row["only_a"], discordant, 0.5).pvalue if discordant else 1.0)
    p = np.array([row["p"] for row in table])
    p_holm = np.array([row["p_holm"] for row in table])
    np.testing.assert_allclose(p_holm, _holm(p))
    assert np.all(p_holm >= p) and np.all(p_holm <= 1)
    assert np.all(np.diff(p_holm[np.argsort(p, kind="stable")]) >= 0), "Holm is monotone in the order of p"
    assert min(p) < 0.05 and max(p) > 0.05, "the digits set should hold a clear and an unclear pair"


def test_the_same_seed_gives_the_same_macro_f1_interval(built, payload):
    again = _report_json(built)
    assert [m["macro_f1_ci"] for m in again["models"]] == [m["macro_f1_ci"] for m in payload["models"]]
    other = trust_table(open_artifacts(built), seed=1)
    first = {m["name"]: m["macro_f1_ci"] for m in payload["models"]}
    assert any(list(other.models.loc[name, ["macro_f1_low", "macro_f1_high"]]) != first[name] for name in TRUSTED)


def test_trust_table_is_a_frozen_result_and_builds_the_resamples_once(built, monkeypatch):
    calls = []
    real = intervals.bootstrap_indices
    monkeypatch.setattr(intervals, "bootstrap_indices", lambda n, **kw: calls.append(n) or real(n, **kw))
    artifacts = open_artifacts(built)
    table = trust_table(artifacts, n_boot=200)
    assert len(calls) == 1 and table.n_boot == 200
    assert list(table.models.index) == TRUSTED and list(table.models.columns) == MODEL_COLUMNS
    manifest = {name: artifacts.model_info(name)["metrics"] for name in TRUSTED}
    np.testing.assert_allclose(table.models["accuracy"], [manifest[n]["test_accuracy"] for n in TRUSTED])
    np.testing.assert_allclose(table.models["macro_f1"], [manifest[n]["macro_f1"] for n in TRUSTED])
    assert (table.models["n"] == len(artifacts.predictions("sgd").y_true)).all()
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.seed = 1
    quick = trust_table(artifacts, n_boot=0)
    assert quick.models[["macro_f1_low", "macro_f1_high"]].isna().all().all()
    np.testing.assert_allclose(quick.models["ece"], table.models["ece"])
    assert len(calls) == 1


def test_pairs_on_different_labels_are_refused():
    stored = {"a": SimpleNamespace(y_true=np.array([0, 1]), y_pred=np.array([0, 1])),
              "b": SimpleNamespace(y_true=np.array([1, 1]), y_pred=np.array([0, 1]))}
    with pytest.raises(ValueError, match="same labels"):
        trust._pairwise(stored)
    assert trust._pairwise({}).empty and trust._pairwise({"a": stored["a"]}).empty


def test_report_text_shows_the_accuracy_interval_and_ece(built, capsys):
    assert main(["report", "--artifacts", str(built)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header[:5] == ["model", "task", "accuracy", "[95%", "CI]"] and "ece" in header
    for name in TRUSTED:
        y_true, y_pred, proba = _stored(built, name)
        low, high = _wilson(np.sum(y_true == y_pred), len(y_true))
        [line] = [line for line in lines if line.split()[0] == name]
        assert f"{np.mean(y_true == y_pred):.2%} [{low * 100:.2f}, {high * 100:.2f}]" in line
        assert f"{_ece(y_true, proba):.4g}" in line.split()
    [multilabel] = [line.split() for line in lines if line.split()[0] == "multilabel_knn"]
    accuracy = open_artifacts(built).model_info("multilabel_knn")["metrics"]["test_accuracy"]
    assert multilabel[2] == f"{accuracy:.2%}" and multilabel[4] == "-", "no interval, no ECE"
