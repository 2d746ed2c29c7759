"""Tests for core.data.preprocess on real MNIST slices and sklearn's 8x8 digits."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import ndimage
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from core.data.preprocess import (
    Deskew,
    PixelScaler,
    ShiftAugmentedClassifier,
    shift_images,
    slant,
)

# PixelScaler


def test_pixel_scaler_maps_0_255_to_float32_unit_range(mnist_small):
    X = mnist_small.X_test
    out = PixelScaler().fit_transform(X)
    assert out.dtype == np.float32 and out.shape == X.shape
    np.testing.assert_allclose(out, X.astype(np.float64) / 255, atol=1e-6)
    assert out.min() == 0 and out.max() == 1


@pytest.mark.parametrize("bad", [np.array([[-1.0, 3.0]]), np.arange(4.0)])
def test_pixel_scaler_rejects_negative_or_1d_input(bad):
    with pytest.raises(ValueError):
        PixelScaler().fit(bad)


def test_pixel_scaler_must_be_fitted_first():
    with pytest.raises(NotFittedError):
        PixelScaler().transform(np.zeros((1, 4)))


# Deskew and slant


def test_slant_measures_a_known_shear():
    image = np.zeros((1, 20, 20))
    rows = np.arange(2, 18)
    image[0, rows, 3 + rows // 2] = 255
    assert slant(image)[0] == pytest.approx(0.5, abs=0.03)
    assert slant(image[:, :, ::-1])[0] == pytest.approx(-0.5, abs=0.03)


def test_deskew_reduces_slant_on_mnist(mnist_small):
    X = mnist_small.X_test
    out = Deskew(image_shape=(28, 28)).fit_transform(X)
    assert out.shape == X.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255.001
    before = np.abs(slant(X, image_shape=(28, 28))).mean()
    after = np.abs(slant(out, image_shape=(28, 28))).mean()
    assert before > 0.1
    assert after < 0.1 * before


def test_deskew_matches_scipy_affine_transform(mnist_small):
    X = mnist_small.X_test[:40]
    out = Deskew().fit_transform(X).reshape(-1, 28, 28)
    for image, got in zip(X.reshape(-1, 28, 28).astype(float), out):
        cy, cx = ndimage.center_of_mass(image)
        rows, cols = np.mgrid[:28, :28]
        mu11 = (image * (rows - cy) * (cols - cx)).sum() / image.sum()
        mu02 = (image * (rows - cy) ** 2).sum() / image.sum()
        matrix = np.array([[1.0, 0.0], [mu11 / mu02, 1.0]])
        offset = np.array([cy, cx]) - matrix @ np.array([14.0, 14.0])
        expected = ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="grid-constant")
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_deskew_works_on_8x8_digits(digits):
    X = digits.X_test
    out = Deskew(image_shape=(8, 8)).fit(digits.X_train).transform(X)
    assert out.shape == X.shape and out.dtype == np.float32
    before = np.abs(slant(X, image_shape=(8, 8))).mean()
    after = np.abs(slant(out, image_shape=(8, 8))).mean()
    assert after < 0.5 * before


def test_deskew_keeps_blank_images_blank_and_checks_shape():
    deskew = Deskew(image_shape=(8, 8)).fit(np.zeros((1, 64)))
    assert not deskew.transform(np.zeros((2, 64))).any()
    with pytest.raises(ValueError, match="image_shape"):
        Deskew().fit(np.zeros((2, 64)))


def test_deskew_pipeline_survives_pickle(mnist_small):
    X = mnist_small.X_test[:20]
    pipe = make_pipeline(Deskew(), PixelScaler()).fit(X)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.transform(X), pipe.transform(X))
    assert clone(pipe).get_params()["deskew__image_shape"] == (28, 28)


# shift_images and ShiftAugmentedClassifier


def rolled(X: np.ndarray, *, image_shape, dx: int, dy: int) -> np.ndarray:
    """Independent reference: np.roll, then zero the pixels that wrapped around."""
    images = np.roll(X.reshape(len(X), *image_shape), (dy, dx), axis=(1, 2)).copy()
    if dy > 0:
        images[:, :dy] = 0
    elif dy < 0:
        images[:, dy:] = 0
    if dx > 0:
        images[:, :, :dx] = 0
    elif dx < 0:
        images[:, :, dx:] = 0
    return images.reshape(X.shape)


@pytest.mark.parametrize("dx, dy", [(1, 0), (-1, 0), (0, 1), (0, -1), (2, -3), (-5, 4)])
def test_shift_images_equals_roll_with_zero_fill(mnist_small, dx, dy):
    X = mnist_small.X_test[:50]
    got = shift_images(X, image_shape=(28, 28), dx=dx, dy=dy)
    assert got.dtype == X.dtype
    np.testing.assert_array_equal(got, rolled(X, image_shape=(28, 28), dx=dx, dy=dy))


def test_shift_images_beyond_the_image_is_blank():
    X = np.ones((2, 64), dtype=np.uint8)
    assert not shift_images(X, image_shape=(8, 8), dx=8, dy=0).any()


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what it was fitted on; predicts the first class."""

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X), np.asarray(y)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_shift_augmented_fit_sees_original_plus_four_shifts(digits):
    X, y = digits.X_train[:100], digits.y_train[:100]
    model = ShiftAugmentedClassifier(Recorder(), image_shape=(8, 8), shift=2).fit(X, y)
    seen, labels = model.estimator_.X_, model.estimator_.y_
    assert seen.shape == (500, 64)
    np.testing.assert_array_equal(labels, np.tile(y, 5))
    blocks = {seen[i * 100 : (i + 1) * 100].tobytes() for i in range(5)}
    expected = [X] + [rolled(X, image_shape=(8, 8), dx=dx, dy=dy) for dx, dy in [(2, 0), (-2, 0), (0, 2), (0, -2)]]
    assert blocks == {block.tobytes() for block in expected}
    assert not hasattr(model, "predict_proba")


def test_shift_augmented_delegates_to_fitted_estimator(mnist_small):
    data = mnist_small
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    model = ShiftAugmentedClassifier(forest, shift=1).fit(data.X_train[:1000], data.y_train[:1000])
    assert model.estimator_.n_features_in_ == 784
    np.testing.assert_array_equal(model.classes_, np.arange(10))
    np.testing.assert_array_equal(model.predict(data.X_test), model.estimator_.predict(data.X_test))
    np.testing.assert_array_equal(model.predict_proba(data.X_test), model.estimator_.predict_proba(data.X_test))
    assert model.score(data.X_test, data.y_test) > 0.8
    assert not hasattr(model, "decision_function")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(data.X_test), model.predict(data.X_test))


def test_shift_augmented_exposes_decision_function_only_when_inner_has_it(digits):
    model = ShiftAugmentedClassifier(LinearSVC(), image_shape=(8, 8))
    assert hasattr(model, "decision_function") and not hasattr(model, "predict_proba")
    model.fit(digits.X_train / 16.0, digits.y_train)
    np.testing.assert_allclose(
        model.decision_function(digits.X_test / 16.0), model.estimator_.decision_function(digits.X_test / 16.0)
    )


def test_shift_augmented_checks_rows_and_labels(digits):
    with pytest.raises(ValueError, match="image_shape"):
        ShiftAugmentedClassifier(Recorder()).fit(digits.X_train, digits.y_train)
    with pytest.raises(ValueError, match="labels"):
        ShiftAugmentedClassifier(Recorder(), image_shape=(8, 8)).fit(digits.X_train, digits.y_train[:-1])
