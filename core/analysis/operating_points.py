"""Every operating point a threshold slider can reach, computed once per model, class and slider kind.

A slider of ``steps + 1`` positions holds at most a few hundred distinct
thresholds, so the whole answer of every position (counts, rates, the images
nearest the threshold) fits in a small table. The Thresholds page sends that
table to the browser once and the slider moves through it there: a step
needs no new figure from the server, only the few gallery images the browser
does not hold yet (:meth:`SliderTable.rows_around`).

Examples
--------
>>> from core.analysis.thresholds import OneVsRest
>>> ovr = OneVsRest.from_scores([0, 1, 1, 0], [[.9, .1], [.4, .6], [.2, .8], [.3, .7]], cls=1)
>>> table = slider_table(ovr, by="probability", steps=4)
>>> table.frame["recall"].tolist()
[1.0, 1.0, 1.0, 0.5, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import thresholds
from core.analysis.thresholds import OneVsRest

#: Slider positions are ``0, 1/steps, ..., 1``.
STEPS = 200


@dataclass(frozen=True, eq=False)
class SliderTable:
    """The one-vs-rest outcome at each slider position.

    ``frame`` has one row per position: ``value`` (the slider's value),
    ``threshold`` (the probability threshold it stands for), ``tp``, ``fp``,
    ``fn``, ``tn``, ``precision``, ``recall``, ``f1``, ``fpr`` and
    ``nearest`` (the row of the lowest-scoring image at or above the
    threshold, -1 when none is). ``false_pos`` and ``false_neg`` hold, per
    position, the rows :meth:`core.analysis.thresholds.OneVsRest.near`
    returns, padded with -1.
    """

    by: str
    frame: pd.DataFrame
    false_pos: np.ndarray
    false_neg: np.ndarray

    def position(self, value: float) -> int:
        """The position whose slider value is nearest ``value``."""
        values = self.frame["value"].to_numpy()
        return int(np.abs(values - value).argmin())

    def of_nearest(self, values) -> np.ndarray:
        """``values[nearest]`` at each position (a row's decision value, say), NaN where no image is."""
        nearest = self.frame["nearest"].to_numpy()
        out = np.asarray(values, dtype=np.float64)[np.maximum(nearest, 0)]
        return np.where(nearest >= 0, out, np.nan)

    def rows_around(self, position: int, *, reach: int) -> np.ndarray:
        """Distinct gallery rows of the positions within ``reach`` of ``position``, in increasing order."""
        window = slice(max(0, position - reach), position + reach + 1)
        rows = np.concatenate([self.false_pos[window].ravel(), self.false_neg[window].ravel()])
        return np.unique(rows[rows >= 0])


def slider_table(ovr: OneVsRest, *, by: str, steps: int = STEPS, k: int = 6) -> SliderTable:
    """Counts, rates and the ``k`` images either side of the threshold at every one of ``steps + 1`` positions
    of a slider set ``by`` a probability, a target precision or a target recall (see
    :func:`core.analysis.operating_points.choose_threshold`)."""
    values = np.linspace(0.0, 1.0, steps + 1)
    chosen = [choose_threshold(ovr, by=by, value=float(v)) for v in values]
    counts = [ovr.at(t) for t in chosen]
    near = [ovr.near(t, k=k) for t in chosen]
    first = np.searchsorted(ovr.sorted_scores, chosen, side="left")
    frame = pd.DataFrame({
        "value": values,
        "threshold": np.asarray(chosen, dtype=np.float64),
        **{name: [getattr(c, name) for c in counts] for name in ("tp", "fp", "fn", "tn")},
        **{name: np.array([getattr(c, name) for c in counts], dtype=np.float64)
           for name in ("precision", "recall", "f1", "fpr")},
        "nearest": np.where(first < ovr.order.size, ovr.order[np.minimum(first, ovr.order.size - 1)], -1),
    })
    return SliderTable(by=by, frame=frame, false_pos=_padded([fp for fp, _ in near], k),
                       false_neg=_padded([fn for _, fn in near], k))


def _padded(rows: list[np.ndarray], k: int) -> np.ndarray:
    out = np.full((len(rows), k), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :r.size] = r
    return out


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
