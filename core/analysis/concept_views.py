"""What the Concepts page draws, from stored arrays: the detector's threshold chosen on cross-validated
training scores, multilabel reports, where one-vs-rest and one-vs-one differ, and one live denoising.

Examples
--------
>>> import numpy as np
>>> multilabel_report(np.array([[1, 0], [0, 1]]), np.array([[1, 0], [0, 0]]), labels=("large", "odd"))["f1"].tolist()
[1.0, 0.0, 0.5, 0.5]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from core.models import concepts
from core.models.quick import one_thread
from core.analysis import curves, thresholds
from core.analysis.evaluation import confusion

#: Share of the cross-validated scores left outside the threshold axis at each end (far outliers).
AXIS_TAIL = 0.0005


@dataclass(frozen=True, eq=False)
class DetectorCurves:
    """A binary detector's decision values, sorted once, and its charts cut to what they show.

    Attributes
    ----------
    train : cross-validated decision values on the training set (where thresholds are chosen)
    test : decision values on the test set (where a chosen threshold is checked)
    low, high : the threshold axis of :attr:`sweep` (all but the outermost :data:`AXIS_TAIL` of ``train``)
    sweep : ``threshold``, ``precision``, ``recall`` of ``train``, reduced for a 400x300 chart
    pr : the precision-recall curve of ``train``, reduced the same way (its ``area`` from every point)
    never_accuracy : test accuracy of a detector that never says yes
    """

    train: thresholds.OneVsRest
    test: thresholds.OneVsRest
    low: float
    high: float
    sweep: pd.DataFrame
    pr: thresholds.Curve
    never_accuracy: float


def _one_vs_rest(y_true, decision) -> thresholds.OneVsRest:
    decision = np.asarray(decision, dtype=np.float64)
    return thresholds.OneVsRest.from_scores(y_true, np.column_stack([-decision, decision]), cls=1)


def detector_curves(train_true, train_decision, test_true, test_decision, *, width: int = 400,
                    height: int = 300) -> DetectorCurves:
    """Sort both score sets once and reduce the training sweep and PR curve for drawing."""
    train, test = _one_vs_rest(train_true, train_decision), _one_vs_rest(test_true, test_decision)
    low, high = (float(v) for v in np.quantile(train_decision, [AXIS_TAIL, 1 - AXIS_TAIL]))
    high = high if high > low else low + 1.0
    inside = (train.thresholds >= low) & (train.thresholds <= high)
    tp, fp = train.tp[inside].astype(np.float64), train.fp[inside].astype(np.float64)
    sweep = pd.DataFrame({"threshold": train.thresholds[inside].astype(np.float64),
                          "precision": tp / np.maximum(tp + fp, 1), "recall": tp / max(train.n_pos, 1)})
    x = ((sweep["threshold"] - low) / (high - low)).to_numpy()
    keep = np.union1d(curves.reduce_curve(x, sweep["precision"].to_numpy(), width=width, height=height),
                      curves.reduce_curve(x, sweep["recall"].to_numpy(), width=width, height=height))
    pr = train.pr()
    px, py = curves.staircase(pr.x, pr.y)
    cut = curves.reduce_curve(px, py, width=width, height=height)
    return DetectorCurves(train=train, test=test, low=low, high=high, sweep=sweep.iloc[keep].reset_index(drop=True),
                          pr=thresholds.Curve(x=px[cut], y=py[cut], thresholds=np.empty(0), area=pr.area),
                          never_accuracy=test.n_neg / max(test.n_pos + test.n_neg, 1))


@dataclass(frozen=True)
class DetectorChoice:
    """The threshold for a target precision, chosen on the training scores, and what it gives on both sets."""

    target: float
    threshold: float
    train: thresholds.BinaryCounts
    test: thresholds.BinaryCounts


def at_precision(curves: DetectorCurves, target: float) -> DetectorChoice:
    """The lowest threshold whose cross-validated training precision reaches ``target``, checked on the test set.

    Examples
    --------
    >>> c = detector_curves([0, 1, 0, 1], [-2.0, 1.0, 0.5, 3.0], [0, 1], [-1.0, 2.0])
    >>> at_precision(c, 1.0).threshold, at_precision(c, 1.0).test.precision
    (1.0, 1.0)
    """
    threshold = curves.train.for_precision(target)
    return DetectorChoice(target=float(target), threshold=threshold, train=curves.train.at(threshold),
                          test=curves.test.at(threshold))


def multilabel_report(y_true, y_pred, *, labels) -> pd.DataFrame:
    """Precision, recall, F1 and support of each label, then their macro and weighted averages.

    Returns
    -------
    pd.DataFrame
        Index: the labels, ``"macro avg"``, ``"weighted avg"``; columns ``precision``, ``recall``, ``f1``,
        ``support`` (positives of each label; all labels' positives for the averages).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    frame = pd.DataFrame(dict(zip(("precision", "recall", "f1", "support"),
                                  precision_recall_fscore_support(y_true, y_pred, zero_division=0))),
                         index=pd.Index(list(labels), name="label"))
    total = int(frame["support"].sum())
    weights = frame["support"] / max(total, 1)
    metrics = ["precision", "recall", "f1"]
    averages = pd.DataFrame([[*frame[metrics].mean(), total], [*(frame[metrics].mul(weights, axis=0).sum()), total]],
                            index=["macro avg", "weighted avg"], columns=frame.columns)
    return pd.concat([frame, averages]).astype({"support": np.int64})


