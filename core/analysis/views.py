"""Small tables and arrays the dashboard shows, computed from stored artifacts.

Everything here is a pure function of stored predictions and stored images;
the dashboard only lays the results out. The models' answers for one drawn
digit are in :mod:`core.analysis.answers`.

Examples
--------
>>> import numpy as np
>>> paginate(np.arange(25), page=3, per_page=10).rows
array([20, 21, 22, 23, 24])
"""

from __future__ import annotations

from collections.abc import Mapping
import base64
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PIL import Image

from core.analysis import evaluation, thresholds
from core.models.tuning import summary_table


@dataclass(frozen=True, eq=False)
class Page:
    """One page of a long list: its ``rows``, 1-based ``page`` and ``n_pages`` (at least 1)."""

    rows: np.ndarray
    page: int
    n_pages: int


def paginate(rows, *, page: int, per_page: int) -> Page:
    """The ``page``-th slice of ``per_page`` rows; ``page`` is clipped to the valid range."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}.")
    rows = np.asarray(rows)
    n_pages = max(1, -(-rows.size // per_page))
    page = int(min(max(page, 1), n_pages))
    return Page(rows=rows[(page - 1) * per_page: page * per_page], page=page, n_pages=n_pages)


def by_confidence(rows, confidence) -> np.ndarray:
    """``rows`` reordered by decreasing ``confidence[rows]``; ties keep their order."""
    rows = np.asarray(rows, dtype=np.int64)
    return rows[np.argsort(-np.asarray(confidence)[rows], kind="stable")]


def percent(p: float) -> str:
    """A probability as a percentage that never rounds to a false 0% or 100%.

    Examples
    --------
    >>> [percent(p) for p in (0.0004, 0.004, 0.42, 0.987, 0.9962, 0.99996)]
    ['<0.1%', '0.4%', '42%', '98.7%', '99.6%', '>99.9%']
    """
    if p >= 0.9995:
        return ">99.9%"
    if p < 0.0005:
        return "<0.1%"
    return f"{p:.1%}" if p < 0.01 or p >= 0.98 else f"{p:.0%}"


def gallery(rows, *, y_true, y_pred, scores, score_kind: str, class_names, k: int = 3,
            temperature: float = 1.0) -> pd.DataFrame:
    """Caption data for test images ``rows``: labels, confidence and the top-``k`` classes.

    Parameters
    ----------
    rows : array of int
        Test row indices, in display order.
    y_true, y_pred : array of int, shape (n_test,)
    scores : array, shape (n_test, n_classes)
    score_kind : {"proba", "decision"}
    class_names : names of the classes
    k : number of top classes listed
    temperature : softmax temperature of decision values (see :func:`core.analysis.evaluation.fit_temperature`)

    Returns
    -------
    pd.DataFrame
        One row per entry of ``rows`` with columns ``index``, ``true``,
        ``predicted`` (class names), ``confidence`` (largest pseudo-probability)
        and ``top`` (text such as ``"5 91% · 3 6% · 8 0.4%"``, see :func:`percent`).
    """
    rows = np.asarray(rows, dtype=np.int64)
    names = np.asarray([str(name) for name in class_names])
    k = min(k, len(names))
    classes, values = evaluation.top_k(np.asarray(scores)[rows], k=k, score_kind=score_kind,
                                      temperature=temperature)
    top = [" · ".join(f"{names[c]} {percent(v)}" for c, v in zip(cs, vs)) for cs, vs in zip(classes, values)]
    return pd.DataFrame({
        "index": rows,
        "true": names[np.asarray(y_true)[rows]],
        "predicted": names[np.asarray(y_pred)[rows]],
        "confidence": values[:, 0] if rows.size else np.zeros(0),
        "top": top,
    })


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


def threshold_sweep(ovr: thresholds.OneVsRest) -> pd.DataFrame:
    """Precision, recall and false-positive rate at every distinct score of a one-vs-rest problem.

    Returns
    -------
    pd.DataFrame
        Columns ``threshold`` (increasing), ``precision``, ``recall``, ``fpr``.
    """
    tp, fp = ovr.tp.astype(np.float64), ovr.fp.astype(np.float64)
    predicted = tp + fp
    return pd.DataFrame({
        "threshold": ovr.thresholds.astype(np.float64),
        "precision": np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0),
        "recall": tp / ovr.n_pos if ovr.n_pos else np.zeros_like(tp),
        "fpr": fp / ovr.n_neg if ovr.n_neg else np.zeros_like(fp),
    })


#: How the Thresholds page sets a threshold: directly, or as the one that reaches a precision or a recall.
THRESHOLD_BY = ("probability", "precision", "recall")


def choose_threshold(ovr: thresholds.OneVsRest, *, by: str, value: float) -> float:
    """The probability threshold the user asked for.

    Parameters
    ----------
    ovr : one-vs-rest scores (probabilities of the class)
    by : ``"probability"`` (``value`` is the threshold), ``"precision"`` (the
        lowest threshold whose precision reaches ``value``) or ``"recall"``
        (the highest threshold whose recall is still ``value``)
    value : the slider's value, in [0, 1]

    Examples
    --------
    >>> ovr = thresholds.OneVsRest.from_scores([0, 1, 1, 0], [[.9, .1], [.4, .6], [.2, .8], [.3, .7]], cls=1)
    >>> choose_threshold(ovr, by="precision", value=1.0), choose_threshold(ovr, by="recall", value=1.0)
    (0.8, 0.6)
    """
    if by == "probability":
        return float(value)
    if by == "precision":
        return ovr.for_precision(value)
    if by == "recall":
        return ovr.for_recall(value)
    raise ValueError(f"by must be one of {THRESHOLD_BY}, got {by!r}.")


def reduced_sweep(ovr: thresholds.OneVsRest, *, width: int = 400, height: int = 300) -> pd.DataFrame:
    """:func:`threshold_sweep` cut to the rows a ``width`` x ``height`` chart of precision and recall
    against the threshold needs (:func:`core.analysis.thresholds.reduce_curve` on each line)."""
    sweep = threshold_sweep(ovr)
    x = sweep["threshold"].to_numpy()
    keep = np.union1d(thresholds.reduce_curve(x, sweep["precision"].to_numpy(), width=width, height=height),
                      thresholds.reduce_curve(x, sweep["recall"].to_numpy(), width=width, height=height))
    return sweep.iloc[keep].reset_index(drop=True)


def reduced_coverage(frame: pd.DataFrame, *, width: int = 600, height: int = 340) -> pd.DataFrame:
    """A :func:`core.analysis.thresholds.coverage_curve` frame cut to the rows its chart needs
    (:func:`core.analysis.thresholds.reduce_curve`; the accuracy axis spans the lowest accuracy to 1)."""
    accuracy = frame["accuracy"].to_numpy()
    low = min(float(accuracy.min()), 1.0 - 1e-9) if accuracy.size else 0.0
    keep = thresholds.reduce_curve(frame["coverage"].to_numpy(), accuracy, width=width, height=height,
                                   y_range=(low, 1.0))
    return frame.iloc[keep].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class ThresholdCurves:
    """What the Thresholds page draws for one class, cut to what its charts can show.

    ``pr`` and ``roc`` are :class:`core.analysis.thresholds.Curve` objects holding only
    the points :func:`core.analysis.thresholds.reduce_curve` keeps, as float32, to be
    drawn with straight lines (the precision-recall staircase has its corners
    made explicit first); their ``area`` is computed on every point.
    ``sweep`` is :func:`reduced_sweep`.
    """

    pr: thresholds.Curve
    roc: thresholds.Curve
    sweep: pd.DataFrame


def threshold_curves(ovr: thresholds.OneVsRest, *, width: int = 400, height: int = 300) -> ThresholdCurves:
    """Precision-recall and ROC curves and the precision/recall sweep of ``ovr``, reduced for drawing."""

    def cut(x, y, area: float) -> thresholds.Curve:
        keep = thresholds.reduce_curve(x, y, width=width, height=height)
        return thresholds.Curve(x=x[keep].astype(np.float32), y=y[keep].astype(np.float32),
                                thresholds=np.empty(0), area=area)

    pr, roc = ovr.pr(), ovr.roc()
    return ThresholdCurves(pr=cut(*thresholds.staircase(pr.x, pr.y), pr.area), roc=cut(roc.x, roc.y, roc.area),
                           sweep=reduced_sweep(ovr, width=width, height=height).astype(np.float32))


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


def png_data_url(image) -> str:
    """A greyscale uint8 image as an inline PNG ``data:`` URL (a 28x28 digit is ~300 bytes).

    Examples
    --------
    >>> png_data_url(np.zeros((2, 2), dtype=np.uint8)).startswith("data:image/png;base64,")
    True
    """
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mosaic(images, *, gap: int = 1) -> np.ndarray:
    """Tile a ``(rows, cols, h, w)`` stack into one 2-D image with ``gap`` blank pixels between tiles."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be (rows, cols, height, width), got shape {images.shape}.")
    rows, cols, height, width = images.shape
    out = np.zeros((rows * (height + gap) - gap, cols * (width + gap) - gap), dtype=images.dtype)
    for r in range(rows):
        for c in range(cols):
            top, left = r * (height + gap), c * (width + gap)
            out[top: top + height, left: left + width] = images[r, c]
    return out


__all__ = [
    "THRESHOLD_BY", "Page", "ThresholdCurves", "ablation_steps", "by_confidence", "choose_threshold", "gallery",
    "mosaic", "paginate", "params_label", "per_class_f1", "percent", "png_data_url", "reduced_coverage",
    "reduced_sweep", "strategy_table", "threshold_curves", "threshold_sweep", "tuning_table",
]
