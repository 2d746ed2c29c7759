"""Intervals on the rates Digit Lens shows: Wilson score intervals and a seeded bootstrap for macro F1.

Every rate here is a count of images out of a count of images, so its
uncertainty is that of a binomial proportion. The Wilson score interval
(Wilson, 1927) keeps its coverage near the stated level even for rates near 0
or 1 and for small counts, where the textbook ``p ± z·sqrt(p(1-p)/n)`` does
not, and it never leaves ``[0, 1]``. Macro F1 is no proportion, so its
interval is a percentile bootstrap over the test images; the resamples depend
only on ``(n, seed, n_boot)`` (:func:`bootstrap_indices`), so every model is
judged on the same resamples and two models' intervals differ only by their
predictions.

A rate on fewer than :data:`THIN` images is *thin* (:func:`thin`): its
interval is wide and the dashboard marks it.

Examples
--------
>>> ci = wilson(5, 10)
>>> round(float(ci.low), 4), round(float(ci.high), 4)
(0.2366, 0.7634)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.analysis.evaluation import confusion

#: Fewer images than this behind a rate make it thin.
THIN = 30
#: Bootstrap resamples by default.
N_BOOT = 1000
_CHUNK = 100


@dataclass(frozen=True, eq=False)
class Interval:
    """A point estimate and its interval; each field is a float or an array of one shape.

    ``estimate`` is NaN where there is nothing to estimate (no trials); the
    interval is then ``[0, 1]``.
    """

    estimate: np.ndarray | float
    low: np.ndarray | float
    high: np.ndarray | float
    confidence: float = 0.95

    @property
    def width(self):
        """``high - low``."""
        return np.subtract(self.high, self.low)


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}.")
    return float(norm.ppf(0.5 + confidence / 2))


def _scalar_or_array(values, like):
    return float(values) if like.ndim == 0 else values


def wilson(successes, trials, *, confidence: float = 0.95) -> Interval:
    """Wilson score interval of ``successes / trials``, elementwise over arrays of counts.

    Parameters
    ----------
    successes, trials : int or array of int
        Counts; they broadcast against each other. ``0 <= successes <= trials``.
    confidence : float
        Two-sided level; ``z`` is ``scipy.stats.norm.ppf(0.5 + confidence / 2)``
        (1.96 for 95%).

    Returns
    -------
    Interval
        Floats for scalar counts, arrays otherwise. Where ``trials == 0`` the
        estimate is NaN and the interval ``[0, 1]``.

    Examples
    --------
    >>> ci = wilson(np.array([0, 10]), np.array([10, 10]))
    >>> ci.low.round(4).tolist(), ci.high.round(4).tolist()
    ([0.0, 0.7225], [0.2775, 1.0])
    >>> float(wilson(0, 0).high)
    1.0
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and trials; check the counts passed.")
    z = _z(confidence)
    z2 = z * z
    empty = n == 0
    safe_n = np.where(empty, 1.0, n)
    p = k / safe_n
    # (k + z²/2) / (n + z²) ± z·sqrt(k(n-k)/n + z²/4) / (n + z²)
    centre = (k + z2 / 2) / (safe_n + z2)
    half = z * np.sqrt(k * (safe_n - k) / safe_n + z2 / 4) / (safe_n + z2)
    low = np.where(empty, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, 1.0, np.clip(centre + half, 0.0, 1.0))
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    estimate = np.where(empty, np.nan, p)
    like = np.broadcast(k, n)
    return Interval(_scalar_or_array(estimate, like), _scalar_or_array(low, like),
                    _scalar_or_array(high, like), confidence)


def thin(counts, *, minimum: int = THIN):
    """True where a rate rests on fewer than ``minimum`` images (bool, or a bool array for arrays).

    Examples
    --------
    >>> thin(np.array([0, 29, 30, 500])).tolist()
    [True, True, False, False]
    """
    flags = np.asarray(counts) < minimum
    return bool(flags) if flags.ndim == 0 else flags


def rate_text(successes: int, trials: int, *, confidence: float = 0.95) -> str:
    """A rate with its Wilson interval in words, marked thin under :data:`THIN` trials.

    Examples
    --------
    >>> rate_text(12, 892)
    '1.3% (95% CI 0.8–2.3%)'
    >>> rate_text(3, 10)
    '30.0% (95% CI 10.8–60.3%, thin: 10 images)'
    """
    interval = wilson(successes, trials, confidence=confidence)
    mark = f", thin: {trials:,} images" if thin(trials) else ""
    return (f"{interval.estimate:.1%} ({confidence:.0%} CI {100 * interval.low:.1f}–{100 * interval.high:.1f}%"
            f"{mark})")


