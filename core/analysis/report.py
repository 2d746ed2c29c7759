"""The model comparison table, read from a built artifact set.

Examples
--------
>>> from core.artifacts import open_artifacts                # doctest: +SKIP
>>> comparison(open_artifacts("artifacts"))[["model", "test_accuracy"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from core.analysis import evaluation
from core.analysis.intervals import N_BOOT
from core.analysis.robustness import Robustness
from core.analysis.trust import TrustTable, trust_table
from core.models.ablation import ABLATION
from core.models.tuning import summary_table
from core.artifacts import ArtifactSet

#: The study's most confused pairs, as (true, predicted) digit labels.
STUDY_PAIRS = (("9", "4"), ("5", "3"), ("7", "1"))
COLUMNS = ["model", "title", "task", "test_accuracy", "macro_f1", "cv_mean", "cv_std",
           "fit_seconds", "predict_ms", "size_bytes", "n_train"]
#: What ``report --json`` adds to each model (null for models without one score column per class).
TRUST_FIELDS = ("accuracy_ci", "macro_f1_ci", "ece", "brier", "log_loss")
#: Columns of ``report --json``'s ``pairwise`` table.
PAIRWISE_COLUMNS = ["a", "b", "only_a", "only_b", "p", "p_holm"]
#: The plain-text table's accuracy column: ``99.57% [99.42, 99.68]``.
ACCURACY_CI = "accuracy [95% CI]"


def pair_errors(y_true: np.ndarray, y_pred: np.ndarray, class_names) -> dict[str, int | None]:
    """Counts of the study's confusions (``"9->4"``...), None where a label is not a class."""
    index = {name: i for i, name in enumerate(class_names)}
    out = {}
    for true, predicted in STUDY_PAIRS:
        key = f"{true}->{predicted}"
        if true in index and predicted in index:
            out[key] = int(np.count_nonzero((y_true == index[true]) & (y_pred == index[predicted])))
        else:
            out[key] = None
    return out


def comparison(artifacts: ArtifactSet) -> pd.DataFrame:
    """One row per model: manifest metrics plus the study's pair-error counts (multiclass models)."""
    rows = []
    for name in artifacts.model_names:
        info = artifacts.model_info(name)
        row = {"model": name, "title": info["title"], "task": info["task"], **info["metrics"]}
        if info["task"] == "multiclass":
            pred = artifacts.predictions(name)
            row.update(pair_errors(pred.y_true, pred.y_pred, pred.class_names))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("cv_mean", "cv_std"):
        frame[column] = frame[column].astype(float)
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame.reindex(columns=COLUMNS + extra)


def ablation_table(artifacts: ArtifactSet) -> pd.DataFrame:
    """The ablation steps that were built, in order, with what each adds and its gain in accuracy.

    Build them with ``python -m core build --models ablation``.
    """
    frame = comparison(artifacts).set_index("model")
    steps = [step for step in ABLATION if step.name in frame.index]
    table = frame.loc[[s.name for s in steps]].reset_index()
    table.insert(2, "change", [s.change for s in steps])
    table.insert(4, "gain", table["test_accuracy"].diff())
    keep = ["model", "title", "change", "test_accuracy", "gain", *[f"{t}->{p}" for t, p in STUDY_PAIRS],
            "fit_seconds", "predict_ms", "size_bytes"]
    return table.reindex(columns=keep)


def report_json(artifacts: ArtifactSet, *, seed: int = 0, n_boot: int = N_BOOT) -> str:
    """The comparison, the trust figures and the pairwise tests as one JSON object for scripts.

    ``{"dataset": ..., "models": [{"name": ..., "test_accuracy": ..., "accuracy_ci": [low, high],
    "macro_f1_ci": [low, high], "ece": ..., "brier": ..., "log_loss": ...}, ...], "pairwise": [{"a": ...,
    "b": ..., "only_a": ..., "only_b": ..., "p": ..., "p_holm": ...}, ...], "trust": {...}, "ablation": [...]}``:
    the trust fields come from :func:`core.analysis.trust.trust_table` (null where a model has no score
    column per class), ``pairwise`` holds every pair of multiclass models, ``trust`` the settings (seed,
    resamples, confidence, bins), ``ablation`` the built ablation steps in order (see :func:`ablation_table`).
    Each model's ``robustness`` lists its accuracy on the perturbed test subset per condition, ``[{"kind": ...,
    "strength": ..., "accuracy": ..., "low": ..., "high": ..., "flipped": ..., "fixed": ..., "n": ...}, ...]``
    (:meth:`core.analysis.robustness.Robustness.table`; null for a model the build did not measure).
    ``build`` is the last build's time per stage (:mod:`core.artifacts.stage_clock`; null for older sets).
    """
    trust = trust_table(artifacts, seed=seed, n_boot=n_boot)
    models = [{**record, **_trust_fields(trust, record["name"]), "robustness": _robustness(artifacts, record["name"])}
              for record in _records(comparison(artifacts))]
    settings = {"seed": trust.seed, "n_boot": trust.n_boot, "confidence": trust.confidence, "n_bins": trust.n_bins}
    return json.dumps({"dataset": artifacts.dataset, "models": models,
                       "pairwise": _records(trust.pairwise[PAIRWISE_COLUMNS]), "trust": settings,
                       "ablation": _records(ablation_table(artifacts)), "build": artifacts.manifest.get("build")},
                      indent=2)


