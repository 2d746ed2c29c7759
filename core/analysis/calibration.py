"""Does "90% confident" mean right 9 times in 10? Top-label calibration of stored probabilities.

The top label of a row is its most probable class (``argmax``, the lower class
on ties) and its confidence that probability. The reliability diagram sorts
the rows into :data:`N_BINS` equal-width bins of confidence on ``[0, 1]``
(``[0, 1/15), [1/15, 2/15), ..., [14/15, 1]``) and compares, per bin, the mean
confidence with the share of rows whose top label is right. The expected
calibration error (ECE, Guo et al., 2017) is the mean of
``|accuracy - confidence|`` over the bins, weighted by their rows. The Brier
score (mean over rows of the summed squared difference between the
probabilities and the one-hot truth, 0 to 2) and the log loss (mean negative
log probability of the true class) score all the probabilities, not just the
top one.

``proba`` is a model's probabilities: ``predict_proba`` output, or decision
values through :func:`core.analysis.evaluation.probabilities` at the stored
temperature (pass ``temperature=1`` for the uncalibrated view).

Examples
--------
>>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
>>> result = calibration(np.array([0, 1, 1, 1]), proba)
>>> round(result.ece, 3), round(result.brier, 3)
(0.4, 0.45)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import intervals
from core.analysis.evaluation import probabilities

N_BINS = 15
#: Probabilities of the true class below this count as this in the log loss.
EPS = 1e-15


@dataclass(frozen=True, eq=False)
class Calibration:
    """Top-label reliability bins and the three calibration scores of one model."""

    bins: pd.DataFrame   # one row per bin: low, high, count, confidence, accuracy (NaN when empty)
    ece: float           # bin-weighted mean |accuracy - confidence|
    brier: float         # mean over rows of sum over classes of (p - onehot)^2, 0..2
    log_loss: float      # mean -log p(true class), p clipped below at EPS
    n: int               # rows

    @property
    def accuracy(self) -> float:
        """Share of rows whose top label is right."""
        return float((self.bins["count"] * self.bins["accuracy"].fillna(0)).sum() / self.n)

    @property
    def mean_confidence(self) -> float:
        """Mean top-label confidence."""
        return float((self.bins["count"] * self.bins["confidence"].fillna(0)).sum() / self.n)


def _check(y_true, proba):
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-D (n_samples, n_classes), got shape {proba.shape}.")
    if y_true.ndim != 1 or y_true.size != proba.shape[0]:
        raise ValueError(f"y_true must be 1-D with one label per row of proba, got shape "
                         f"{y_true.shape} for {proba.shape[0]} rows.")
    if y_true.size == 0:
        raise ValueError("no rows: calibration needs at least one image.")
    if y_true.min() < 0 or y_true.max() >= proba.shape[1]:
        raise ValueError(f"labels must lie in 0..{proba.shape[1] - 1}, one column of proba per class.")
    return y_true.astype(np.int64), proba


def reliability_bins(y_true, proba, *, n_bins: int = N_BINS) -> pd.DataFrame:
    """Top-label reliability diagram: rows, mean confidence and accuracy per confidence bin.

    Returns
    -------
    pd.DataFrame
        ``n_bins`` rows, lowest bin first; columns ``low``, ``high`` (bin
        edges), ``count`` (int), ``confidence`` and ``accuracy`` (NaN for an
        empty bin). A confidence on an inner edge belongs to the bin above it.

    Examples
    --------
    >>> bins = reliability_bins(np.array([0, 1]), np.array([[0.95, 0.05], [0.6, 0.4]]), n_bins=5)
    >>> bins["count"].tolist(), bins["accuracy"].tolist()
    ([0, 0, 1, 0, 1], [nan, nan, 0.0, nan, 1.0])
    """
    y_true, proba = _check(y_true, proba)
    top = proba.argmax(axis=1)
    return _binned(proba[np.arange(y_true.size), top], (top == y_true).astype(np.float64), n_bins=n_bins)


def class_reliability(y_true, proba, *, cls: int, n_bins: int = N_BINS) -> pd.DataFrame:
    """One digit's reliability diagram: rows binned by their probability of class ``cls``, and per bin the mean
    of that probability (``confidence``) and the share of rows whose true class is ``cls`` (``accuracy``).

    Same columns and bins as :func:`reliability_bins`; every row counts, whatever its top label.

    Examples
    --------
    >>> bins = class_reliability(np.array([1, 0, 1]), np.array([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]), cls=1, n_bins=2)
    >>> bins["count"].tolist(), bins["accuracy"].tolist()
    ([1, 2], [0.0, 1.0])
    """
    y_true, proba = _check(y_true, proba)
    if not 0 <= cls < proba.shape[1]:
        raise ValueError(f"class {cls} is not one of the {proba.shape[1]} columns.")
    return _binned(proba[:, cls], (y_true == cls).astype(np.float64), n_bins=n_bins)


def _binned(conf: np.ndarray, right: np.ndarray, *, n_bins: int) -> pd.DataFrame:
    """Rows, mean ``conf`` and mean ``right`` in each of ``n_bins`` equal-width bins of ``conf`` on [0, 1]."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be positive, got {n_bins}.")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], conf, side="right")
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, weights=conf, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=right, minlength=n_bins) / count
    return pd.DataFrame({"low": edges[:-1], "high": edges[1:], "count": count.astype(np.int64),
                         "confidence": confidence, "accuracy": accuracy})


