"""Metrics computed from stored predictions and scores only.

Every function takes the arrays a build stores per model (``y_true``,
``y_pred`` and ``scores`` of shape ``(n, n_classes)``) and never calls
``predict``. All work is vectorised so the dashboard can recompute on every
widget change; threshold curves and abstention live in :mod:`core.analysis.thresholds`.

``score_kind`` is ``"proba"`` (``predict_proba`` output) or ``"decision"``
(``decision_function`` output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SCORE_KINDS = ("proba", "decision")


def _labels(y_true, y_pred=None):
    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D, got shape {y_true.shape}; pass one label per row.")
    if y_pred is None:
        return y_true
    y_pred = np.asarray(y_pred)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred has shape {y_pred.shape} but y_true has {y_true.shape}; "
            "pass predictions for the same test rows."
        )
    return y_true, y_pred


def _scores(scores, n_rows=None):
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise ValueError(
            f"scores must be 2-D (n_samples, n_classes), got shape {scores.shape}; "
            "stack a binary decision_function as np.column_stack([-d, d])."
        )
    if n_rows is not None and scores.shape[0] != n_rows:
        raise ValueError(f"scores has {scores.shape[0]} rows but y_true has {n_rows}.")
    return scores


def _n_classes(y_true, y_pred):
    return int(max(y_true.max(), y_pred.max())) + 1 if y_true.size else 0


def _check_kind(score_kind):
    if score_kind not in SCORE_KINDS:
        raise ValueError(f"score_kind must be one of {SCORE_KINDS}, got {score_kind!r}.")


def _divide(num, den):
    """Elementwise ``num / den`` with 0 where ``den == 0`` and no warnings."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def confusion(y_true, y_pred, *, n_classes, normalize=None):
    """Confusion matrix with true classes as rows and predictions as columns.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (n,)
    n_classes : int
    normalize : {None, "true"}
        ``"true"`` divides each row by its total (rows without samples stay 0).

    Returns
    -------
    np.ndarray, shape (n_classes, n_classes)
        int64 counts, or float64 row shares when ``normalize="true"``.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    if normalize not in (None, "true"):
        raise ValueError(f'normalize must be None or "true", got {normalize!r}.')
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0
                        or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}; check n_classes.")
    flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    counts = np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    if normalize == "true":
        return _divide(counts, counts.sum(axis=1, keepdims=True))
    return counts


def accuracy(y_true, y_pred) -> float:
    """Share of rows where ``y_pred == y_true`` (NaN for no rows)."""
    y_true, y_pred = _labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def class_report(y_true, y_pred, *, class_names) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, plus macro and weighted averages.

    Undefined ratios (no predictions or no samples of a class) are 0, as with
    scikit-learn's ``zero_division=0``, and raise no warning.

    Returns
    -------
    pd.DataFrame
        Index: the class names, then ``"macro avg"`` and ``"weighted avg"``;
        columns ``precision``, ``recall``, ``f1`` (float) and ``support`` (int).
    """
    cm = confusion(y_true, y_pred, n_classes=len(class_names))
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    precision = _divide(tp, cm.sum(axis=0))
    recall = _divide(tp, support)
    f1 = _divide(2 * tp, cm.sum(axis=0) + support)
    metrics = np.column_stack([precision, recall, f1])
    total = int(support.sum())
    averages = np.vstack([metrics.mean(axis=0), _divide(support, total) @ metrics])
    index = [str(name) for name in class_names] + ["macro avg", "weighted avg"]
    table = pd.DataFrame(np.vstack([metrics, averages]), columns=["precision", "recall", "f1"],
                         index=pd.Index(index, name="class"))
    table["support"] = np.r_[support, total, total].astype(np.int64)
    return table


def probabilities(scores, *, score_kind, temperature: float = 1.0) -> np.ndarray:
    """Probabilities: ``proba`` passes through, ``decision`` goes through ``softmax(scores / temperature)``.

    The softmax subtracts each row's maximum first, so large decision values
    do not overflow. ``temperature`` comes from :func:`fit_temperature`; the
    build stores it per model.
    """
    _check_kind(score_kind)
    scores = _scores(scores)
    if score_kind == "proba":
        return scores
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    scaled = scores / temperature
    shifted = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def fit_temperature(scores, y_true) -> float:
    """The softmax temperature that minimises the log loss of decision values ``scores``.

    Temperature scaling (Guo et al., 2017) turns decision values of any scale
    into calibrated-looking probabilities without changing the predicted class.

    Examples
    --------
    >>> scores = np.array([[40.0, 0.0], [0.0, 40.0], [30.0, 0.0], [0.0, 10.0]])
    >>> 1 < fit_temperature(scores, np.array([0, 1, 1, 1]))
    True
    """
    from scipy.optimize import minimize_scalar

    scores = _scores(scores).astype(np.float64)
    y_true = np.asarray(y_true)
    rows = np.arange(len(y_true))

    def log_loss(log_t):
        scaled = scores / np.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(scaled).sum(axis=1)) - scaled[rows, y_true]))

    return float(np.exp(minimize_scalar(log_loss, bounds=(-6.0, 8.0), method="bounded").x))


