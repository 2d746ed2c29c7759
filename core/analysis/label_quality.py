"""Label issues: test images whose given label the models doubt, found by cleanlab from stored probabilities.

The probabilities are out-of-sample (every model was fitted on the training
set only), either of one model or of the strongest models together: the mean
of the calibrated probabilities (decision values through each model's stored
softmax temperature) of the ``k`` multiclass models with the highest test
accuracy. cleanlab ranks every image by its label quality
(``get_label_quality_scores``, self-confidence: the probability of the given
label) and flags the likely wrong ones (``find_label_issues``, confident
learning, pruned by the estimated noise rate).

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.2, 0.8], [0.05, 0.95]] * 4)
>>> labels = np.array([0, 0, 1, 1, 0] * 4)
>>> found = label_issues(labels, proba)
>>> found.ranking[:4].tolist() == [4, 9, 14, 19], bool(found.flagged[4]), int(found.suggested[4])
(True, True, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Models averaged by the default "strongest models" source.
TOP_K = 3
#: The source name of the strongest models together.
COMBINED = "top"


@dataclass(frozen=True, eq=False)
class LabelIssues:
    """What cleanlab says about every test label.

    Attributes
    ----------
    quality : ``(n,)`` label quality score in 0-1 (the probability of the given label); low is suspicious
    flagged : ``(n,)`` bool, cleanlab's label issues
    suggested : ``(n,)`` the most probable class (the label cleanlab would give)
    ranking : test rows from the most to the least suspicious label (ascending quality, stable)
    source : what the probabilities came from, in words
    """

    quality: np.ndarray
    flagged: np.ndarray
    suggested: np.ndarray
    ranking: np.ndarray
    source: str

    @property
    def n_flagged(self) -> int:
        return int(self.flagged.sum())

    def table(self, rows, *, labels: np.ndarray, class_names) -> pd.DataFrame:
        """Rows ``rows`` with ``index``, ``given``, ``suggested`` (class names), ``quality`` and ``flagged``."""
        rows = np.asarray(rows, dtype=np.int64)
        names = np.asarray(class_names)
        return pd.DataFrame({"index": rows, "given": names[np.asarray(labels)[rows]],
                             "suggested": names[self.suggested[rows]], "quality": self.quality[rows],
                             "flagged": self.flagged[rows]})


def label_issues(labels, pred_probs, *, source: str = "") -> LabelIssues:
    """Rank and flag the given ``labels`` against out-of-sample ``pred_probs`` ``(n, n_classes)`` with cleanlab.

    Classes without any labelled image (a slice of a dataset) are left out of
    cleanlab's noise estimate and can still be suggested.
    """
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(pred_probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"pred_probs must have one row per label ({len(labels)}), got shape {probs.shape}.")
    present = np.unique(labels)
    sub = probs[:, present]
    sub = sub / np.maximum(sub.sum(axis=1, keepdims=True), 1e-12)
    local = np.searchsorted(present, labels)
    quality = np.asarray(get_label_quality_scores(local, sub, method="self_confidence"), dtype=np.float64)
    flagged = (np.asarray(find_label_issues(local, sub, filter_by="prune_by_noise_rate", n_jobs=1), dtype=bool)
               if len(present) > 1 else np.zeros(len(labels), dtype=bool))
    ranking = np.argsort(quality, kind="stable")
    for array in (quality, flagged, ranking):
        array.flags.writeable = False
    suggested = probs.argmax(axis=1)
    suggested.flags.writeable = False
    return LabelIssues(quality=quality, flagged=flagged, suggested=suggested, ranking=ranking, source=source)


def strongest(accuracies: Mapping[str, float], *, k: int = TOP_K) -> list[str]:
    """The ``k`` model names with the highest accuracy, best first (ties in the given order)."""
    return sorted(accuracies, key=lambda name: -accuracies[name])[:k]


def combine(probabilities: Mapping[str, np.ndarray]) -> np.ndarray:
    """The mean of the models' probability arrays (each ``(n, n_classes)``)."""
    if not probabilities:
        raise ValueError("No model to combine; pick at least one multiclass model.")
    return np.mean([np.asarray(p, dtype=np.float64) for p in probabilities.values()], axis=0)


def corrected_labels(labels, marks: Mapping[int, int]) -> np.ndarray:
    """``labels`` with the reviewed corrections ``{row: right label}`` applied.

    >>> corrected_labels(np.array([1, 2, 3]), {1: 7}).tolist()
    [1, 7, 3]
    """
    fixed = np.array(labels, dtype=np.int64, copy=True)
    for row, label in marks.items():
        fixed[int(row)] = int(label)
    return fixed


def corrected_accuracy(y_true, y_pred, marks: Mapping[int, int]) -> tuple[float, float]:
    """``(accuracy, accuracy with the reviewed corrections applied)`` of ``y_pred``."""
    y_pred = np.asarray(y_pred)
    return float(np.mean(np.asarray(y_true) == y_pred)), float(np.mean(corrected_labels(y_true, marks) == y_pred))
