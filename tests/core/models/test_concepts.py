"""The study's concept models and their stored outputs, on MNIST slices and the bundled digits.

Expected values come from the labels' definitions, numpy and scikit-learn's metrics, not from the code
under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score
from sklearn.pipeline import Pipeline

from core.analysis import concept_views
from core.models import REGISTRY, concepts, resolve_models
from core.artifacts import open_artifacts
from core.artifacts.build import build, model_key
from core.data import subset

CONCEPT_MODELS = ["multilabel_knn", "multilabel_chain", "denoise_knn"]


@pytest.fixture(scope="module")
def concept_build(tmp_path_factory, digits):
    """The concepts group built on the bundled digits, and the opened artifact set."""
    root = tmp_path_factory.mktemp("concepts")
    result = build(dataset=digits, artifacts_dir=root, models="concepts", seed=0)
    return root, result, open_artifacts(root)


def test_concepts_group_holds_the_study_models_and_the_new_tasks():
    assert resolve_models("concepts") == ["is5", "sgd_ovr", "sgd_ovo", *CONCEPT_MODELS]
    assert {REGISTRY[n].task for n in CONCEPT_MODELS} == {"multilabel", "multioutput"}
    for name in CONCEPT_MODELS:
        assert isinstance(REGISTRY[name].make(image_shape=(28, 28), seed=0), Pipeline)


def test_multilabel_targets_are_large_from_seven_and_odd(digits):
    targets = concepts.multilabel_targets(digits.y_train)
    expected = np.array([[digit >= 7, digit % 2 == 1] for digit in digits.y_train.tolist()], dtype=np.int64)
    np.testing.assert_array_equal(targets, expected)
    assert concepts.LABELS == ("large", "odd")


def test_stored_multilabel_predictions_give_the_recorded_f1(concept_build, digits):
    root, result, aset = concept_build
    assert result.built == resolve_models("concepts")
    truth = np.column_stack([digits.y_test >= 7, digits.y_test % 2 == 1]).astype(np.int64)
    for name in ("multilabel_knn", "multilabel_chain"):
        stored, info = aset.predictions(name), aset.model_info(name)
        np.testing.assert_array_equal(stored.y_true, truth)
        assert stored.y_pred.shape == truth.shape and stored.scores.shape == truth.shape
        macro = f1_score(truth, stored.y_pred, average="macro")
        assert info["metrics"]["macro_f1"] == pytest.approx(macro)
        assert info["metrics"]["weighted_f1"] == pytest.approx(f1_score(truth, stored.y_pred, average="weighted"))
        assert macro > 0.9 and info["metrics"]["cv_folds"] == concepts.CV_FOLDS
        report = concept_views.multilabel_report(stored.y_true, stored.y_pred, labels=stored.class_names)
        for column, label in enumerate(concepts.LABELS):
            assert report.loc[label, "f1"] == pytest.approx(f1_score(truth[:, column], stored.y_pred[:, column]))
        assert report.loc["macro avg", "f1"] == pytest.approx(macro)
        assert report.loc["weighted avg", "recall"] == pytest.approx(
            recall_score(truth, stored.y_pred, average="weighted"))
        np.testing.assert_array_equal(stored.y_pred, aset.load_model(name).predict(aset.data().X_test))


def test_a_second_build_reuses_every_concept_model(concept_build, digits):
    root, result, _ = concept_build
    again = build(dataset=digits, artifacts_dir=root, models="concepts", seed=0)
    assert again.built == [] and again.reused == result.built
    assert again.manifest["files"] == result.manifest["files"]


def test_what_a_task_stores_is_part_of_its_model_key(monkeypatch, digits):
    keys = {name: model_key(REGISTRY[name], digits, seed=0, cv=0) for name in ("sgd", "is5", "multilabel_knn")}
    monkeypatch.setattr(concepts, "CV_FOLDS", 5)
    assert model_key(REGISTRY["sgd"], digits, seed=0, cv=0) == keys["sgd"]
    for name in ("is5", "multilabel_knn"):
        assert model_key(REGISTRY[name], digits, seed=0, cv=0) != keys[name]


def test_stored_denoising_errors_match_the_stored_images(concept_build, digits):
    _, _, aset = concept_build
    stored, metrics = aset.arrays("denoise_knn"), aset.model_info("denoise_knn")["metrics"]
    rows = min(concepts.DENOISE_TEST_ROWS, len(digits.y_test))
    np.testing.assert_array_equal(stored["y_true"], digits.X_test[:rows])
    cleaned_error = np.abs(stored["y_pred"].astype(float) - digits.X_test[:rows]).mean(axis=1)
    np.testing.assert_allclose(stored["scores"][:, 1], cleaned_error, rtol=1e-5)
    assert metrics["mae_clean"] == pytest.approx(cleaned_error.mean(), rel=1e-5)
    assert metrics["mae_clean"] < metrics["mae_noisy"] / 2
    assert metrics["test_rows"] == rows and metrics["noise_amplitude"] == concepts.NOISE_AMPLITUDE


def test_the_denoiser_lowers_the_pixel_error_on_noisy_mnist(mnist_small):
    model = REGISTRY["denoise_knn"].make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train)
    original = mnist_small.X_test[:200].astype(np.int16)
    noisy = np.clip(original + np.random.default_rng(7).integers(0, 101, original.shape), 0, 255).astype(np.uint8)
    cleaned = concepts.clean(model, noisy)
    noisy_error = np.abs(noisy - original).mean()
    cleaned_error = np.abs(cleaned - original).mean()
    assert cleaned.dtype == np.uint8 and cleaned.shape == noisy.shape
    assert cleaned_error < noisy_error / 2, (noisy_error, cleaned_error)


def test_noise_stays_within_its_amplitude_and_depends_on_the_seed(mnist_small):
    original = mnist_small.X_test[:20]
    noisy = concepts.add_noise(original, amplitude=60, seed=1)
    added = noisy.astype(int) - original
    assert added.min() >= 0 and added.max() <= 60
    assert np.all((added == np.minimum(added, 255 - original.astype(int))))
    assert not np.array_equal(noisy, concepts.add_noise(original, amplitude=60, seed=2))
    np.testing.assert_array_equal(concepts.add_noise(original, amplitude=0, seed=3), original)
    with pytest.raises(ValueError, match="between 0 and 255"):
        concepts.add_noise(original, amplitude=300, seed=0)


def test_row_subset_fits_on_at_most_max_rows(digits):
    chain = REGISTRY["multilabel_chain"].make(image_shape=(8, 8), seed=0)
    chain.set_params(clf__max_rows=400).fit(digits.X_train, concepts.multilabel_targets(digits.y_train))
    assert chain[-1].estimator_.estimators_[0].shape_fit_[0] == 400
    assert chain.predict(digits.X_test).shape == (len(digits.y_test), 2)


def test_threshold_for_90_percent_precision_on_training_scores_holds_on_test(mnist):
    data = subset(mnist, train_size=12_000, test_size=3_000, seed=0)
    spec = REGISTRY["is5"]
    y_train, y_test = (data.y_train == 5).astype(int), (data.y_test == 5).astype(int)
    model = spec.make(image_shape=(28, 28), seed=0).fit(data.X_train, y_train)
    arrays, metrics = concepts.detector_threshold(lambda: spec.make(image_shape=(28, 28), seed=0), data.X_train,
                                                  y_train, test_true=y_test,
                                                  test_decision=model.decision_function(data.X_test), seed=0)
    precision, _, cuts = precision_recall_curve(arrays["train_true"], arrays["train_decision"])
    assert metrics["cv_threshold"] == pytest.approx(cuts[np.flatnonzero(precision[:-1] >= 0.9)[0]])
    called = model.decision_function(data.X_test) >= metrics["cv_threshold"]
    assert metrics["test_precision"] == pytest.approx(precision_score(y_test, called))
    assert metrics["test_recall"] == pytest.approx(recall_score(y_test, called))
    assert metrics["test_precision"] >= 0.85


def test_strategy_differences_are_the_confusion_cells_that_differ(digits):
    y = digits.y_test
    a, b = np.where(y == 3, 5, y), np.where(y == 8, 1, np.where(y == 3, 8, y))
    diff = concept_views.strategy_differences(y, a, b, class_names=[str(c) for c in range(10)])
    cells = {(t, p): d for t, p, d in zip(diff["true"], diff["predicted"], diff["difference"])}
    assert cells == {("3", "5"): -np.sum(y == 3), ("3", "8"): np.sum(y == 3), ("8", "1"): np.sum(y == 8)}
    assert list(np.abs(diff["difference"])) == sorted(np.abs(diff["difference"]), reverse=True)
