"""Tests for core.models.ablation: the steps' pipelines and the strongest step (svc_virtual) on an MNIST slice."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from core.models.ablation import ABLATION, hog_grid_sizes, make_svc_virtual
from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.models import REGISTRY, resolve_models

KERNEL_STEPS = [step.name for step in ABLATION if step.name not in {"sgd", "rf"}]


def test_steps_run_from_the_baselines_to_best_and_are_registry_models():
    names = [step.name for step in ABLATION]
    assert names[:2] == ["sgd", "rf"] and names[-1] == "svc_virtual"
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


def test_a_small_build_of_best_beats_sgd_and_its_artifact_predicts_the_same(mnist_small, tmp_path):
    ds = mnist_small
    result = build(dataset=ds, artifacts_dir=tmp_path, models="sgd,svc_virtual", seed=0)
    accuracy = {name: entry["metrics"]["test_accuracy"] for name, entry in result.manifest["models"].items()}
    assert accuracy["svc_virtual"] > accuracy["sgd"] + 0.05
    assert accuracy["svc_virtual"] > 0.97
    artifacts = open_artifacts(tmp_path)
    stored = artifacts.predictions("svc_virtual")
    np.testing.assert_array_equal(artifacts.load_model("svc_virtual").predict(ds.X_test), stored.y_pred)
    np.testing.assert_array_equal(stored.scores.argmax(axis=1), stored.y_pred)
    best = make_svc_virtual(image_shape=ds.image_shape, seed=0).fit(ds.X_train, ds.y_train)
    np.testing.assert_array_equal(best.predict(ds.X_test[:5]), stored.y_pred[:5])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(best)).predict(ds.X_test), stored.y_pred)
