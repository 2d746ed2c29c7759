"""Tests for core.ablation: the steps' pipelines, the best model on an MNIST slice, confusion counts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline

from core.ablation import ABLATION, ABLATION_STEPS, confusion_counts, hog_grid_sizes, make_best, make_sgd


def test_steps_run_from_the_baselines_to_best():
    names = [step.name for step in ABLATION]
    assert names[:2] == ["sgd", "rf"] and names[-1] == "best"
    assert len(set(names)) == len(names) == len(ABLATION_STEPS)
    assert all(step.title and step.change for step in ABLATION)


@pytest.mark.parametrize("name", list(ABLATION_STEPS))
def test_every_step_is_one_pipeline_that_learns_digits(name, digits):
    model = ABLATION_STEPS[name].make(image_shape=digits.image_shape, seed=0)
    assert isinstance(model, Pipeline)
    model.fit(digits.X_train, digits.y_train)
    accuracy = model.score(digits.X_test, digits.y_test)
    assert accuracy > 0.9, f"{name} reached only {accuracy:.3f} on digits"


def test_grid_sizes_follow_the_image_size():
    assert hog_grid_sizes((28, 28)) == (9, 3)
    assert hog_grid_sizes((8, 8)) == (2, 1)
    assert hog_grid_sizes((2, 2)) == (1, 1)


def test_best_beats_the_sgd_baseline_on_an_mnist_slice(mnist_small):
    ds = mnist_small
    best = make_best(image_shape=ds.image_shape, seed=0).fit(ds.X_train, ds.y_train)
    sgd = make_sgd(image_shape=ds.image_shape, seed=0).fit(ds.X_train, ds.y_train)
    best_accuracy, sgd_accuracy = best.score(ds.X_test, ds.y_test), sgd.score(ds.X_test, ds.y_test)
    assert best_accuracy > sgd_accuracy + 0.05
    assert best_accuracy > 0.97
    predicted = best.predict(ds.X_test)
    np.testing.assert_array_equal(best.predict(ds.X_test[:5]), predicted[:5])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(best)).predict(ds.X_test), predicted)


def test_confusion_counts_match_the_confusion_matrix(mnist_small):
    rng = np.random.default_rng(0)
    y_true = mnist_small.y_test
    y_pred = np.where(rng.random(len(y_true)) < 0.3, rng.integers(0, 10, len(y_true)), y_true)
    matrix = confusion_matrix(y_true, y_pred, labels=range(10))
    assert confusion_counts(y_true, y_pred) == {"9->4": matrix[9, 4], "5->3": matrix[5, 3], "7->1": matrix[7, 1]}
    assert confusion_counts(y_true, y_true) == {"9->4": 0, "5->3": 0, "7->1": 0}


def test_confusion_counts_refuse_mismatched_arrays():
    with pytest.raises(ValueError, match="same shape"):
        confusion_counts([1, 2, 3], [1, 2])