def strategy_differences(y_true, pred_a, pred_b, *, class_names, top: int = 8) -> pd.DataFrame:
    """The confusion cells (mistakes only) where two models' counts differ most.

    Returns
    -------
    pd.DataFrame
        Columns ``true``, ``predicted`` (class names), ``a``, ``b`` (the two models' counts) and
        ``difference`` (``b - a``), largest absolute difference first, at most ``top`` rows.
    """
    n = len(class_names)
    a = confusion(y_true, pred_a, n_classes=n)
    b = confusion(y_true, pred_b, n_classes=n)
    true, predicted = np.nonzero(~np.eye(n, dtype=bool) & (a != b))
    diff = b[true, predicted] - a[true, predicted]
    order = np.lexsort((true, -np.abs(diff)))[:top]
    names = np.asarray([str(c) for c in class_names], dtype=object)
    return pd.DataFrame({"true": names[true[order]], "predicted": names[predicted[order]],
                         "a": a[true[order], predicted[order]], "b": b[true[order], predicted[order]],
                         "difference": diff[order]})


def label_answers(models: Mapping, row) -> pd.DataFrame:
    """Every multilabel model's 0/1 answer per label (:data:`core.models.concepts.LABELS`) for one input row.

    Returns
    -------
    pd.DataFrame
        Index: model names; one bool column per label.
    """
    with one_thread():
        answers = {name: np.asarray(model.predict(row), dtype=bool)[0] for name, model in models.items()}
    return pd.DataFrame.from_dict(answers, orient="index", columns=list(concepts.LABELS))


@dataclass(frozen=True, eq=False)
class Denoised:
    """One denoising: the noisy input, the model's cleaned image and their errors against the original."""

    noisy: np.ndarray
    cleaned: np.ndarray
    noisy_error: float
    cleaned_error: float


def denoise(model, original, *, amplitude: int, seed: int) -> Denoised:
    """Add noise to one original pixel row ``(1, n_pixels)`` (:func:`core.models.concepts.add_noise`) and clean it."""
    noisy = concepts.add_noise(original, amplitude=amplitude, seed=seed)
    with one_thread():
        cleaned = concepts.clean(model, noisy)
    return Denoised(noisy=noisy, cleaned=cleaned, noisy_error=float(concepts.pixel_error(noisy, original)[0]),
                    cleaned_error=float(concepts.pixel_error(cleaned, original)[0]))
