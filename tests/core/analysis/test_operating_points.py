"""core.analysis.operating_points: every slider position's outcome, against direct counts on real model outputs."""

import numpy as np
import pytest
from sklearn import metrics


from core.analysis import operating_points as op
from core.analysis.thresholds import OneVsRest


@pytest.mark.parametrize("by", ["probability", "precision", "recall"])
def test_every_position_matches_direct_counts(run, by):
    y, proba = run["y_true"], run["proba"]
    ovr = OneVsRest.from_scores(y, proba, cls=5)
    table = op.slider_table(ovr, by=by, steps=40)
    frame = table.frame
    assert frame["value"].tolist() == pytest.approx(np.linspace(0, 1, 41).tolist())
    for i, row in frame.iterrows():
        called = proba[:, 5] >= row["threshold"]
        tn, fp, fn, tp = metrics.confusion_matrix(y == 5, called, labels=[False, True]).ravel()
        assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (tp, fp, fn, tn)
        assert row["precision"] == pytest.approx(metrics.precision_score(y == 5, called, zero_division=0))
        assert row["recall"] == pytest.approx(metrics.recall_score(y == 5, called))
        if by == "precision" and row["precision"] > 0:
            assert row["precision"] >= row["value"] or row["threshold"] == proba[:, 5].max()
        if by == "recall":
            assert row["recall"] >= row["value"] or row["threshold"] == proba[:, 5].min()
        false_pos = table.false_pos[i][table.false_pos[i] >= 0]
        wrong = np.flatnonzero(called & (y != 5))
        assert np.array_equal(np.sort(proba[false_pos, 5]), np.sort(proba[wrong, 5])[:false_pos.size])
        assert false_pos.size == min(6, wrong.size)


def test_nearest_row_and_its_value(digits_run):
    y, proba = digits_run["y_true"], digits_run["proba"]
    table = op.slider_table(OneVsRest.from_scores(y, proba, cls=2), by="probability", steps=10)
    values = table.of_nearest(digits_run["decision"][:, 2])
    for i, row in table.frame.iterrows():
        above = np.flatnonzero(proba[:, 2] >= row["threshold"])
        if above.size == 0:
            assert row["nearest"] == -1 and np.isnan(values[i])
        else:
            assert proba[int(row["nearest"]), 2] == proba[above, 2].min()
            assert values[i] == digits_run["decision"][int(row["nearest"]), 2]


def test_rows_around_a_position_gather_its_neighbours_galleries(digits_run):
    table = op.slider_table(OneVsRest.from_scores(digits_run["y_true"], digits_run["proba"], cls=8),
                            by="probability", steps=50)
    rows = table.rows_around(25, reach=2)
    expected = np.concatenate([table.false_pos[23:28].ravel(), table.false_neg[23:28].ravel()])
    assert rows.tolist() == sorted(set(expected[expected >= 0].tolist()))
    assert set(table.rows_around(0, reach=1)) <= set(table.rows_around(0, reach=3))
    assert table.position(0.5) == 25 and table.position(0.51) == 25 and table.position(7) == 50


def test_choose_threshold_by_probability_precision_and_recall(digits, fitted):
    ovr = OneVsRest.from_scores(digits.y_test, fitted["logreg"][2], cls=8)
    assert op.choose_threshold(ovr, by="probability", value=0.37) == 0.37
    assert op.choose_threshold(ovr, by="precision", value=0.95) == ovr.for_precision(0.95)
    assert op.choose_threshold(ovr, by="recall", value=0.95) == ovr.for_recall(0.95)
    with pytest.raises(ValueError, match="by must be one of"):
        op.choose_threshold(ovr, by="f1", value=0.5)
