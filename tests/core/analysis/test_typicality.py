"""Distance to the training set on real MNIST: test digits sit below the 99th percentile about 99 times in 100,
noise and blank-with-a-bar images far above it; percentiles against numpy's."""

import numpy as np
import pytest

from core.analysis import embedding, typicality


@pytest.fixture(scope="module")
def space(mnist_small):
    fitted = embedding.feature_space(image_shape=(28, 28), seed=0).fit(mnist_small.X_train)
    index = embedding.NeighbourIndex(fitted.transform(mnist_small.X_train), mnist_small.y_train)
    test_nearest = index.query(fitted.transform(mnist_small.X_test), k=1).distances[:, 0]
    return fitted, index, test_nearest


def test_the_percentile_and_cutoff_are_numpys(space):
    _, _, test_nearest = space
    distance = float(np.median(test_nearest))
    found = typicality.typicality(distance, test_nearest)
    assert found.percentile == pytest.approx(100 * (test_nearest < distance).sum() / test_nearest.size)
    assert found.cutoff == pytest.approx(np.percentile(test_nearest, 99))
    assert 45 <= found.percentile <= 55 and not found.unusual


def test_noise_and_a_lone_bar_are_unusual_and_test_digits_are_not(space, mnist_small):
    fitted, index, test_nearest = space
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(5, 784)).astype(np.uint8)
    bar = np.zeros((1, 28, 28), dtype=np.uint8)
    bar[0, 2:5, :] = 255
    strange = np.vstack([noise, bar.reshape(1, -1)])
    distances = index.query(fitted.transform(strange), k=1).distances[:, 0]
    assert all(typicality.typicality(d, test_nearest).unusual for d in distances)
    flagged = [typicality.typicality(d, test_nearest).unusual for d in test_nearest]
    assert np.mean(flagged) <= 0.011, "by construction about 1% of the test digits lie past the 99th percentile"
