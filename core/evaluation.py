"""Metrics computed from stored predictions and scores only.

Every function takes the arrays a build stores per model (``y_true``,
``y_pred`` and ``scores`` of shape ``(n, n_classes)``) and never calls
``predict``. All work is vectorised so the dashboard can recompute on every
widget change: thresholds are answered by ``np.searchsorted`` on the sorted
structure kept in :class:`OneVsRest`.

``score_kind`` is ``"proba"`` (``predict_proba`` output) or ``"decision"``
(``decision_function`` output). A sample is predicted positive for class
``cls`` when ``scores[:, cls] >= threshold``, the convention of
:func:`sklearn.metrics.roc_curve`.
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


def default_threshold(score_kind) -> float:
    """Neutral decision threshold: 0.5 for probabilities, 0 for decision values."""
    _check_kind(score_kind)
    return 0.5 if score_kind == "proba" else 0.0


@dataclass(frozen=True)
class BinaryCounts:
    """One-vs-rest outcome of class ``cls`` at one threshold."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    fpr: float


@dataclass(frozen=True, eq=False)
class Curve:
    """A ROC (x=fpr, y=tpr) or precision-recall (x=recall, y=precision) curve.

    ``area`` is the ROC AUC or the average precision. ROC thresholds align
    with the points (the first is ``inf``); precision-recall thresholds have
    one entry fewer, the last point (recall 0, precision 1) has none, as in
    scikit-learn.
    """

    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    area: float


@dataclass(frozen=True, eq=False)
class OneVsRest:
    """Sorted scores of one class against the rest, built once, queried fast.

    ``thresholds`` holds the distinct scores in increasing order; ``tp`` and
    ``fp`` count the positives and negatives scoring ``>= thresholds[i]``.

    Examples
    --------
    >>> ovr = OneVsRest.from_scores([0, 1, 1], [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]], cls=1)
    >>> ovr.at(0.7).tp, ovr.at(0.7).fn
    (1, 1)
    """

    cls: int
    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    n_pos: int
    n_neg: int

    @staticmethod
    def from_scores(y_true, scores, *, cls) -> OneVsRest:
        """Sort the scores of class ``cls`` once (O(n log n))."""
        y_true = _labels(y_true)
        scores = _scores(scores, y_true.size)
        if not 0 <= cls < scores.shape[1]:
            raise ValueError(f"cls must be between 0 and {scores.shape[1] - 1}, got {cls}.")
        order = np.argsort(scores[:, cls], kind="stable")
        sorted_scores = scores[order, cls]
        positive = (y_true[order] == cls).astype(np.int64)
        # positives / rows at index i or above, for i = 0..n-1
        pos_from = np.cumsum(positive[::-1])[::-1]
        rows_from = np.arange(y_true.size, 0, -1)
        first = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
        return OneVsRest(
            cls=int(cls),
            thresholds=sorted_scores[first],
            tp=pos_from[first],
            fp=rows_from[first] - pos_from[first],
            n_pos=int(positive.sum()),
            n_neg=int(y_true.size - positive.sum()),
        )

    def at(self, threshold) -> BinaryCounts:
        """Counts and rates when ``score >= threshold`` means positive (O(log n))."""
        i = int(np.searchsorted(self.thresholds, threshold, side="left"))
        tp, fp = (int(self.tp[i]), int(self.fp[i])) if i < self.thresholds.size else (0, 0)
        fn, tn = self.n_pos - tp, self.n_neg - fp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / self.n_pos if self.n_pos else 0.0
        return BinaryCounts(
            threshold=float(threshold), tp=tp, fp=fp, fn=fn, tn=tn,
            precision=precision, recall=recall,
            f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
            fpr=fp / self.n_neg if self.n_neg else 0.0,
        )

    def _require(self, *, negatives):
        if self.n_pos == 0 or (negatives and self.n_neg == 0):
            raise ValueError(
                f"class {self.cls} needs both positive and negative rows in y_true "
                f"(has {self.n_pos} positive, {self.n_neg} negative); pick another class."
            )

    def roc(self) -> Curve:
        """ROC curve and AUC, as ``sklearn.metrics.roc_curve`` (drop_intermediate=True)."""
        self._require(negatives=True)
        tps, fps, thr = self.tp[::-1], self.fp[::-1], self.thresholds[::-1]
        if tps.size > 2:
            keep = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
            tps, fps, thr = tps[keep], fps[keep], thr[keep]
        fpr = np.r_[0.0, fps / self.n_neg]
        tpr = np.r_[0.0, tps / self.n_pos]
        thresholds = np.r_[np.inf, thr.astype(np.float64)]
        return Curve(x=fpr, y=tpr, thresholds=thresholds, area=float(np.trapezoid(tpr, fpr)))

    def pr(self) -> Curve:
        """Precision-recall curve and average precision, as scikit-learn computes them."""
        self._require(negatives=False)
        precision = _divide(self.tp, self.tp + self.fp)
        recall = self.tp / self.n_pos
        # step integral over increasing recall (decreasing threshold)
        gains = np.diff(np.r_[0.0, recall[::-1]])
        area = float(np.sum(gains * precision[::-1]))
        return Curve(x=np.r_[recall, 0.0], y=np.r_[precision, 1.0],
                     thresholds=self.thresholds.astype(np.float64), area=area)


