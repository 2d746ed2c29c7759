import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from core.artifacts.build import task_labels
from core.models.training import model_scores
from core.models import GROUPS, REGISTRY, resolve_models


def test_quick_and_groups_resolve_to_registry_names():
    assert resolve_models("quick")[:2] == ["sgd", "rf"]
    assert resolve_models("all") == list(REGISTRY)
    assert set(resolve_models("study")) >= {"sgd", "rf", "is5", "sgd_ovr", "sgd_ovo"}
    assert resolve_models("rf, knn,rf") == ["rf", "knn"]
    for group in GROUPS:
        assert set(resolve_models(group)) <= set(REGISTRY)


def test_unknown_model_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown model 'nope'.*sgd"):
        resolve_models("sgd,nope")
    with pytest.raises(ValueError, match="no models"):
        resolve_models(" , ")


@pytest.mark.parametrize("name", [n for n, spec in REGISTRY.items()
                                  if spec.groups != ("ablation",) and spec.task in ("multiclass", "binary")
                                  and spec.runtime == "sklearn"])  # the CNN (an ONNX graph): test_cnn.py
def test_every_model_is_one_pipeline_from_raw_pixels_to_a_class(name, digits):
    spec = REGISTRY[name]
    model = spec.make(image_shape=digits.image_shape, seed=0)
    assert isinstance(model, Pipeline)
    y_train, y_test, class_names = task_labels(spec, digits)
    model.fit(digits.X_train, y_train)
    predicted = model.predict(digits.X_test)
    assert set(np.unique(predicted)) <= set(range(len(class_names)))
    accuracy = np.mean(predicted == y_test)
    assert accuracy > 0.9, f"{name} reached only {accuracy:.3f} on digits"
    scores, kind = model_scores(model, digits.X_test)
    assert scores.shape == (len(y_test), len(class_names))
    assert kind in {"proba", "decision"}
    assert np.mean(scores.argmax(axis=1) == predicted) > 0.97


def test_pipelines_are_fresh_and_deterministic(mnist_small):
    spec = REGISTRY["sgd"]
    a = spec.make(image_shape=(28, 28), seed=3).fit(mnist_small.X_train, mnist_small.y_train)
    b = clone(spec.make(image_shape=(28, 28), seed=3)).fit(mnist_small.X_train, mnist_small.y_train)
    np.testing.assert_array_equal(a.predict(mnist_small.X_test), b.predict(mnist_small.X_test))
    assert spec.make(image_shape=(28, 28), seed=3) is not spec.make(image_shape=(28, 28), seed=3)


def test_binary_detector_finds_fives_on_mnist(mnist_small):
    spec = REGISTRY["is5"]
    y_train, y_test, names = task_labels(spec, mnist_small)
    assert names == ("not 5", "5")
    assert y_train.sum() == np.count_nonzero(mnist_small.y_train == 5)
    model = spec.make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train, y_train)
    predicted = model.predict(mnist_small.X_test)
    recall = predicted[y_test == 1].mean()
    assert np.mean(predicted == y_test) > 0.93 and recall > 0.6


def test_one_vs_one_trains_a_classifier_per_pair(digits):
    model = REGISTRY["sgd_ovo"].make(image_shape=(8, 8), seed=0).fit(digits.X_train, digits.y_train)
    assert len(model[-1].estimators_) == 45
    ovr = REGISTRY["sgd_ovr"].make(image_shape=(8, 8), seed=0).fit(digits.X_train, digits.y_train)
    assert len(ovr[-1].estimators_) == 10