def _robustness(artifacts: ArtifactSet, name: str) -> list[dict] | None:
    arrays = artifacts.robustness(name)
    return None if arrays is None else _records(Robustness.from_arrays(arrays).table())


def _records(frame: pd.DataFrame) -> list[dict]:
    frame = frame.rename(columns={"model": "name"}).astype(object)
    return frame.where(frame.notna(), None).to_dict(orient="records")


def _trust_fields(trust: TrustTable, name: str) -> dict:
    if name not in trust.models.index:
        return dict.fromkeys(TRUST_FIELDS)
    row = trust.models.loc[name]

    def interval(low, high):
        return None if np.isnan(low) else [float(low), float(high)]

    return {"accuracy_ci": interval(row["accuracy_low"], row["accuracy_high"]),
            "macro_f1_ci": interval(row["macro_f1_low"], row["macro_f1_high"]),
            "ece": float(row["ece"]), "brier": float(row["brier"]), "log_loss": float(row["log_loss"])}


def report_text(artifacts: ArtifactSet, *, ablation: bool = False) -> str:
    """The comparison (or with ``ablation`` the ablation steps) as an aligned text table.

    The comparison shows accuracy with its 95% Wilson interval (:data:`ACCURACY_CI`) and the ECE
    in place of the bare accuracy.
    """
    ds = artifacts.dataset
    if ablation:
        frame = ablation_table(artifacts)
    else:  # no bootstrap: the table shows no macro F1 interval
        frame = with_trust(comparison(artifacts), trust_table(artifacts, n_boot=0))
    frame = frame.drop(columns=["title", "change"], errors="ignore")
    frame["size_mb"] = frame.pop("size_bytes") / 1e6
    header = (f"{ds['id']} ({ds['name']}): {ds['n_train']} train / {ds['n_test']} test images, "
              f"built {artifacts.manifest['created']}")
    table = frame.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
    return f"{header}\n{table}"


def with_trust(frame: pd.DataFrame, trust: TrustTable) -> pd.DataFrame:
    """:func:`comparison` with ``test_accuracy`` as text with its interval (:data:`ACCURACY_CI`) and ``ece`` added.

    A model without an interval shows its accuracy alone, one without accuracy ``-``.

    Examples
    --------
    >>> models = pd.DataFrame({"accuracy_low": [0.99421], "accuracy_high": [0.99681], "ece": [0.0071]},
    ...                       index=pd.Index(["svc"], name="model"))
    >>> trust = TrustTable(models=models, pairwise=pd.DataFrame(), seed=0, n_boot=0, confidence=0.95, n_bins=15)
    >>> frame = pd.DataFrame({"model": ["svc", "ml"], "test_accuracy": [0.9957, 0.98], "macro_f1": [0.9956, 0.98]})
    >>> with_trust(frame, trust).to_dict(orient="list")  # doctest: +NORMALIZE_WHITESPACE
    {'model': ['svc', 'ml'], 'accuracy [95% CI]': ['99.57% [99.42, 99.68]', '98.00%'],
     'macro_f1': [0.9956, 0.98], 'ece': [0.0071, nan]}
    """
    rows = trust.models.reindex(frame["model"])
    texts = [accuracy_text(acc, low, high) for acc, low, high in
             zip(frame["test_accuracy"], rows["accuracy_low"], rows["accuracy_high"])]
    out = frame.copy()
    out.insert(out.columns.get_loc("test_accuracy"), ACCURACY_CI, texts)
    out.insert(out.columns.get_loc("macro_f1") + 1, "ece", rows["ece"].to_numpy())
    return out.drop(columns="test_accuracy")


def accuracy_text(accuracy, low=np.nan, high=np.nan) -> str:
    """An accuracy as a percent with its interval in percent points, ``-`` when missing.

    Examples
    --------
    >>> accuracy_text(0.9957, 0.99421, 0.99681), accuracy_text(0.98), accuracy_text(None)
    ('99.57% [99.42, 99.68]', '98.00%', '-')
    """
    if accuracy is None or np.isnan(accuracy):
        return "-"
    if np.isnan(low):
        return f"{accuracy:.2%}"
    return f"{accuracy:.2%} [{low * 100:.2f}, {high * 100:.2f}]"