def roc_curve_ovr(y_true, scores, *, cls) -> Curve:
    """ROC curve (fpr, tpr) and AUC of class ``cls`` against the rest."""
    return OneVsRest.from_scores(y_true, scores, cls=cls).roc()


def pr_curve_ovr(y_true, scores, *, cls) -> Curve:
    """Precision-recall curve and average precision of class ``cls`` against the rest."""
    return OneVsRest.from_scores(y_true, scores, cls=cls).pr()


def binary_at_threshold(y_true, scores, *, cls, threshold) -> BinaryCounts:
    """One-off :meth:`OneVsRest.at`; build a :class:`OneVsRest` for repeated queries."""
    return OneVsRest.from_scores(y_true, scores, cls=cls).at(threshold)


@dataclass(frozen=True, eq=False)
class Abstention:
    """Outcome of keeping only rows with ``confidence >= threshold``.

    ``accuracy_kept`` is NaN when no row is kept.
    """

    threshold: float
    coverage: float
    accuracy_kept: float
    n_kept: int
    kept: np.ndarray
    confusion: np.ndarray


def abstention(y_true, y_pred, confidence, *, threshold, n_classes=None) -> Abstention:
    """Abstain on rows whose confidence is below ``threshold``.

    ``n_classes`` sizes the kept confusion matrix; by default the largest
    label seen plus one.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    kept = np.asarray(confidence) >= threshold
    n_classes = _n_classes(y_true, y_pred) if n_classes is None else n_classes
    n_kept = int(kept.sum())
    return Abstention(
        threshold=float(threshold),
        coverage=n_kept / kept.size if kept.size else 0.0,
        accuracy_kept=accuracy(y_true[kept], y_pred[kept]),
        n_kept=n_kept,
        kept=kept,
        confusion=confusion(y_true[kept], y_pred[kept], n_classes=n_classes),
    )


def coverage_curve(y_true, y_pred, confidence) -> pd.DataFrame:
    """Coverage and accuracy of kept rows for every distinct confidence threshold.

    Returns
    -------
    pd.DataFrame
        Columns ``threshold`` (increasing), ``coverage`` and ``accuracy``.
    """
    y_true, y_pred = _labels(y_true, y_pred)
    conf = np.asarray(confidence)
    order = np.argsort(-conf, kind="stable")
    conf_sorted = conf[order]
    kept = np.arange(1, conf.size + 1)
    correct = np.cumsum(y_true[order] == y_pred[order])
    last = np.flatnonzero(np.r_[conf_sorted[1:] != conf_sorted[:-1], True])[::-1]
    return pd.DataFrame({
        "threshold": conf_sorted[last],
        "coverage": kept[last] / conf.size,
        "accuracy": correct[last] / kept[last],
    })


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


def hardest(y_true, scores, *, score_kind, n=20) -> pd.DataFrame:
    """Rows with the smallest margin on the pseudo-probability scale.

    The margin is the true class's value minus the best other class's value,
    so it is negative exactly when ``argmax(scores)`` is wrong.

    Returns
    -------
    pd.DataFrame
        Columns ``index``, ``true``, ``predicted`` (argmax of scores),
        ``margin``; smallest margin first, ties by index.
    """
    y_true = _labels(y_true)
    probs = probabilities(_scores(scores, y_true.size), score_kind=score_kind)
    rows = np.arange(y_true.size)
    true_value = probs[rows, y_true]
    others = probs.copy()
    others[rows, y_true] = -np.inf
    margin = true_value - others.max(axis=1)
    order = np.argsort(margin, kind="stable")[:n]
    return pd.DataFrame({
        "index": order,
        "true": y_true[order],
        "predicted": probs[order].argmax(axis=1),
        "margin": margin[order],
    })


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