def accuracy_interval(y_true, y_pred, *, confidence: float = 0.95) -> Interval:
    """Accuracy with its Wilson interval (floats).

    Examples
    --------
    >>> ci = accuracy_interval(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]))
    >>> ci.estimate, round(ci.low, 3), round(ci.high, 3)
    (0.75, 0.301, 0.954)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return wilson(int(np.sum(y_true == y_pred)), y_true.size, confidence=confidence)


def class_intervals(y_true, y_pred, *, class_names, confidence: float = 0.95) -> pd.DataFrame:
    """Per-class precision and recall, each with its Wilson interval.

    Precision is true positives out of the images predicted as the class,
    recall true positives out of the images of the class. A rate with no
    images behind it is NaN with the interval ``[0, 1]``.

    Returns
    -------
    pd.DataFrame
        Index: the class names (``"class"``); columns ``tp``, ``predicted``,
        ``support`` (int), ``precision``, ``precision_low``, ``precision_high``,
        ``recall``, ``recall_low``, ``recall_high`` (float) and ``thin``
        (fewer than :data:`THIN` images behind either rate).

    Examples
    --------
    >>> table = class_intervals([0, 0, 1, 1], [0, 1, 1, 1], class_names=["0", "1"])
    >>> table.loc["1", ["tp", "predicted", "support"]].tolist()
    [2, 3, 2]
    >>> table.loc["1", ["precision", "precision_low", "precision_high"]].round(3).tolist()
    [0.667, 0.208, 0.939]
    >>> table["thin"].tolist()
    [True, True]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    cm = confusion(y_true, y_pred, n_classes=len(class_names))
    tp, predicted, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    precision = wilson(tp, predicted, confidence=confidence)
    recall = wilson(tp, support, confidence=confidence)
    return pd.DataFrame({
        "tp": tp, "predicted": predicted, "support": support,
        "precision": precision.estimate, "precision_low": precision.low,
        "precision_high": precision.high,
        "recall": recall.estimate, "recall_low": recall.low, "recall_high": recall.high,
        "thin": thin(np.minimum(predicted, support)),
    }, index=pd.Index([str(name) for name in class_names], name="class"))


def bootstrap_indices(n: int, *, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """Row indices of ``n_boot`` resamples of ``n`` images with replacement, shape ``(n_boot, n)``.

    They depend only on ``(n, seed, n_boot)``: build them once per test set
    and pass them to :func:`macro_f1_interval` for every model, so all models
    are resampled alike (int32, 40 MB for 1,000 resamples of 10,000 images).

    Examples
    --------
    >>> idx = bootstrap_indices(5, n_boot=3, seed=0)
    >>> idx.shape, bool((idx == bootstrap_indices(5, n_boot=3, seed=0)).all())
    ((3, 5), True)
    """
    if n < 1 or n_boot < 1:
        raise ValueError(f"n and n_boot must be positive, got n={n}, n_boot={n_boot}.")
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n), dtype=np.int32)


def macro_f1_interval(y_true, y_pred, *, indices, n_classes: int,
                      confidence: float = 0.95) -> Interval:
    """Macro F1 with a percentile bootstrap interval over the resamples ``indices``.

    F1 per class is ``2·tp / (predicted + support)``, 0 where both are 0, and
    the macro average is over all ``n_classes`` classes
    (:func:`core.analysis.evaluation.class_report`'s ``"macro avg"``). The
    interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles of the resamples' macro F1.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (n,)
    indices : np.ndarray, shape (n_boot, n)
        From :func:`bootstrap_indices`.
    n_classes : int
    confidence : float

    Returns
    -------
    Interval
        Floats: the full test set's macro F1 and the bootstrap interval.

    Examples
    --------
    >>> y = np.arange(100) % 2
    >>> ci = macro_f1_interval(y, y, indices=bootstrap_indices(100, n_boot=50), n_classes=2)
    >>> ci.estimate, ci.low, ci.high
    (1.0, 1.0, 1.0)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    indices = np.asarray(indices)
    if indices.ndim != 2 or indices.shape[1] != y_true.size:
        raise ValueError(f"indices have shape {indices.shape} but there are {y_true.size} rows; "
                         "build them with bootstrap_indices(len(y_true)).")
    _z(confidence)
    estimate = float(_macro_f1(confusion(y_true, y_pred, n_classes=n_classes)[None])[0])
    cells = n_classes * n_classes
    cell = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    scores = []
    for start in range(0, indices.shape[0], _CHUNK):  # chunks keep the (b, n) work arrays small
        chunk = indices[start:start + _CHUNK]
        flat = cell[chunk]
        flat += (np.arange(len(chunk), dtype=np.int64) * cells)[:, None]
        counts = np.bincount(flat.ravel(), minlength=len(chunk) * cells)
        scores.append(_macro_f1(counts.reshape(len(chunk), n_classes, n_classes)))
    scores = np.concatenate(scores)
    low, high = np.quantile(scores, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Interval(estimate, float(low), float(high), confidence)


def macro_f1_intervals(y_true, predictions, *, indices, n_classes: int,
                       confidence: float = 0.95) -> pd.DataFrame:
    """:func:`macro_f1_interval` for every model of ``predictions`` (name -> y_pred), same resamples.

    Returns
    -------
    pd.DataFrame
        Index: the model names (``"model"``), in the mapping's order; columns
        ``macro_f1``, ``low``, ``high``.
    """
    rows = {name: macro_f1_interval(y_true, y_pred, indices=indices, n_classes=n_classes,
                                    confidence=confidence)
            for name, y_pred in predictions.items()}
    return pd.DataFrame({"macro_f1": [ci.estimate for ci in rows.values()],
                         "low": [ci.low for ci in rows.values()],
                         "high": [ci.high for ci in rows.values()]},
                        index=pd.Index(list(rows), name="model"))


def _macro_f1(cms):
    """Macro F1 of a stack of confusion matrices, shape (b, k, k) -> (b,)."""
    tp = np.diagonal(cms, axis1=1, axis2=2).astype(np.float64)
    den = cms.sum(axis=1) + cms.sum(axis=2)
    f1 = np.divide(2 * tp, den, out=np.zeros_like(tp), where=den != 0)
    return f1.mean(axis=1)


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(f"y_true and y_pred must be 1-D and of one length, got shapes "
                         f"{y_true.shape} and {y_pred.shape}.")
    return y_true, y_pred
