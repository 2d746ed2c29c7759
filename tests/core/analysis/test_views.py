"""core.analysis.views on real data: digits models and an MNIST slice, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, roc_curve

from core.analysis import thresholds, views
from core.models.tuning import tune


def test_paginate_covers_every_row_once_and_clips_the_page():
    rows = np.arange(47) * 3
    pages = [views.paginate(rows, page=p, per_page=10) for p in range(1, 6)]
    assert [p.n_pages for p in pages] == [5] * 5
    assert np.array_equal(np.concatenate([p.rows for p in pages]), rows)
    assert views.paginate(rows, page=99, per_page=10).page == 5
    assert views.paginate(rows, page=0, per_page=10).page == 1
    empty = views.paginate(np.array([], dtype=int), page=3, per_page=10)
    assert (empty.page, empty.n_pages, empty.rows.size) == (1, 1, 0)
    with pytest.raises(ValueError, match="per_page"):
        views.paginate(rows, page=1, per_page=0)


def test_by_confidence_orders_rows_descending_with_stable_ties():
    confidence = np.array([0.2, 0.9, 0.5, 0.9, 0.1])
    assert views.by_confidence([0, 1, 2, 3], confidence).tolist() == [1, 3, 2, 0]
    assert views.by_confidence([4, 3], confidence).tolist() == [3, 4]


def test_gallery_lists_labels_confidence_and_top_classes(digits, fitted):
    _, y_pred, scores = fitted["logreg"]
    rows = np.flatnonzero(y_pred != digits.y_test)[:5]
    table = views.gallery(rows, y_true=digits.y_test, y_pred=y_pred, scores=scores, score_kind="proba",
                          class_names=digits.class_names)
    assert table["index"].tolist() == rows.tolist()
    assert table["true"].tolist() == [str(v) for v in digits.y_test[rows]]
    assert table["predicted"].tolist() == [str(v) for v in y_pred[rows]]
    assert np.allclose(table["confidence"], scores[rows].max(axis=1))
    best = np.argsort(-scores[rows], axis=1)[:, :3]
    for text, classes, row in zip(table["top"], best, rows):
        parts = text.split(" · ")
        assert [p.split()[0] for p in parts] == [str(c) for c in classes]
        assert parts[0].split()[1] == views.percent(scores[row].max())
    assert views.gallery([], y_true=digits.y_test, y_pred=y_pred, scores=scores, score_kind="proba",
                         class_names=digits.class_names).empty


def test_per_class_f1_matches_sklearn(digits, fitted):
    preds = {name: (digits.y_test, y_pred) for name, (_, y_pred, _) in fitted.items()}
    table = views.per_class_f1(preds, class_names=digits.class_names)
    assert list(table.index) == list(fitted)
    assert list(table.columns) == list(digits.class_names)
    for name, (_, y_pred, _) in fitted.items():
        assert np.allclose(table.loc[name], f1_score(digits.y_test, y_pred, average=None))


@pytest.mark.parametrize("name", ["logreg", "sgd"])
def test_threshold_sweep_matches_sklearn_curves(digits, fitted, name):
    _, _, scores = fitted[name]
    cls = 3
    ovr = thresholds.OneVsRest.from_scores(digits.y_test, scores, cls=cls)
    sweep = views.threshold_sweep(ovr)
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


def test_choose_threshold_by_probability_precision_and_recall(digits, fitted):
    ovr = thresholds.OneVsRest.from_scores(digits.y_test, fitted["logreg"][2], cls=8)
    assert views.choose_threshold(ovr, by="probability", value=0.37) == 0.37
    assert views.choose_threshold(ovr, by="precision", value=0.95) == ovr.for_precision(0.95)
    assert views.choose_threshold(ovr, by="recall", value=0.95) == ovr.for_recall(0.95)
    with pytest.raises(ValueError, match="by must be one of"):
        views.choose_threshold(ovr, by="f1", value=0.5)


def test_threshold_curves_are_reduced_but_keep_their_ends_and_areas(digits, fitted):
    ovr = thresholds.OneVsRest.from_scores(digits.y_test, fitted["sgd"][2], cls=3)
    curves = views.threshold_curves(ovr)
    full_pr, full_roc = ovr.pr(), ovr.roc()
    assert curves.pr.area == full_pr.area and curves.roc.area == full_roc.area
    assert (curves.roc.x[0], curves.roc.y[0], curves.roc.x[-1], curves.roc.y[-1]) == (0, 0, 1, 1)
    assert curves.pr.x[0] == pytest.approx(full_pr.x[0]) and curves.pr.y[-1] == 1.0
    assert curves.roc.x.size <= full_roc.x.size and curves.pr.x.dtype == np.float32
    sweep = views.threshold_sweep(ovr)
    assert set(curves.sweep["threshold"]) <= set(sweep["threshold"].astype(np.float32))
    assert len(curves.sweep) <= len(sweep)


def test_strategy_table_counts_binary_classifiers():
    comparison = pd.DataFrame({
        "model": ["sgd", "sgd_ovr", "sgd_ovo"], "title": ["a", "b", "c"], "test_accuracy": [0.8, 0.81, 0.9],
        "fit_seconds": [1.0, 2.0, 3.0], "predict_ms": [0.1, 0.2, 0.3],
    })
    table = views.strategy_table(comparison, strategies={"sgd_ovr": "ovr", "sgd_ovo": "ovo", "gone": "ovo"},
                                 n_classes=10)
    assert table["model"].tolist() == ["sgd_ovr", "sgd_ovo"]
    assert table["binary_classifiers"].tolist() == [10, 45]
    assert table["strategy"].tolist() == ["one-vs-rest", "one-vs-one"]
    assert table["test_accuracy"].tolist() == [0.81, 0.9]


def test_mosaic_places_tiles_with_gaps(mnist_small):
    images = mnist_small.images("test")[:6].reshape(2, 3, 28, 28)
    out = views.mosaic(images, gap=2)
    assert out.shape == (2 * 30 - 2, 3 * 30 - 2)
    assert np.array_equal(out[30:58, 60:88], images[1, 2])
    assert out[28:30].max() == 0
    with pytest.raises(ValueError, match="rows, cols"):
        views.mosaic(images[0])


def test_ablation_steps_count_errors_and_what_each_step_removed(digits, fitted):
    accuracy = [np.mean(y_pred == digits.y_test) for _, y_pred, _ in fitted.values()]
    table = pd.DataFrame({"model": list(fitted), "test_accuracy": accuracy, "size_bytes": [2_000_000, 500_000]})
    steps = views.ablation_steps(table, n_test=len(digits.y_test))
    errors = [int(np.sum(y_pred != digits.y_test)) for _, y_pred, _ in fitted.values()]
    assert steps["step"].tolist() == [1, 2]
    assert steps["errors"].tolist() == errors
    assert np.isnan(steps["fixed"].iloc[0]) and steps["fixed"].iloc[1] == errors[0] - errors[1]
    assert steps["size_mb"].tolist() == [2.0, 0.5]
    assert steps["model"].tolist() == list(fitted)


def test_tuning_table_adds_the_gain_and_flags_another_dataset(digits):
    results = tune(digits, models="sgd", train_size=600, cv=3, seed=0, n_jobs=1,
                   spaces={"sgd": {"clf__alpha": [1e-4, 1e-1]}})
    table = views.tuning_table(results, dataset_hash=digits.content_hash)
    [result] = results
    assert table["model"].tolist() == ["sgd"] and table["dataset"].tolist() == [digits.dataset_id]
    assert table["gain"].iloc[0] == pytest.approx(result.best_score - result.default_score)
    assert table["gain"].iloc[0] >= 0 and table["same_data"].tolist() == [True]
    assert table["best_params"].tolist() == [f"alpha={result.best_params['clf__alpha']:g}"]
    assert table["default_params"].tolist() == ["alpha=0.0001"]
    assert views.tuning_table(results, dataset_hash="other")["same_data"].tolist() == [False]
    assert views.tuning_table([]).empty


def test_params_label_shortens_pipeline_names_classifier_first():
    params = {"pca__n_components": 40, "clf__weights": "distance", "clf__n_neighbors": 4, "clf__C": 0.5}
    assert views.params_label(params) == "C=0.5, n_neighbors=4, weights=distance, pca n_components=40"
    assert views.params_label({"model__clf__gamma": 1.5, "alpha": 1e-05}) == "alpha=1e-05, model clf gamma=1.5"
    assert views.params_label({}) == ""


def test_percent_stays_within_its_rounding_and_never_claims_certainty():
    for p in np.linspace(0.0, 1.0, 20001):
        text = views.percent(p)
        if text == ">99.9%":
            assert p >= 0.9995
        elif text == "<0.1%":
            assert p < 0.0005
        else:
            value = float(text.rstrip("%")) / 100
            assert abs(value - p) <= (0.0005 if "." in text else 0.005) + 1e-12
            assert 0.0 < value < 1.0
