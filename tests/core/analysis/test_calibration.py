"""core.analysis.calibration against synthetic sets of known calibration and scikit-learn's scores."""

import numpy as np
import pytest
from sklearn import metrics

from core.analysis import calibration as cal


def synthetic(confidence, right_prob, *, n_classes=10, seed=0):
    """Rows whose top label has probability ``confidence`` and is right with probability ``right_prob``."""
    rng = np.random.default_rng(seed)
    n = confidence.size
    top = rng.integers(0, n_classes, n)
    proba = np.repeat(((1 - confidence) / (n_classes - 1))[:, None], n_classes, axis=1)
    proba[np.arange(n), top] = confidence
    right = rng.uniform(size=n) < right_prob
    wrong = (top + rng.integers(1, n_classes, n)) % n_classes
    return np.where(right, top, wrong), proba


def test_perfectly_calibrated_set_has_ece_near_zero():
    rng = np.random.default_rng(1)
    c = rng.uniform(0.2, 1.0, 200_000)
    y, proba = synthetic(c, c)
    result = cal.calibration(y, proba)
    assert result.ece < 0.01
    bins = result.bins[result.bins["count"] > 0]
    np.testing.assert_allclose(bins["accuracy"], bins["confidence"], atol=0.02)


def test_over_confident_set_has_ece_near_its_gap():
    y, proba = synthetic(np.full(100_000, 0.9), 0.7, seed=2)
    result = cal.calibration(y, proba)
    assert result.ece == pytest.approx(0.2, abs=0.01)
    assert result.bins["count"].sum() == 100_000
    assert result.bins.loc[13, "count"] == 100_000            # 0.9 lies in [13/15, 14/15)
    assert result.mean_confidence == pytest.approx(0.9)
    assert result.accuracy == pytest.approx(0.7, abs=0.01)


def test_bins_by_hand():
    y = np.array([0, 0, 1, 1, 2])
    proba = np.array([[0.98, 0.01, 0.01],     # bin 14, right
                      [0.50, 0.30, 0.20],     # bin 7 ([7/15, 8/15)), right
                      [0.52, 0.48, 0.00],     # bin 7, wrong
                      [0.10, 0.20, 0.70],     # bin 10, wrong
                      [0.00, 0.00, 1.00]])    # 1.0 belongs to the last bin, right
    bins = cal.reliability_bins(y, proba)
    assert len(bins) == 15
    np.testing.assert_allclose(bins["low"], np.arange(15) / 15)
    np.testing.assert_allclose(bins["high"], np.arange(1, 16) / 15)
    counts = np.zeros(15, dtype=int)
    counts[[7, 10, 14]] = [2, 1, 2]
    np.testing.assert_array_equal(bins["count"], counts)
    assert bins.loc[7, "confidence"] == pytest.approx(0.51) and bins.loc[7, "accuracy"] == 0.5
    assert bins.loc[14, "confidence"] == pytest.approx(0.99) and bins.loc[14, "accuracy"] == 1.0
    assert bins["accuracy"].isna().sum() == 12
    ece = (2 * abs(0.5 - 0.51) + 1 * abs(0.0 - 0.7) + 2 * abs(1.0 - 0.99)) / 5
    assert cal.expected_calibration_error(y, proba) == pytest.approx(ece)


def test_brier_binary_against_sklearn():
    rng = np.random.default_rng(3)
    p1 = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p1).astype(int)
    proba = np.column_stack([1 - p1, p1])
    # sklearn's binary Brier is the mean of (p1 - y)^2: half the sum over both columns
    assert cal.brier_score(y, proba) == pytest.approx(2 * metrics.brier_score_loss(y, p1))
    assert cal.brier_score(y, proba) == pytest.approx(
        metrics.brier_score_loss(y, proba, scale_by_half=False))


def test_scores_of_a_real_model_against_sklearn(digits_run):
    y, proba = digits_run["y_true"], digits_run["proba"]
    result = cal.calibration(y, proba)
    assert result.brier == pytest.approx(metrics.brier_score_loss(y, proba, labels=range(10)))
    assert result.log_loss == pytest.approx(metrics.log_loss(y, y_proba=proba, labels=range(10)))
    assert result.n == len(y)
    assert result.accuracy == pytest.approx(metrics.accuracy_score(y, proba.argmax(axis=1)))
    assert 0 <= result.ece < 0.2
    assert result.bins["count"].sum() == len(y)


