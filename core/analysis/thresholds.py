"""Thresholds: one-vs-rest curves and operating points, and abstaining below a confidence.

Computed from stored scores only. :class:`OneVsRest` sorts one class's scores
once, so every threshold query is an ``np.searchsorted``; a sample is
predicted positive for class ``cls`` when ``scores[:, cls] >= threshold``, the
convention of :func:`sklearn.metrics.roc_curve`.

Examples
--------
>>> import numpy as np
>>> ovr = OneVsRest.from_scores(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]]), cls=1)
>>> ovr.at(0.5).recall
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis.evaluation import _check_kind, _divide, _labels, _n_classes, _scores, accuracy, confusion


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
    ``order`` lists the rows by increasing score and ``positive`` flags the
    positives in that order, so the images nearest a threshold are found
    without a pass over the rows (:meth:`near`).

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
    order: np.ndarray
    sorted_scores: np.ndarray
    positive: np.ndarray

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
            order=order,
            sorted_scores=sorted_scores,
            positive=positive.astype(bool),
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

    def near(self, threshold, *, k: int = 6) -> tuple[np.ndarray, np.ndarray]:
        """The mistakes nearest ``threshold``: rows that change side first when it moves.

        Returns
        -------
        false_positives : rows of negatives scoring ``>= threshold``, lowest score first
            (raising the threshold past them removes them first)
        false_negatives : rows of positives scoring ``< threshold``, highest score first
            (lowering the threshold recovers them first)
        """
        i = int(np.searchsorted(self.sorted_scores, threshold, side="left"))
        negatives = np.flatnonzero(~self.positive[i:i + self._window(i, k, above=True)])[:k] + i
        start = max(0, i - self._window(i, k, above=False))
        positives = np.flatnonzero(self.positive[start:i])[::-1][:k] + start
        return self.order[negatives], self.order[positives]

    def _window(self, i: int, k: int, *, above: bool) -> int:
        """How many sorted rows on one side of position ``i`` hold ``k`` rows of the wanted kind (all if fewer)."""
        side = ~self.positive[i:] if above else self.positive[:i][::-1]
        found = np.flatnonzero(side)
        return int(found[k - 1] + 1) if found.size >= k else side.size

    def for_precision(self, target: float) -> float:
        """The lowest threshold whose precision reaches ``target`` (most recall at that precision).

        Returns the highest score when no threshold reaches it.
        """
        precision = _divide(self.tp, self.tp + self.fp)
        reached = np.flatnonzero(precision >= target)
        return float(self.thresholds[reached[0] if reached.size else -1])

    def for_recall(self, target: float) -> float:
        """The highest threshold whose recall is still at least ``target`` (most precision at that recall)."""
        recall = self.tp / self.n_pos if self.n_pos else np.zeros(self.tp.size)
        reached = np.flatnonzero(recall >= target)
        return float(self.thresholds[reached[-1] if reached.size else 0])

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
