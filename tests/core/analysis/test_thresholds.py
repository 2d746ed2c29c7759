"""core.analysis.thresholds against scikit-learn's curves and direct counts on real model outputs."""

import numpy as np
import pytest
from sklearn import metrics

from core.analysis import evaluation
from core.analysis import thresholds as th


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["proba", "decision"])
def test_curves_match_sklearn(run, kind, dtype):
    scores = run[kind].astype(dtype)  # builds store float32
    y = run["y_true"]
    for cls in range(10):
        target, s = y == cls, scores[:, cls]
        ovr = th.OneVsRest.from_scores(y, scores, cls=cls)
        roc = ovr.roc()
        fpr, tpr, thr = metrics.roc_curve(target, s)
        np.testing.assert_allclose(roc.x, fpr)
        np.testing.assert_allclose(roc.y, tpr)
        np.testing.assert_allclose(roc.thresholds, thr)
        assert roc.area == pytest.approx(metrics.roc_auc_score(target, s))
        pr = ovr.pr()
        precision, recall, thr = metrics.precision_recall_curve(target, s)
        np.testing.assert_allclose(pr.y, precision)
        np.testing.assert_allclose(pr.x, recall)
        np.testing.assert_allclose(pr.thresholds, thr)
        assert pr.area == pytest.approx(metrics.average_precision_score(target, s))


def test_curve_needs_the_class_in_y_true(digits_run):
    y = np.where(digits_run["y_true"] == 4, 0, digits_run["y_true"])
    with pytest.raises(ValueError, match="class 4"):
        th.OneVsRest.from_scores(y, digits_run["proba"], cls=4).roc()


@pytest.mark.parametrize("kind", ["proba", "decision"])
def test_binary_at_threshold_matches_direct_counts(run, kind):
    scores = run[kind]
    y = run["y_true"]
    cls = 8
    ovr = th.OneVsRest.from_scores(y, scores, cls=cls)
    candidates = np.r_[np.quantile(scores[:, cls], [0, 0.3, 0.9, 0.99]), scores[5, cls],
                       th.default_threshold(kind), scores[:, cls].max() + 1]
    for t in candidates:
        got = ovr.at(t)
        pred = scores[:, cls] >= t
        tn, fp, fn, tp = metrics.confusion_matrix(y == cls, pred, labels=[False, True]).ravel()
        assert (got.tp, got.fp, got.fn, got.tn) == (tp, fp, fn, tn)
        prec, rec, f1, _ = metrics.precision_recall_fscore_support(
            y == cls, pred, average="binary", zero_division=0)
        assert (got.precision, got.recall, got.f1) == pytest.approx((prec, rec, f1))
        assert got.fpr == pytest.approx(fp / (fp + tn))


def test_threshold_above_max_score_predicts_nothing(digits_run):
    got = th.OneVsRest.from_scores(digits_run["y_true"], digits_run["proba"], cls=2).at(1.5)
    assert got.tp == got.fp == 0 and got.precision == 0 and got.recall == 0
    assert got.fn == np.sum(digits_run["y_true"] == 2)
    assert th.default_threshold("proba") == 0.5 and th.default_threshold("decision") == 0


def test_abstention(run):
    y, p = run["y_true"], run["y_pred"]
    conf = evaluation.confidence(run["decision"], score_kind="decision")
    t = np.median(conf)
    result = th.abstention(y, p, conf, threshold=t, n_classes=10)
    kept = conf >= t
    np.testing.assert_array_equal(result.kept, kept)
    assert result.n_kept == kept.sum()
    assert result.coverage == pytest.approx(kept.mean())
    assert result.accuracy_kept == pytest.approx(metrics.accuracy_score(y[kept], p[kept]))
    np.testing.assert_array_equal(result.confusion,
                                  metrics.confusion_matrix(y[kept], p[kept], labels=range(10)))
    nothing = th.abstention(y, p, conf, threshold=conf.max() + 1)
    assert nothing.n_kept == 0 and nothing.coverage == 0 and np.isnan(nothing.accuracy_kept)


def test_coverage_curve_agrees_with_abstention(digits_run):
    y, p = digits_run["y_true"], digits_run["y_pred"]
    conf = np.round(evaluation.confidence(digits_run["proba"], score_kind="proba"), 2)  # force ties
    curve = th.coverage_curve(y, p, conf)
    np.testing.assert_array_equal(curve["threshold"], np.unique(conf))
    for row in curve.sample(10, random_state=0).itertuples():
        result = th.abstention(y, p, conf, threshold=row.threshold)
        assert (row.coverage, row.accuracy) == pytest.approx(
            (result.coverage, result.accuracy_kept))
    assert curve["coverage"].iloc[0] == 1.0


def test_near_returns_the_mistakes_closest_to_the_threshold(mnist_run):
    y, proba = mnist_run["y_true"], mnist_run["proba"]
    ovr = th.OneVsRest.from_scores(y, proba, cls=3)
    for threshold in (0.2, 0.5, 0.8):
        false_pos, false_neg = ovr.near(threshold, k=5)
        s, positive = proba[:, 3], y == 3
        expected_fp = np.sort(s[~positive & (s >= threshold)])[:5]
        expected_fn = np.sort(s[positive & (s < threshold)])[::-1][:5]
        np.testing.assert_array_equal(s[false_pos], expected_fp)
        np.testing.assert_array_equal(s[false_neg], expected_fn)
        assert not positive[false_pos].any() and positive[false_neg].all()


def test_thresholds_for_a_target_precision_and_recall_match_sklearn(mnist_run):
    y, proba = mnist_run["y_true"], mnist_run["proba"]
    ovr = th.OneVsRest.from_scores(y, proba, cls=5)
    precision, recall, thresholds = metrics.precision_recall_curve(y == 5, proba[:, 5])
    for target in (0.8, 0.9, 0.95):
        assert ovr.for_precision(target) == pytest.approx(thresholds[np.argmax(precision[:-1] >= target)])
        assert ovr.at(ovr.for_precision(target)).precision >= target
        reached = np.flatnonzero(recall[:-1] >= target)
        assert ovr.for_recall(target) == pytest.approx(thresholds[reached[-1]])
        assert ovr.at(ovr.for_recall(target)).recall >= target