def test_log_loss_clips_zero_probabilities():
    y = np.array([0, 1])
    proba = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert cal.log_loss(y, proba) == pytest.approx(-np.log(1e-15) / 2)
    assert cal.log_loss(y, proba, eps=1e-6) == pytest.approx(-np.log(1e-6) / 2)
    assert np.isfinite(cal.calibration(y, proba).log_loss)


def test_other_bin_counts():
    y, proba = synthetic(np.full(1000, 0.9), 0.7, seed=4)
    assert len(cal.calibration(y, proba, n_bins=10).bins) == 10
    with pytest.raises(ValueError, match="n_bins"):
        cal.reliability_bins(y, proba, n_bins=0)


@pytest.mark.parametrize(("y", "proba", "match"), [
    (np.array([0, 1]), np.array([0.3, 0.7]), "2-D"),
    (np.array([0]), np.array([[0.3, 0.7], [0.5, 0.5]]), "one label per row"),
    (np.array([0, 2]), np.array([[0.3, 0.7], [0.5, 0.5]]), "labels must lie"),
    (np.array([], dtype=int), np.empty((0, 2)), "no rows"),
])
def test_bad_inputs(y, proba, match):
    with pytest.raises(ValueError, match=match):
        cal.calibration(y, proba)


def test_class_reliability_bins_one_digits_probability_against_whether_the_image_is_that_digit():
    rng = np.random.default_rng(3)
    proba = rng.dirichlet(np.ones(4), size=2_000)
    y = rng.integers(0, 4, 2_000)
    bins = cal.class_reliability(y, proba, cls=2, n_bins=5)
    p = proba[:, 2]
    for row in bins.itertuples():
        inside = (p >= row.low) & ((p < row.high) if row.high < 1 else (p <= 1))
        assert row.count == inside.sum()
        assert row.confidence == pytest.approx(p[inside].mean())
        assert row.accuracy == pytest.approx((y[inside] == 2).mean())
    with pytest.raises(ValueError, match="class 4"):
        cal.class_reliability(y, proba, cls=4)


def test_reliability_table_lists_non_empty_bins_with_wilson_intervals_and_thin_flags():
    y, proba = synthetic(np.r_[np.full(40, 0.95), np.full(10, 0.55)], np.r_[np.full(40, 0.9), np.full(10, 0.5)])
    table = cal.reliability_table(cal.reliability_bins(y, proba))
    assert table["count"].tolist() == [10, 40] and table["thin"].tolist() == [True, False]
    k, n, z = np.rint(table["accuracy"].iloc[1] * 40), 40, 1.959963984540054
    centre, half = (k + z * z / 2) / (n + z * z), z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    assert table["accuracy_low"].iloc[1] == pytest.approx(centre - half)
    assert table["accuracy_high"].iloc[1] == pytest.approx(min(1.0, centre + half))
    np.testing.assert_allclose(table["gap"], table["accuracy"] - table["confidence"])


def test_model_calibration_scores_decision_values_at_the_stored_temperature_and_before_it():
    rng = np.random.default_rng(4)
    scores = rng.normal(size=(500, 10)) * 3
    y = rng.integers(0, 10, 500)
    result = cal.model_calibration(y, scores, score_kind="decision", temperature=2.5)
    for temperature, got in ((2.5, result.after), (1.0, result.before)):
        z = scores / temperature
        proba = np.exp(z - z.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
        assert got.log_loss == pytest.approx(metrics.log_loss(y, proba, labels=range(10)))
    probabilities = cal.model_calibration(y, np.full((500, 10), 0.1), score_kind="proba", temperature=1.0)
    assert probabilities.before is None
    table = cal.calibration_table({"d": result, "p": probabilities})
    assert table.loc["d", "ece_before"] == pytest.approx(result.before.ece) and np.isnan(table.loc["p", "ece_before"])
