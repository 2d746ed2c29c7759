"""Tests for core.data.features on real MNIST slices and sklearn's 8x8 digits."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from core.data.features import GradientHistogram, VirtualSVClassifier, orientation_maps, pool_cells


@pytest.fixture(scope="module")
def hog_mnist(mnist_small):
    return GradientHistogram(image_shape=(28, 28), grid_sizes=(9, 3), n_orientations=8).fit(mnist_small.X_train)


def brute_force_cells(maps: np.ndarray, grid: int) -> np.ndarray:
    """Each overlapping cell summed by explicit slicing, as the docstring defines it."""
    n, height, width, channels = maps.shape
    rows = np.linspace(0, height, grid + 2).round().astype(int)
    cols = np.linspace(0, width, grid + 2).round().astype(int)
    out = np.zeros((n, grid, grid, channels))
    for i in range(grid):
        for j in range(grid):
            out[:, i, j] = maps[:, rows[i] : rows[i + 2], cols[j] : cols[j + 2]].sum(axis=(1, 2))
    return out


def test_features_have_the_documented_shape_and_are_finite(hog_mnist, mnist_small):
    features = hog_mnist.transform(mnist_small.X_test)
    assert features.shape == (len(mnist_small.X_test), 8 * (81 + 9)) == (600, hog_mnist.n_features_out_)
    assert features.dtype == np.float32
    assert np.isfinite(features).all() and features.min() >= 0
    assert len(hog_mnist.get_feature_names_out()) == hog_mnist.n_features_out_


def test_each_grid_is_a_square_rooted_distribution(hog_mnist, mnist_small):
    features = hog_mnist.transform(mnist_small.X_test[:50]).astype(np.float64)
    fine, coarse = features[:, : 8 * 81], features[:, 8 * 81 :]
    np.testing.assert_allclose((fine**2).sum(axis=1), 1, rtol=1e-4)
    np.testing.assert_allclose((coarse**2).sum(axis=1), 1, rtol=1e-4)


def test_features_ignore_ink_intensity_and_blank_images_give_zeros(hog_mnist, mnist_small):
    X = mnist_small.X_test[:20].astype(np.float64)
    np.testing.assert_allclose(hog_mnist.transform(X), hog_mnist.transform(X * 0.3), atol=1e-4)
    assert not hog_mnist.transform(np.zeros((1, 784))).any()


def test_features_are_deterministic_and_survive_pickling(hog_mnist, mnist_small):
    X = mnist_small.X_test[:100]
    first = hog_mnist.transform(X)
    np.testing.assert_array_equal(first, clone(hog_mnist).fit(X).transform(X))
    np.testing.assert_array_equal(first, pickle.loads(pickle.dumps(hog_mnist)).transform(X))
    np.testing.assert_array_equal(first[:7], hog_mnist.transform(X[:7]))


def test_a_linear_ramp_puts_its_gradient_in_the_right_bin():
    angle = np.deg2rad(22.5)
    rows, cols = np.mgrid[:10, :10]
    ramp = np.cos(angle) * cols + np.sin(angle) * rows
    maps = orientation_maps(ramp[None], n_orientations=8, signed=True)[0, 1:-1, 1:-1]
    np.testing.assert_allclose(maps[..., 0], 2.0, rtol=1e-5)
    np.testing.assert_allclose(maps[..., 1:], 0.0, atol=1e-5)
    unsigned = orientation_maps(-ramp[None], n_orientations=4, signed=False)[0, 1:-1, 1:-1]
    np.testing.assert_allclose(unsigned[..., 0], 2.0, rtol=1e-5)


def test_orientation_bins_share_the_gradient_magnitude(mnist_small):
    images = mnist_small.images("test")[:30].astype(np.float64)
    gy, gx = np.gradient(np.pad(images, ((0, 0), (1, 1), (1, 1))), axis=(1, 2))
    expected = 2 * np.hypot(gx, gy)[:, 1:-1, 1:-1]
    maps = orientation_maps(images, n_orientations=9, signed=False)
    np.testing.assert_allclose(maps.sum(axis=-1), expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(("shape", "grid"), [((28, 28), 9), ((28, 28), 3), ((8, 8), 2), ((8, 8), 7), ((5, 9), 4)])
def test_overlapping_cells_match_explicit_slicing(shape, grid):
    maps = np.random.default_rng(0).random((3, *shape, 2))
    np.testing.assert_allclose(pool_cells(maps, grid=grid), brute_force_cells(maps, grid))


def test_digits_features_separate_the_classes(digits):
    model = make_pipeline(GradientHistogram(image_shape=(8, 8), grid_sizes=(2, 1)), LogisticRegression(max_iter=500))
    model.fit(digits.X_train, digits.y_train)
    assert model[0].transform(digits.X_test).shape == (len(digits.y_test), 8 * 5)
    assert model.score(digits.X_test, digits.y_test) > 0.85


@pytest.mark.parametrize("params", [{"grid_sizes": (8,)}, {"grid_sizes": ()}, {"grid_sizes": (0,)},
                                    {"n_orientations": 1}])
def test_bad_parameters_say_what_is_allowed(params, digits):
    with pytest.raises(ValueError, match="grid_sizes|n_orientations"):
        GradientHistogram(image_shape=(8, 8), **params).fit(digits.X_train)


def test_rows_of_the_wrong_width_are_refused(hog_mnist, digits):
    with pytest.raises(ValueError, match="image_shape"):
        GradientHistogram(image_shape=(28, 28)).fit(digits.X_train)
    with pytest.raises(ValueError, match="features"):
        hog_mnist.transform(digits.X_test)


@pytest.fixture(scope="module")
def virtual(mnist_small):
    inner = make_pipeline(GradientHistogram(), SVC(C=5, gamma=0.75, break_ties=True))
    X, y = mnist_small.X_train[:1500], mnist_small.y_train[:1500]
    return VirtualSVClassifier(inner, image_shape=(28, 28), shift=1).fit(X, y), inner, X, y


def test_virtual_svm_refits_on_support_vectors_and_their_four_shifts(virtual):
    model, inner, X, y = virtual
    first = clone(inner).fit(X, y)
    assert model.n_first_support_ == len(first[-1].support_) < len(X)
    assert model.estimator_[-1].shape_fit_[0] == 5 * model.n_first_support_
    np.testing.assert_array_equal(model.classes_, np.arange(10))


def test_virtual_svm_predicts_and_scores_like_its_second_model(virtual, mnist_small):
    model, _, _, _ = virtual
    X = mnist_small.X_test
    scores = model.decision_function(X)
    assert scores.shape == (len(X), 10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[scores.argmax(axis=1)])
    assert not hasattr(model, "predict_proba")
    assert np.mean(model.predict(X) == mnist_small.y_test) > 0.95


def test_virtual_svm_needs_a_support_vector_machine(digits):
    with pytest.raises(TypeError, match="support_"):
        VirtualSVClassifier(KNeighborsClassifier(), image_shape=(8, 8)).fit(digits.X_train, digits.y_train)
