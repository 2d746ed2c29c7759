"""Threshold curves cut to what a chart can show: precision/recall sweeps, PR and ROC, coverage.

A 10,000-point curve becomes the few dozen points a chart of a given pixel
size draws the same (M4 per pixel column, then Douglas-Peucker at half a pixel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import thresholds


def reduce_curve(x, y, *, width: int = 400, height: int = 300, x_range=(0.0, 1.0), y_range=(0.0, 1.0),
                 tolerance: float = 0.5) -> np.ndarray:
    """Indices of the points of a curve that a ``width`` x ``height`` pixel chart needs to draw it.

    ``x`` must be monotonic (ROC, precision-recall, a sweep over thresholds,
    coverage). First, in every pixel column the line can only show where it
    enters, where it leaves and how low and high it goes, so only those four
    points are kept (the M4 reduction of Jugel et al., 2014: the same pixels).
    Then points within ``tolerance`` pixels of the straight line between their
    kept neighbours are dropped (Ramer-Douglas-Peucker). A 10,000-point curve
    keeps a few hundred points at most, a smooth one a few dozen.

    Examples
    --------
    >>> x = np.linspace(0, 1, 10_001); keep = reduce_curve(x, np.sin(6 * x) / 2 + 0.5, width=100, height=100)
    >>> int(keep.size) < 60, keep[0], keep[-1]
    (True, np.int64(0), np.int64(10000))
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size <= 2:
        return np.arange(x.size)
    px = (x - x_range[0]) / (x_range[1] - x_range[0]) * width
    py = (y - y_range[0]) / (y_range[1] - y_range[0]) * height
    column = np.floor(px)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:] - 1, x.size - 1]
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, x.size]))
    by_y = np.lexsort((y, run))
    m4 = np.unique(np.concatenate([starts, ends, by_y[starts], by_y[ends]]))
    return m4[_douglas_peucker(px[m4], py[m4], tolerance)]


def _douglas_peucker(px: np.ndarray, py: np.ndarray, tolerance: float) -> np.ndarray:
    """Positions of the points kept by Ramer-Douglas-Peucker simplification (in pixel units)."""
    keep = np.zeros(px.size, dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, px.size - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        dx, dy = px[last] - px[first], py[last] - py[first]
        inner = slice(first + 1, last)
        norm = np.hypot(dx, dy)
        if norm == 0:
            distance = np.hypot(px[inner] - px[first], py[inner] - py[first])
        else:
            distance = np.abs(dx * (py[first] - py[inner]) - dy * (px[first] - px[inner])) / norm
        worst = int(np.argmax(distance))
        if distance[worst] > tolerance:
            split = first + 1 + worst
            keep[split] = True
            stack += [(first, split), (split, last)]
    return np.flatnonzero(keep)


def staircase(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The corners of a step curve drawn "steps-post" (horizontal, then vertical), as explicit points.

    A precision-recall curve is such a staircase; with its corners explicit it
    can be reduced (:func:`reduce_curve`) and drawn with straight lines.

    Examples
    --------
    >>> staircase([1.0, 0.5, 0.0], [0.5, 0.8, 1.0])
    (array([1. , 0.5, 0.5, 0. , 0. ]), array([0.5, 0.5, 0.8, 0.8, 1. ]))
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return x, y
    xs = np.empty(2 * x.size - 1)
    ys = np.empty(2 * x.size - 1)
    xs[0::2], ys[0::2] = x, y
    xs[1::2], ys[1::2] = x[1:], y[:-1]
    return xs, ys


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


def reduced_sweep(ovr: thresholds.OneVsRest, *, width: int = 400, height: int = 300) -> pd.DataFrame:
    """:func:`threshold_sweep` cut to the rows a ``width`` x ``height`` chart of precision and recall
    against the threshold needs (:func:`core.analysis.reduce_curve` on each line)."""
    sweep = threshold_sweep(ovr)
    x = sweep["threshold"].to_numpy()
    keep = np.union1d(reduce_curve(x, sweep["precision"].to_numpy(), width=width, height=height),
                      reduce_curve(x, sweep["recall"].to_numpy(), width=width, height=height))
    return sweep.iloc[keep].reset_index(drop=True)


def reduced_coverage(frame: pd.DataFrame, *, width: int = 600, height: int = 340) -> pd.DataFrame:
    """A :func:`core.analysis.thresholds.coverage_curve` frame cut to the rows its chart needs
    (:func:`core.analysis.reduce_curve`; the accuracy axis spans the lowest accuracy to 1)."""
    accuracy = frame["accuracy"].to_numpy()
    low = min(float(accuracy.min()), 1.0 - 1e-9) if accuracy.size else 0.0
    keep = reduce_curve(frame["coverage"].to_numpy(), accuracy, width=width, height=height,
                                   y_range=(low, 1.0))
    return frame.iloc[keep].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class ThresholdCurves:
    """What the Thresholds page draws for one class, cut to what its charts can show.

    ``pr`` and ``roc`` are :class:`core.analysis.thresholds.Curve` objects holding only
    the points :func:`core.analysis.reduce_curve` keeps, as float32, to be
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
        keep = reduce_curve(x, y, width=width, height=height)
        return thresholds.Curve(x=x[keep].astype(np.float32), y=y[keep].astype(np.float32),
                                thresholds=np.empty(0), area=area)

    pr, roc = ovr.pr(), ovr.roc()
    return ThresholdCurves(pr=cut(*staircase(pr.x, pr.y), pr.area), roc=cut(roc.x, roc.y, roc.area),
                           sweep=reduced_sweep(ovr, width=width, height=height).astype(np.float32))
