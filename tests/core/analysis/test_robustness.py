"""Robustness perturbations and measurement on real MNIST and the bundled digits, against geometry worked out in
the test (np.rot90, centres of mass, footprints) and predictions made directly with the model."""

import numpy as np
import pytest
from scipy import ndimage

from core.analysis import robustness
from core.models import REGISTRY


def centres(images: np.ndarray) -> np.ndarray:
    return np.array([ndimage.center_of_mass(image.astype(np.float64)) for image in images])


@pytest.fixture(scope="module")
def images(mnist_small):
    return mnist_small.X_test[:120].reshape(-1, 28, 28)


def framed(images: np.ndarray, margin: int) -> np.ndarray:
    """The images whose ink keeps ``margin`` empty pixels to every edge (none of it leaves the frame)."""
    ink = images > 0
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    keep = [r[:margin].sum() + r[-margin:].sum() + c[:margin].sum() + c[-margin:].sum() == 0
            for r, c in zip(rows, cols)]
    return images[np.array(keep)]


def test_a_quarter_turn_is_numpys_rotation(images):
    np.testing.assert_array_equal(robustness.rotate(images[:5], np.full(5, 90.0)), np.rot90(images[:5], axes=(1, 2)))


def test_a_rotated_digit_is_a_different_array_with_the_same_centre(images):
    turned = robustness.perturb(images, "rotation", 15.0, seed=0)
    assert turned.dtype == np.uint8 and turned.shape == images.shape
    assert all((a != b).sum() > 20 for a, b in zip(turned, images))
    np.testing.assert_allclose(centres(turned), centres(images), atol=0.6)
    np.testing.assert_allclose(turned.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=0.05)


@pytest.mark.parametrize("kind", list(robustness.PERTURBATIONS))
def test_the_identity_strength_leaves_images_as_they_are(images, kind):
    same = robustness.perturb(images, kind, robustness.PERTURBATIONS[kind].identity, seed=3)
    np.testing.assert_array_equal(same, images)


@pytest.mark.parametrize("kind", list(robustness.PERTURBATIONS))
def test_every_perturbation_is_reproducible_and_changes_images(images, kind):
    strength = robustness.PERTURBATIONS[kind].strengths[-1]
    first = robustness.perturb(images, kind, strength, seed=0)
    np.testing.assert_array_equal(first, robustness.perturb(images, kind, strength, seed=0))
    assert (first != images).any(axis=(1, 2)).all()


@pytest.mark.parametrize("strength", [1.0, 2.5])
def test_a_shift_moves_the_centre_of_mass_by_its_length(images, strength):
    inside = framed(images, 4)
    assert len(inside) >= 20
    moved = robustness.perturb(inside, "shift", strength, seed=1)
    distance = np.linalg.norm(centres(moved) - centres(inside), axis=1)
    np.testing.assert_allclose(distance, strength, atol=0.08)


def test_a_shift_on_an_8x8_image_is_stated_in_mnist_pixels():
    blobs = np.zeros((10, 8, 8), dtype=np.uint8)
    blobs[:, 3:5, 3:5] = 200
    distance = np.linalg.norm(centres(robustness.perturb(blobs, "shift", 2.0, seed=0)) - centres(blobs), axis=1)
    np.testing.assert_allclose(distance, 2.0 * 8 / 28, atol=0.02)


@pytest.mark.parametrize("factor", [0.8, 1.2])
def test_scaling_about_the_centre_scales_the_ink_by_the_square(images, factor):
    inside = framed(images, 4)
    scaled = robustness.perturb(inside, "scale", factor, seed=0)
    ratio = scaled.sum(axis=(1, 2)) / inside.sum(axis=(1, 2))
    np.testing.assert_allclose(np.median(ratio), factor ** 2, rtol=0.04)
    offsets = centres(inside) - 13.5
    np.testing.assert_allclose(centres(scaled) - 13.5, offsets * factor, atol=0.3)


def test_a_thicker_stroke_grows_a_dot_into_a_square_and_a_thinner_one_shrinks_it_back():
    dot = np.zeros((1, 28, 28), dtype=np.uint8)
    dot[0, 10, 10] = 255
    thick = robustness.perturb(dot, "stroke", 1.0)
    assert (thick == 255).sum() == 4 and (thick > 0).sum() == 4 and thick[0, 10, 10] == 255
    thin = robustness.perturb(thick, "stroke", -1.0)
    assert (thin == 255).sum() == 1


def test_noise_has_the_stated_spread():
    grey = np.full((50, 28, 28), 128, dtype=np.uint8)
    noisy = robustness.perturb(grey, "noise", 25.0, seed=0).astype(np.float64)
    assert abs(noisy.std() - 25.0) < 0.5 and abs(noisy.mean() - 128) < 0.5


def test_the_subset_is_stratified(mnist):
    rows = robustness.subset_rows(mnist.y_test, n=1000, seed=0)
    assert len(rows) == 1000 == len(np.unique(rows))
    expected = np.bincount(mnist.y_test) / len(mnist.y_test) * 1000
    assert np.abs(np.bincount(mnist.y_test[rows]) - expected).max() <= 1


def test_measure_at_strength_zero_is_plain_accuracy_and_counts_the_flips(mnist_small):
    forest = REGISTRY["rf"].make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train, mnist_small.y_train)
    images = robustness.perturbed(mnist_small.X_test, mnist_small.y_test, image_shape=(28, 28), n=300, seed=0)
    found = robustness.measure(forest.predict, images)
    table = found.table()
    rows = robustness.subset_rows(mnist_small.y_test, n=300, seed=0)
    clean = forest.predict(mnist_small.X_test[rows]) == mnist_small.y_test[rows]
    assert table["kind"][0] == "clean" and table["accuracy"][0] == clean.mean()
    k = found.condition("rotation", 30.0)
    turned = robustness.perturb(mnist_small.X_test[rows].reshape(-1, 28, 28), "rotation", 30.0, seed=0)
    right = forest.predict(turned.reshape(300, -1)) == mnist_small.y_test[rows]
    assert table["accuracy"][k] == right.mean() < clean.mean()
    assert table["flipped"][k] == (clean & ~right).sum() and table["fixed"][k] == (~clean & right).sum()
    np.testing.assert_array_equal(found.flipped(k), np.flatnonzero(clean & ~right))
    assert table["low"][k] < table["accuracy"][k] < table["high"][k]
    again = robustness.Robustness.from_arrays(found.to_arrays())
    np.testing.assert_array_equal(again.table().to_numpy(), table.to_numpy())