def confidence(scores, *, score_kind, temperature: float = 1.0) -> np.ndarray:
    """Largest probability per row, shape (n,)."""
    return probabilities(scores, score_kind=score_kind, temperature=temperature).max(axis=1)


def top_k(scores, *, k=3, score_kind, temperature: float = 1.0):
    """The ``k`` most likely classes per row.

    Returns
    -------
    classes : np.ndarray of int, shape (n, k)
        Best first; ties keep the lower class first.
    values : np.ndarray of float, shape (n, k)
        Their probabilities.
    """
    probs = probabilities(scores, score_kind=score_kind, temperature=temperature)
    if not 1 <= k <= probs.shape[1]:
        raise ValueError(f"k must be between 1 and {probs.shape[1]}, got {k}.")
    classes = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return classes, np.take_along_axis(probs, classes, axis=1)


def confused_pairs(y_true, y_pred, *, top=10, class_names=None) -> pd.DataFrame:
    """Most frequent (true, predicted) mistakes.

    Returns
    -------
    pd.DataFrame
        Columns ``true``, ``predicted`` (int), ``count``, ``share_of_true``
        (count / rows of that true class); with ``class_names`` also
        ``true_name`` and ``predicted_name``. Sorted by count, descending,
        then by true and predicted class; at most ``top`` rows, none with count 0.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    n_classes = _n_classes(y_true, y_pred) if class_names is None else len(class_names)
    cm = confusion(y_true, y_pred, n_classes=n_classes)
    true, predicted = np.nonzero(cm * (1 - np.eye(n_classes, dtype=np.int64)))
    counts = cm[true, predicted]
    order = np.argsort(-counts, kind="stable")[:top]
    table = pd.DataFrame({
        "true": true[order],
        "predicted": predicted[order],
        "count": counts[order],
        "share_of_true": counts[order] / cm.sum(axis=1)[true[order]],
    })
    if class_names is not None:
        names = np.asarray([str(name) for name in class_names])
        table["true_name"] = names[table["true"]]
        table["predicted_name"] = names[table["predicted"]]
    return table


def cell_indices(y_true, y_pred, confidence, *, true, predicted) -> np.ndarray:
    """Row indices in confusion cell (``true``, ``predicted``), most confident first.

    Rows of equal confidence keep increasing index order.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    rows = np.flatnonzero((y_true == true) & (y_pred == predicted))
    return rows[np.argsort(-np.asarray(confidence)[rows], kind="stable")]


def cells_by_interest(counts) -> np.ndarray:
    """The non-empty cells of confusion ``counts`` in the order a reader opens them: the mistakes,
    largest first, then the correct cells, largest first (ties by row, then column).

    Returns
    -------
    np.ndarray
        ``(k, 2)`` integer rows of ``(true, predicted)``.

    Examples
    --------
    >>> cells_by_interest(np.array([[5, 1], [3, 0]])).tolist()
    [[1, 0], [0, 1], [0, 0]]
    """
    counts = np.asarray(counts)
    true, predicted = np.nonzero(counts)
    order = np.lexsort((predicted, true, -counts[true, predicted], true == predicted))
    return np.column_stack([true[order], predicted[order]])


@dataclass(frozen=True, eq=False)
class Disagreements:
    """Where two models' predictions differ in correctness (row index arrays)."""

    a_right_b_wrong: np.ndarray
    b_right_a_wrong: np.ndarray
    both_wrong_differently: np.ndarray
    n_both_right: int
    n_both_wrong_same: int

    @property
    def counts(self) -> dict[str, int]:
        """Number of rows in each of the five outcomes."""
        return {
            "a_right_b_wrong": int(self.a_right_b_wrong.size),
            "b_right_a_wrong": int(self.b_right_a_wrong.size),
            "both_wrong_differently": int(self.both_wrong_differently.size),
            "both_wrong_same": self.n_both_wrong_same,
            "both_right": self.n_both_right,
        }


def disagreements(y_true, pred_a, pred_b) -> Disagreements:
    """Compare the predictions of model A and model B on the same rows."""
    y_true, pred_a = _labels(y_true, pred_a)
    _, pred_b = _labels(y_true, pred_b)
    a_right, b_right = pred_a == y_true, pred_b == y_true
    both_wrong = ~a_right & ~b_right
    return Disagreements(
        a_right_b_wrong=np.flatnonzero(a_right & ~b_right),
        b_right_a_wrong=np.flatnonzero(b_right & ~a_right),
        both_wrong_differently=np.flatnonzero(both_wrong & (pred_a != pred_b)),
        n_both_right=int(np.sum(a_right & b_right)),
        n_both_wrong_same=int(np.sum(both_wrong & (pred_a == pred_b))),
    )
