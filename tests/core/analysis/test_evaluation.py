"""core.analysis.evaluation against scikit-learn's own metrics on real model outputs."""

import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn import metrics
from sklearn.linear_model import SGDClassifier

from core.analysis import evaluation as ev



def test_confusion_matches_sklearn(run):
    y, p = run["y_true"], run["y_pred"]
    np.testing.assert_array_equal(ev.confusion(y, p, n_classes=10),
                                  metrics.confusion_matrix(y, p, labels=range(10)))
    np.testing.assert_allclose(ev.confusion(y, p, n_classes=10, normalize="true"),
                               metrics.confusion_matrix(y, p, labels=range(10), normalize="true"))


def test_confusion_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="n_classes"):
        ev.confusion([0, 3], [0, 1], n_classes=3)


def test_class_report_matches_sklearn(run):
    y, p = run["y_true"], run["y_pred"]
    names = [str(k) for k in range(10)]
    table = ev.class_report(y, p, class_names=names)
    prec, rec, f1, sup = metrics.precision_recall_fscore_support(
        y, p, labels=range(10), zero_division=0)
    np.testing.assert_allclose(table.loc[names, ["precision", "recall", "f1"]].to_numpy(),
                               np.column_stack([prec, rec, f1]))
    np.testing.assert_array_equal(table.loc[names, "support"], sup)
    for average in ("macro", "weighted"):
        expected = metrics.precision_recall_fscore_support(
            y, p, labels=range(10), average=average, zero_division=0)[:3]
        np.testing.assert_allclose(table.loc[f"{average} avg", ["precision", "recall", "f1"]],
                                   expected)
    assert table.loc["macro avg", "support"] == y.size
    assert ev.accuracy(y, p) == pytest.approx(metrics.accuracy_score(y, p))


