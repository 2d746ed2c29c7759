"""core.analysis.intervals against hand-worked Wilson intervals, scikit-learn's metrics and a real model."""

import math

import numpy as np
import pytest
from sklearn import metrics

from core.analysis import intervals as iv

Z95 = 1.959963984540054          # the 97.5% normal quantile, written out


def statsmodels_wilson(count, nobs, z=Z95):
    """statsmodels.stats.proportion.proportion_confint(method="wilson"), its formula written out."""
    q = count / nobs
    crit2 = z ** 2
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    dist = z * math.sqrt(q * (1 - q) / nobs + crit2 / (4 * nobs ** 2)) / denom
    return center - dist, center + dist


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (5, 10, 0.2366, 0.7634),     # centre 1/2, half 1.96/1.38415 * sqrt(0.025 + 0.0096)
    (0, 10, 0.0, 0.2775),        # upper bound z^2 / (n + z^2) = 3.8415 / 13.8415
    (10, 10, 0.7225, 1.0),
    (1, 1, 0.2065, 1.0),         # lower bound 1 / (1 + z^2)
    (2, 3, 0.2077, 0.9385),
])
def test_wilson_hand_computed(k, n, low, high):
    ci = iv.wilson(k, n)
    assert isinstance(ci.low, float)
    assert ci.estimate == pytest.approx(k / n)
    assert (ci.low, ci.high) == pytest.approx((low, high), abs=5e-5)


def test_wilson_closed_forms_at_the_extremes():
    for n in (1, 7, 100, 10_000):
        assert iv.wilson(0, n).high == pytest.approx(Z95 ** 2 / (n + Z95 ** 2))
        assert iv.wilson(n, n).low == pytest.approx(n / (n + Z95 ** 2))
        assert iv.wilson(0, n).low == 0.0 and iv.wilson(n, n).high == 1.0


def test_wilson_vectorised_matches_statsmodels_formula():
    rng = np.random.default_rng(1)
    n = rng.integers(1, 5000, size=200)
    k = rng.integers(0, n + 1)
    ci = iv.wilson(k, n)
    assert ci.low.shape == ci.high.shape == ci.estimate.shape == (200,)
    expected = np.array([statsmodels_wilson(a, b) for a, b in zip(k, n)])
    np.testing.assert_allclose(ci.low, np.clip(expected[:, 0], 0, 1), atol=1e-12)
    np.testing.assert_allclose(ci.high, np.clip(expected[:, 1], 0, 1), atol=1e-12)
    assert np.all((ci.low <= k / n) & (k / n <= ci.high))


def test_wilson_other_confidence_uses_its_z():
    z90 = 1.6448536269514722
    ci = iv.wilson(30, 100, confidence=0.9)
    assert (ci.low, ci.high) == pytest.approx(statsmodels_wilson(30, 100, z=z90))
    assert ci.width < iv.wilson(30, 100).width


def test_wilson_broadcasts_and_handles_no_trials():
    ci = iv.wilson(np.array([0, 3]), 0 + np.array([0, 6]))
    assert np.isnan(ci.estimate[0]) and ci.estimate[1] == 0.5
    assert (ci.low[0], ci.high[0]) == (0.0, 1.0)
    assert iv.wilson(np.array([1, 2, 3]), 10).low.shape == (3,)


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5)])
def test_wilson_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError, match="between 0 and trials"):
        iv.wilson(k, n)


def test_wilson_rejects_bad_confidence():
    with pytest.raises(ValueError, match="confidence"):
        iv.wilson(1, 2, confidence=95)


def test_thin():
    assert iv.thin(29) is True and iv.thin(30) is False
    np.testing.assert_array_equal(iv.thin([0, 10, 100], minimum=10), [True, False, False])


def test_accuracy_interval_of_a_real_model(digits_run):
    y, p = digits_run["y_true"], digits_run["y_pred"]
    acc, n = metrics.accuracy_score(y, p), len(y)
    ci = iv.accuracy_interval(y, p)
    assert ci.estimate == pytest.approx(acc)
    assert ci.low < acc < ci.high
    width = 2 * Z95 * math.sqrt(acc * (1 - acc) / n + Z95 ** 2 / (4 * n ** 2)) / (1 + Z95 ** 2 / n)
    assert ci.width == pytest.approx(width, rel=1e-9)
    assert (ci.low, ci.high) == pytest.approx(statsmodels_wilson(acc * n, n), rel=1e-9)


