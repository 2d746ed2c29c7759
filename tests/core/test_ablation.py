"""Tests for core.ablation: the steps' pipelines and the best model on an MNIST slice."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from core.ablation import ABLATION, hog_grid_sizes, make_best
from core.models import REGISTRY, make_sgd, resolve_models

KERNEL_STEPS = [step.name for step in ABLATION if step.name not in {"sgd", "rf"}]


def test_steps_run_from_the_baselines_to_best_and_are_registry_models():
    names = [step.name for step in ABLATION]
    assert names[:2] == ["sgd", "rf"] and names[-1] == "best"
    assert len(set(names)) == len(names)
    assert all(step.change for step in ABLATION)
    assert resolve_models("ablation") == names


@pytest.mark.parametrize("name", KERNEL_STEPS)
def test_every_step_is_one_pipeline_that_learns_digits(name, digits):
    model = REGISTRY[name].make(image_shape=digits.image_shape, seed=0)
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
