"""How far to trust a built set's figures: intervals, calibration and paired tests, from stored outputs.

For every model with one score column per class (:data:`TASKS`) this gathers
the accuracy with its Wilson interval, macro F1 with a seeded bootstrap
interval (one resample matrix for every model, so intervals differ only by the
predictions), and the top-label calibration scores (ECE over
:data:`core.analysis.calibration.N_BINS` bins, Brier score, log loss) of the
probabilities the pages read: ``proba`` scores as stored, decision values
through :func:`core.analysis.evaluation.probabilities` at the stored
temperature. For every pair of multiclass models it runs the exact McNemar test,
Holm-corrected over those pairs. Nothing is predicted again.

The arithmetic lives in :mod:`core.analysis.intervals`,
:mod:`core.analysis.significance` and :mod:`core.analysis.calibration`; this
module only reads the set and puts their answers side by side
(``python -m core report``).

Examples
--------
>>> from core.artifacts import open_artifacts                       # doctest: +SKIP
>>> trust_table(open_artifacts("artifacts")).models[["accuracy_low", "ece"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import calibration, intervals, significance
from core.analysis.evaluation import probabilities
from core.artifacts import ArtifactSet

#: Tasks with one score column per class: the models that get intervals and calibration scores.
TASKS = ("multiclass", "binary")
#: Columns of :attr:`TrustTable.models`.
MODEL_COLUMNS = ["task", "n", "accuracy", "accuracy_low", "accuracy_high",
                 "macro_f1", "macro_f1_low", "macro_f1_high", "ece", "brier", "log_loss"]


@dataclass(frozen=True, eq=False)
class TrustTable:
    """Per-model intervals and calibration scores, and the pairwise McNemar tests of one set."""

    models: pd.DataFrame      # index model (TASKS only, set order); MODEL_COLUMNS
    pairwise: pd.DataFrame    # a, b, only_a, only_b, p, p_holm, verdict (significance.pairwise)
    seed: int                 # of the bootstrap resamples
    n_boot: int               # resamples (0: no macro F1 interval)
    confidence: float         # of every interval
    n_bins: int               # confidence bins of the ECE


def model_trust(y_true, y_pred, proba, *, indices=None, confidence: float = 0.95,
                n_bins: int = calibration.N_BINS) -> dict:
    """One model's row of :attr:`TrustTable.models` (without ``task``) from its stored outputs.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (n,)
    proba : array of float, shape (n, n_classes)
        The probabilities the pages read (see the module docstring).
    indices : np.ndarray, shape (n_boot, n), optional
        :func:`core.analysis.intervals.bootstrap_indices`; without them the
        macro F1 columns are NaN.
    confidence : float
        Level of both intervals.
    n_bins : int
        Equal-width confidence bins of the ECE.

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``accuracy_low``, ``accuracy_high``, ``macro_f1``,
        ``macro_f1_low``, ``macro_f1_high``, ``ece``, ``brier``, ``log_loss``.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0])
    >>> proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    >>> row = model_trust(y, proba.argmax(axis=1), proba, indices=intervals.bootstrap_indices(4, n_boot=20))
    >>> row["accuracy"], round(row["accuracy_low"], 3), round(row["ece"], 3), round(row["brier"], 3)
    (0.75, 0.301, 0.3, 0.25)
    """
    accuracy = intervals.accuracy_interval(y_true, y_pred, confidence=confidence)
    macro = _macro_f1(y_true, y_pred, indices=indices, n_classes=np.shape(proba)[1], confidence=confidence)
    cal = calibration.calibration(y_true, proba, n_bins=n_bins)
    return {"n": cal.n, "accuracy": accuracy.estimate, "accuracy_low": accuracy.low,
            "accuracy_high": accuracy.high, "macro_f1": macro.estimate, "macro_f1_low": macro.low,
            "macro_f1_high": macro.high, "ece": cal.ece, "brier": cal.brier, "log_loss": cal.log_loss}


def trust_table(artifacts: ArtifactSet, *, seed: int = 0, n_boot: int = intervals.N_BOOT,
                confidence: float = 0.95, n_bins: int = calibration.N_BINS) -> TrustTable:
    """Intervals and calibration of every :data:`TASKS` model of ``artifacts``, McNemar for each multiclass pair.

    Parameters
    ----------
    artifacts : ArtifactSet
    seed, n_boot : int
        The bootstrap resamples (:func:`core.analysis.intervals.bootstrap_indices`,
        built once and shared by every model); ``n_boot=0`` skips the macro F1
        interval (its columns are then NaN).
    confidence : float
        Level of the accuracy and macro F1 intervals.
    n_bins : int
        Equal-width confidence bins of the ECE.

    Returns
    -------
    TrustTable
        ``pairwise`` has one row per pair of multiclass models in the set's
        order, ``p_holm`` corrected over all of them.
    """
    names = [name for name in artifacts.model_names if artifacts.model_info(name)["task"] in TASKS]
    stored = {name: artifacts.predictions(name) for name in names}
    resamples: dict[int, np.ndarray] = {}
    rows = {}
    for name, pred in stored.items():
        n = pred.y_true.size
        if n_boot and n not in resamples:
            resamples[n] = intervals.bootstrap_indices(n, n_boot=n_boot, seed=seed)
        proba = probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
        rows[name] = {"task": artifacts.model_info(name)["task"],
                      **model_trust(pred.y_true, pred.y_pred, proba, indices=resamples.get(n),
                                    confidence=confidence, n_bins=n_bins)}
    models = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=MODEL_COLUMNS).rename_axis("model")
    multiclass = {name: pred for name, pred in stored.items() if artifacts.model_info(name)["task"] == "multiclass"}
    return TrustTable(models=models, pairwise=_pairwise(multiclass), seed=seed, n_boot=n_boot,
                      confidence=confidence, n_bins=n_bins)


def _macro_f1(y_true, y_pred, *, indices, n_classes, confidence) -> intervals.Interval:
    if indices is None:
        return intervals.Interval(np.nan, np.nan, np.nan, confidence)
    return intervals.macro_f1_interval(y_true, y_pred, indices=indices, n_classes=n_classes,
                                       confidence=confidence)


def _pairwise(stored: dict) -> pd.DataFrame:
    """:func:`core.analysis.significance.pairwise` of stored predictions that share one test set."""
    labels = [pred.y_true for pred in stored.values()]
    if any(not np.array_equal(labels[0], other) for other in labels[1:]):
        raise ValueError(f"the models {', '.join(stored)} were not tested on the same labels, so they cannot be "
                         "compared pair by pair; rebuild the set.")
    y_true = labels[0] if labels else np.zeros(0, dtype=np.int64)
    return significance.pairwise(y_true, {name: pred.y_pred for name, pred in stored.items()})