def test_class_intervals_of_a_real_model(digits_run):
    y, p = digits_run["y_true"], digits_run["y_pred"]
    names = [str(k) for k in range(10)]
    table = iv.class_intervals(y, p, class_names=names)
    assert list(table.index) == names
    prec, rec, _, sup = metrics.precision_recall_fscore_support(y, p, labels=range(10),
                                                                zero_division=0)
    np.testing.assert_allclose(table["precision"], prec)
    np.testing.assert_allclose(table["recall"], rec)
    np.testing.assert_array_equal(table["support"], sup)
    cm = metrics.confusion_matrix(y, p, labels=range(10))
    for k, name in enumerate(names):
        tp, predicted = cm[k, k], cm[:, k].sum()
        row = table.loc[name]
        assert (row["precision_low"], row["precision_high"]) == pytest.approx(
            np.clip(statsmodels_wilson(tp, predicted), 0, 1))
        assert (row["recall_low"], row["recall_high"]) == pytest.approx(
            np.clip(statsmodels_wilson(tp, sup[k]), 0, 1))
        assert row["thin"] == (min(predicted, sup[k]) < 30)


def test_class_intervals_of_a_class_never_predicted():
    table = iv.class_intervals([0, 1, 2], [0, 0, 2], class_names=["0", "1", "2"])
    row = table.loc["1"]
    assert row["predicted"] == 0 and np.isnan(row["precision"])
    assert (row["precision_low"], row["precision_high"]) == (0.0, 1.0)
    assert row["recall"] == 0.0 and bool(row["thin"])


def test_bootstrap_indices_depend_only_on_n_seed_and_n_boot():
    a = iv.bootstrap_indices(50, n_boot=20, seed=3)
    assert a.shape == (20, 50) and a.min() >= 0 and a.max() < 50
    np.testing.assert_array_equal(a, iv.bootstrap_indices(50, n_boot=20, seed=3))
    assert not np.array_equal(a, iv.bootstrap_indices(50, n_boot=20, seed=4))
    with pytest.raises(ValueError, match="positive"):
        iv.bootstrap_indices(0)


def test_macro_f1_interval_against_sklearn_resamples(digits_run):
    y, p = digits_run["y_true"], digits_run["y_pred"]
    idx = iv.bootstrap_indices(len(y), n_boot=200, seed=0)
    ci = iv.macro_f1_interval(y, p, indices=idx, n_classes=10)
    f1 = metrics.f1_score(y, p, average="macro", labels=range(10), zero_division=0)
    assert ci.estimate == pytest.approx(f1)
    assert ci.low < f1 < ci.high
    replicates = [metrics.f1_score(y[r], p[r], average="macro", labels=range(10), zero_division=0)
                  for r in idx]
    assert (ci.low, ci.high) == pytest.approx(tuple(np.quantile(replicates, [0.025, 0.975])))
    again = iv.macro_f1_interval(y, p, indices=iv.bootstrap_indices(len(y), n_boot=200, seed=0),
                                 n_classes=10)
    assert (again.low, again.high) == (ci.low, ci.high)


def test_macro_f1_intervals_share_the_resamples(digits_run):
    y = digits_run["y_true"]
    worse = digits_run["y_pred"].copy()
    worse[::7] = (worse[::7] + 1) % 10
    predictions = {"lr": digits_run["y_pred"], "worse": worse, "perfect": y}
    idx = iv.bootstrap_indices(len(y), n_boot=100, seed=7)
    table = iv.macro_f1_intervals(y, predictions, indices=idx, n_classes=10)
    assert list(table.index) == ["lr", "worse", "perfect"]
    for name, y_pred in predictions.items():
        one = iv.macro_f1_interval(y, y_pred, indices=idx, n_classes=10)
        assert tuple(table.loc[name]) == (one.estimate, one.low, one.high)
        assert one.low <= one.estimate <= one.high
    assert tuple(table.loc["perfect"]) == (1.0, 1.0, 1.0)
    assert table.loc["worse", "high"] < table.loc["lr", "low"]


def test_macro_f1_interval_checks_the_indices():
    with pytest.raises(ValueError, match="bootstrap_indices"):
        iv.macro_f1_interval([0, 1, 1], [0, 1, 0], indices=iv.bootstrap_indices(4), n_classes=2)