def per_class_f1(predictions: Mapping[str, tuple], *, class_names) -> pd.DataFrame:
    """F1 of every class for every model.

    Parameters
    ----------
    predictions : mapping of model name to ``(y_true, y_pred)``
    class_names : names of the classes

    Returns
    -------
    pd.DataFrame
        Index: model names; columns: class names; values in [0, 1].
    """
    names = [str(name) for name in class_names]
    rows = {
        model: evaluation.class_report(y_true, y_pred, class_names=names)["f1"].loc[names]
        for model, (y_true, y_pred) in predictions.items()
    }
    return pd.DataFrame(rows, index=pd.Index(names, name="class")).T.rename_axis("model")


def strategy_table(comparison: pd.DataFrame, *, strategies: Mapping[str, str], n_classes: int) -> pd.DataFrame:
    """The study's one-vs-rest against one-vs-one view of the comparison table.

    Parameters
    ----------
    comparison : :func:`core.analysis.report.comparison` output
    strategies : model name to ``"ovr"`` or ``"ovo"``; models missing from
        ``comparison`` are left out
    n_classes : number of classes

    Returns
    -------
    pd.DataFrame
        Columns ``model``, ``title``, ``strategy``, ``binary_classifiers``
        (``n`` for one-vs-rest, ``n (n - 1) / 2`` for one-vs-one),
        ``test_accuracy``, ``fit_seconds``, ``predict_ms``.
    """
    counts = {"ovr": n_classes, "ovo": n_classes * (n_classes - 1) // 2}
    labels = {"ovr": "one-vs-rest", "ovo": "one-vs-one"}
    table = comparison[comparison["model"].isin(list(strategies))].copy()
    kinds = table["model"].map(strategies)
    table["strategy"] = kinds.map(labels)
    table["binary_classifiers"] = kinds.map(counts).astype(np.int64)
    columns = ["model", "title", "strategy", "binary_classifiers", "test_accuracy", "fit_seconds", "predict_ms"]
    return table[columns].reset_index(drop=True)


def ablation_steps(table: pd.DataFrame, *, n_test: int) -> pd.DataFrame:
    """The ablation table with each step's test errors and how many errors the step removed.

    Parameters
    ----------
    table : :func:`core.analysis.report.ablation_table` output (built steps, in order)
    n_test : number of test images the accuracies were measured on

    Returns
    -------
    pd.DataFrame
        ``table``'s rows and columns plus ``step`` (1, 2, ...), ``errors``
        (misclassified test images), ``fixed`` (errors removed against the
        previous step, negative when the step made more; missing for the first)
        and ``size_mb``.

    Examples
    --------
    >>> table = pd.DataFrame({"model": ["a", "b"], "test_accuracy": [0.9, 0.95], "size_bytes": [1e6, 2e6]})
    >>> ablation_steps(table, n_test=1000)[["errors", "fixed"]]
       errors  fixed
    0     100    NaN
    1      50   50.0
    """
    steps = table.reset_index(drop=True).copy()
    steps.insert(0, "step", np.arange(1, len(steps) + 1))
    steps["errors"] = np.rint((1.0 - steps["test_accuracy"].to_numpy(dtype=np.float64)) * n_test).astype(np.int64)
    steps["fixed"] = -steps["errors"].diff()
    steps["size_mb"] = steps["size_bytes"] / 1e6
    return steps


def params_label(params: Mapping) -> str:
    """Pipeline parameters as short text: the classifier step's (``clf__``) bare, other steps' prefixed.

    Examples
    --------
    >>> params_label({"pca__n_components": 30, "clf__gamma": "scale", "clf__C": 10.0})
    'C=10, gamma=scale, pca n_components=30'
    """
    def short(key: str) -> str:
        step, _, name = key.rpartition("__")
        return name if step in ("", "clf") else f"{step.replace('__', ' ')} {name}"

    def value(v) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    items = sorted(((short(k), value(v)) for k, v in params.items()), key=lambda kv: (" " in kv[0], kv[0].lower()))
    return ", ".join(f"{k}={v}" for k, v in items)


def tuning_table(results, *, dataset_hash: str | None = None) -> pd.DataFrame:
    """One row per tuned model: chosen and default parameters, their CV accuracies and the gain.

    Parameters
    ----------
    results : list of :class:`core.models.tuning.TuningResult`
    dataset_hash : content hash of the dataset the artifacts were built on

    Returns
    -------
    pd.DataFrame
        :func:`core.models.tuning.summary_table` with the parameters written by
        :func:`params_label`, plus ``gain`` (chosen minus default CV accuracy,
        missing when the default was not scored), ``dataset`` (id) and
        ``same_data`` (searched on ``dataset_hash``'s dataset).
    """
    results = list(results)
    table = summary_table(results)
    if table.empty:
        return table
    table["best_params"] = [params_label(r.best_params) for r in results]
    table["default_params"] = [params_label(r.default_params) for r in results]
    table["default_cv_accuracy"] = table["default_cv_accuracy"].astype(np.float64)
    table["gain"] = table["cv_accuracy"] - table["default_cv_accuracy"]
    table["dataset"] = [r.dataset["id"] for r in results]
    table["same_data"] = [r.dataset["hash"] == dataset_hash for r in results]
    return table
