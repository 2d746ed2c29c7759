"""core.analysis.curves: threshold sweeps and curves reduced for drawing, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve

from core.analysis import curves, thresholds


@pytest.mark.parametrize("name", ["logreg", "sgd"])
def test_threshold_sweep_matches_sklearn_curves(digits, fitted, name):
    _, _, scores = fitted[name]
    cls = 3
    ovr = thresholds.OneVsRest.from_scores(digits.y_test, scores, cls=cls)
    sweep = curves.threshold_sweep(ovr)
    assert np.all(np.diff(sweep["threshold"]) > 0)
    precision, recall, pr_thr = precision_recall_curve(digits.y_test == cls, scores[:, cls])
    sk = pd.DataFrame({"threshold": pr_thr, "precision": precision[:-1], "recall": recall[:-1]})
    merged = sk.merge(sweep, on="threshold", suffixes=("_sk", ""))
    assert len(merged) == len(sk)
    assert np.allclose(merged["precision"], merged["precision_sk"])
    assert np.allclose(merged["recall"], merged["recall_sk"])
    fpr, tpr, roc_thr = roc_curve(digits.y_test == cls, scores[:, cls], drop_intermediate=False)
    roc = pd.DataFrame({"threshold": roc_thr[1:], "fpr_sk": fpr[1:], "tpr": tpr[1:]}).merge(sweep, on="threshold")
    assert np.allclose(roc["fpr"], roc["fpr_sk"]) and np.allclose(roc["recall"], roc["tpr"])


def test_threshold_curves_are_reduced_but_keep_their_ends_and_areas(digits, fitted):
    ovr = thresholds.OneVsRest.from_scores(digits.y_test, fitted["sgd"][2], cls=3)
    reduced = curves.threshold_curves(ovr)
    full_pr, full_roc = ovr.pr(), ovr.roc()
    assert reduced.pr.area == full_pr.area and reduced.roc.area == full_roc.area
    assert (reduced.roc.x[0], reduced.roc.y[0], reduced.roc.x[-1], reduced.roc.y[-1]) == (0, 0, 1, 1)
    assert reduced.pr.x[0] == pytest.approx(full_pr.x[0]) and reduced.pr.y[-1] == 1.0
    assert reduced.roc.x.size <= full_roc.x.size and reduced.pr.x.dtype == np.float32
    sweep = curves.threshold_sweep(ovr)
    assert set(reduced.sweep["threshold"]) <= set(sweep["threshold"].astype(np.float32))
    assert len(reduced.sweep) <= len(sweep)


@pytest.mark.parametrize("curve", ["roc", "pr"])
def test_reduced_curves_stay_within_a_pixel_of_every_point(mnist_run, curve):
    width, height = 400, 300
    for cls in range(10):
        ovr = thresholds.OneVsRest.from_scores(mnist_run["y_true"], mnist_run["decision"], cls=cls)
        full = ovr.roc() if curve == "roc" else ovr.pr()
        x, y = (full.x, full.y) if curve == "roc" else curves.staircase(full.x, full.y)
        keep = curves.reduce_curve(x, y, width=width, height=height)
        assert keep[0] == 0 and keep[-1] == x.size - 1 and np.all(np.diff(keep) > 0)
        assert keep.size <= max(50, x.size // 4)
        gap = _distance_to_polyline(x * width, y * height, x[keep] * width, y[keep] * height)
        assert gap.max() <= 1.0


def test_staircase_makes_the_step_corners_explicit():
    x, y = curves.staircase([1.0, 0.5, 0.0], [0.5, 0.8, 1.0])
    assert x.tolist() == [1.0, 0.5, 0.5, 0.0, 0.0] and y.tolist() == [0.5, 0.5, 0.8, 0.8, 1.0]


def _distance_to_polyline(px, py, qx, qy):
    """Distance of every point (px, py) to the polyline through (qx, qy)."""
    ax, ay, bx, by = qx[:-1], qy[:-1], qx[1:], qy[1:]
    dx, dy = bx - ax, by - ay
    length = np.maximum(dx * dx + dy * dy, 1e-12)
    t = np.clip(((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / length, 0, 1)
    return np.hypot(px[:, None] - (ax + t * dx), py[:, None] - (ay + t * dy)).min(axis=1)