def test_class_report_class_absent_from_predictions(digits_run):
    y = digits_run["y_true"]
    p = np.where(digits_run["y_pred"] == 3, 5, digits_run["y_pred"])
    names = [str(k) for k in range(10)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = ev.class_report(y, p, class_names=names)
    assert table.loc["3", "precision"] == 0 and table.loc["3", "f1"] == 0
    prec, rec, f1, _ = metrics.precision_recall_fscore_support(
        y, p, labels=range(10), zero_division=0)
    np.testing.assert_allclose(table.loc[names, "f1"], f1)


def test_probabilities_and_confidence(digits_run):
    proba, decision = digits_run["proba"], digits_run["decision"]
    assert ev.probabilities(proba, score_kind="proba") is proba
    soft = ev.probabilities(decision, score_kind="decision")
    shifted = np.exp(decision - decision.max(axis=1, keepdims=True))
    np.testing.assert_allclose(soft, shifted / shifted.sum(axis=1, keepdims=True))
    # multinomial logistic regression: softmax of the decision function is predict_proba
    np.testing.assert_allclose(soft, proba, atol=1e-10)
    huge = ev.probabilities(np.array([[1000.0, 0.0], [-1000.0, -999.0]]), score_kind="decision")
    assert np.isfinite(huge).all()
    np.testing.assert_allclose(ev.confidence(proba, score_kind="proba"), proba.max(axis=1))
    with pytest.raises(ValueError, match="score_kind"):
        ev.confidence(proba, score_kind="logit")


def test_top_k(run):
    scores = run["decision"]
    classes, values = ev.top_k(scores, k=3, score_kind="decision")
    assert classes.shape == values.shape == (scores.shape[0], 3)
    np.testing.assert_array_equal(classes[:, 0], scores.argmax(axis=1))
    assert (np.diff(values, axis=1) <= 0).all()
    expected = np.sort(softmax(scores, axis=1), axis=1)[:, ::-1][:, :3]
    np.testing.assert_allclose(values, expected)


def test_confused_pairs(run):
    y, p = run["y_true"], run["y_pred"]
    cm = metrics.confusion_matrix(y, p, labels=range(10))
    names = [f"digit {k}" for k in range(10)]
    table = ev.confused_pairs(y, p, top=5, class_names=names)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    assert list(table["count"]) == sorted(off.ravel(), reverse=True)[:5]
    for row in table.itertuples():
        assert row.true != row.predicted
        assert row.count == cm[row.true, row.predicted]
        assert row.share_of_true == pytest.approx(row.count / cm[row.true].sum())
        assert row.true_name == names[row.true]
    everything = ev.confused_pairs(y, p, top=1000)
    assert everything["count"].sum() == (y != p).sum() and (everything["count"] > 0).all()


def test_cell_indices(run):
    y, p = run["y_true"], run["y_pred"]
    conf = ev.confidence(run["decision"], score_kind="decision")
    true, predicted = ev.confused_pairs(y, p, top=1)[["true", "predicted"]].iloc[0]
    rows = ev.cell_indices(y, p, conf, true=true, predicted=predicted)
    assert set(rows) == set(np.flatnonzero((y == true) & (p == predicted)))
    assert (np.diff(conf[rows]) <= 0).all()
    diagonal = ev.cell_indices(y, p, conf, true=1, predicted=1)
    assert diagonal.size == np.sum((y == 1) & (p == 1))
    tied = ev.cell_indices([0, 0, 0], [1, 1, 1], np.array([0.5, 0.9, 0.5]), true=0, predicted=1)
    np.testing.assert_array_equal(tied, [1, 0, 2])
    cm = metrics.confusion_matrix(y, p, labels=range(10))
    true, predicted = np.argwhere(cm == 0)[0]
    empty = ev.cell_indices(y, p, conf, true=true, predicted=predicted)
    assert empty.size == 0 and empty.dtype.kind == "i"


def test_disagreements(digits_run):
    y = digits_run["y_true"]
    a = digits_run["y_pred"]
    rows = np.arange(y.size)
    b = np.where(rows % 7 == 0, (y + 1) % 10, y)
    b = np.where(rows % 3 == 0, a, b)  # copies a's answer, mistakes included: both wrong the same way
    outcome = []
    for truth, answer_a, answer_b in zip(y.tolist(), a.tolist(), b.tolist()):
        if answer_a == truth and answer_b == truth:
            outcome.append("both_right")
        elif answer_a == truth:
            outcome.append("a_right_b_wrong")
        elif answer_b == truth:
            outcome.append("b_right_a_wrong")
        else:
            outcome.append("both_wrong_same" if answer_a == answer_b else "both_wrong_differently")
    outcome = np.array(outcome)
    expected = {name: int(np.sum(outcome == name)) for name in
                ("a_right_b_wrong", "b_right_a_wrong", "both_wrong_differently", "both_wrong_same", "both_right")}
    assert min(expected.values()) > 0, f"every outcome occurs in the data: {expected}"
    result = ev.disagreements(y, a, b)
    assert result.counts == expected
    for name in ("a_right_b_wrong", "b_right_a_wrong", "both_wrong_differently"):
        np.testing.assert_array_equal(getattr(result, name), np.flatnonzero(outcome == name), err_msg=name)


def test_fit_temperature_minimises_log_loss_of_real_decision_values(digits):
    model = SGDClassifier(loss="hinge", max_iter=10, tol=None, random_state=0)
    model.fit(digits.X_train / 255.0, digits.y_train)
    scores = model.decision_function(digits.X_test / 255.0)
    t = ev.fit_temperature(scores, digits.y_test)

    def loss(temperature):
        return metrics.log_loss(digits.y_test, ev.probabilities(scores, score_kind="decision", temperature=temperature),
                        labels=range(10))

    assert loss(t) < min(loss(1.0), loss(t * 1.5), loss(t / 1.5))
    probs = ev.probabilities(scores, score_kind="decision", temperature=t)
    np.testing.assert_array_equal(probs.argmax(axis=1), scores.argmax(axis=1))
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    with pytest.raises(ValueError, match="temperature"):
        ev.probabilities(scores, score_kind="decision", temperature=0)