def reliability_table(bins: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """The non-empty bins of a reliability diagram with their accuracy's Wilson interval, as the page lists them.

    Columns: ``bin`` (its edges as text), ``count``, ``confidence``, ``accuracy``, ``accuracy_low``,
    ``accuracy_high``, ``gap`` (accuracy - confidence) and ``thin`` (fewer than
    :data:`core.analysis.intervals.THIN` images).

    Examples
    --------
    >>> bins = reliability_bins(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.95, 0.05], [0.3, 0.7]]), n_bins=2)
    >>> table = reliability_table(bins)
    >>> table["bin"].tolist(), table["count"].tolist(), table["thin"].tolist()
    (['0.50-1.00'], [3], [True])
    """
    shown = bins[bins["count"] > 0]
    hits = np.rint(shown["accuracy"].to_numpy() * shown["count"].to_numpy())
    interval = intervals.wilson(hits, shown["count"].to_numpy(), confidence=confidence)
    return pd.DataFrame({
        "bin": [f"{low:.2f}-{high:.2f}" for low, high in zip(shown["low"], shown["high"])],
        "count": shown["count"].to_numpy(), "confidence": shown["confidence"].to_numpy(),
        "accuracy": shown["accuracy"].to_numpy(), "accuracy_low": interval.low, "accuracy_high": interval.high,
        "gap": (shown["accuracy"] - shown["confidence"]).to_numpy(), "thin": intervals.thin(shown["count"].to_numpy()),
    })


def expected_calibration_error(y_true, proba, *, n_bins: int = N_BINS) -> float:
    """ECE: the mean of ``|accuracy - confidence|`` over :func:`reliability_bins`, weighted by rows.

    Examples
    --------
    >>> expected_calibration_error(np.array([0, 0, 0, 1]), np.tile([0.75, 0.25], (4, 1)))
    0.0
    """
    return _ece(reliability_bins(y_true, proba, n_bins=n_bins))


def _ece(bins: pd.DataFrame) -> float:
    gap = (bins["accuracy"] - bins["confidence"]).abs().fillna(0.0)
    return float((bins["count"] * gap).sum() / bins["count"].sum())


def brier_score(y_true, proba) -> float:
    """Multiclass Brier score: mean over rows of ``sum_k (proba[k] - [k == y])^2`` (0 best, 2 worst).

    For two classes this is twice scikit-learn's binary ``brier_score_loss``.

    Examples
    --------
    >>> brier_score(np.array([0, 1]), np.array([[1.0, 0.0], [0.5, 0.5]]))
    0.25
    """
    y_true, proba = _check(y_true, proba)
    diff = proba.copy()
    diff[np.arange(y_true.size), y_true] -= 1.0
    return float(np.mean(np.sum(diff * diff, axis=1)))


def log_loss(y_true, proba, *, eps: float = EPS) -> float:
    """Mean ``-log`` of the true class's probability, clipped below at ``eps`` so a 0 stays finite.

    Examples
    --------
    >>> round(log_loss(np.array([0, 1]), np.array([[0.5, 0.5], [0.0, 1.0]])), 4)
    0.3466
    >>> round(log_loss(np.array([1]), np.array([[1.0, 0.0]])), 2)
    34.54
    """
    y_true, proba = _check(y_true, proba)
    if not 0 < eps < 1:
        raise ValueError(f"eps must lie strictly between 0 and 1, got {eps}.")
    p_true = np.clip(proba[np.arange(y_true.size), y_true], eps, 1.0)
    return float(-np.mean(np.log(p_true)))


def calibration(y_true, proba, *, n_bins: int = N_BINS, eps: float = EPS) -> Calibration:
    """Reliability bins, ECE, Brier score and log loss of one model's probabilities.

    Parameters
    ----------
    y_true : array of int, shape (n,)
    proba : array of float, shape (n, n_classes)
        Rows of probabilities (each summing to 1).
    n_bins : int
        Equal-width confidence bins on ``[0, 1]``.
    eps : float
        Floor of the true class's probability in the log loss.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> result = calibration(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> result.n, round(result.accuracy, 2), round(result.mean_confidence, 2), round(result.ece, 2)
    (2, 1.0, 0.85, 0.15)
    """
    bins = reliability_bins(y_true, proba, n_bins=n_bins)
    return Calibration(bins=bins, ece=_ece(bins), brier=brier_score(y_true, proba),
                       log_loss=log_loss(y_true, proba, eps=eps), n=int(np.asarray(y_true).size))


@dataclass(frozen=True, eq=False)
class ModelCalibration:
    """A model's calibration as the pages read it (``after``: at the stored temperature) and, for decision values,
    before that temperature (a plain softmax, ``before``; None for probabilities, which get no temperature)."""

    after: Calibration
    before: Calibration | None
    temperature: float
    score_kind: str


def model_calibration(y_true, scores, *, score_kind: str, temperature: float, n_bins: int = N_BINS,
                      eps: float = EPS) -> ModelCalibration:
    """:func:`calibration` of stored scores at the stored temperature, and at temperature 1 for decision values.

    Examples
    --------
    >>> scores = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    >>> result = model_calibration(np.array([0, 1, 1]), scores, score_kind="decision", temperature=2.0)
    >>> result.before.mean_confidence > result.after.mean_confidence
    True
    """
    after = calibration(y_true, probabilities(scores, score_kind=score_kind, temperature=temperature),
                        n_bins=n_bins, eps=eps)
    before = None if score_kind == "proba" else calibration(
        y_true, probabilities(scores, score_kind=score_kind, temperature=1.0), n_bins=n_bins, eps=eps)
    return ModelCalibration(after=after, before=before, temperature=float(temperature), score_kind=score_kind)


def calibration_table(models: dict[str, ModelCalibration]) -> pd.DataFrame:
    """One row per model (in the given order): accuracy, mean confidence, ECE at the stored temperature and
    before it (NaN for probabilities), the temperature, Brier score and log loss.

    Examples
    --------
    >>> proba = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> table = calibration_table({"m": model_calibration(np.array([0, 1]), proba, score_kind="proba",
    ...                                                   temperature=1.0)})
    >>> table.columns.tolist()
    ['accuracy', 'mean_confidence', 'ece', 'ece_before', 'temperature', 'brier', 'log_loss']
    """
    rows = {name: {"accuracy": m.after.accuracy, "mean_confidence": m.after.mean_confidence, "ece": m.after.ece,
                   "ece_before": np.nan if m.before is None else m.before.ece, "temperature": m.temperature,
                   "brier": m.after.brier, "log_loss": m.after.log_loss} for name, m in models.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["accuracy", "mean_confidence", "ece", "ece_before",
                                                                   "temperature", "brier", "log_loss"])
