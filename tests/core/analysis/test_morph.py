"""The morph towards another class's training image on real MNIST: its ends, its steps and its flip step."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline

from core.analysis import embedding, morph
from core.data.preprocess import PixelScaler
from core.models import REGISTRY


@pytest.fixture(scope="module")
def forest(mnist_small):
    return REGISTRY["rf"].make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train, mnist_small.y_train)


def test_the_path_runs_from_the_image_to_the_other_and_flips_at_the_first_step_that_answers_the_target(
        forest, mnist_small):
    wrong = np.flatnonzero(forest.predict(mnist_small.X_test) != mnist_small.y_test)
    checked = 0
    for row in wrong[:10]:
        true = int(mnist_small.y_test[row])
        toward = mnist_small.X_train[np.flatnonzero(mnist_small.y_train == true)[0]]
        path = morph.morph(forest.predict_proba, mnist_small.X_test[row], toward, target=true, steps=20)
        assert np.array_equal(path.images[0], mnist_small.X_test[row]) and np.array_equal(path.images[-1], toward)
        assert np.all(np.abs(np.diff(path.images.astype(int), axis=0)) <= np.abs(toward.astype(int) -
                                                                              mnist_small.X_test[row]) / 20 + 1)
        answers = [int(np.argmax(forest.predict_proba(image[None])[0])) for image in path.images]
        expected = next((k for k, a in enumerate(answers) if a == true), None)
        assert path.flip == expected and path.predicted.tolist() == answers
        checked += path.flip is not None
    assert checked >= 5, "most paths to a training image of the true label end in the true label"


def test_the_nearest_image_of_a_class_is_the_brute_force_nearest_in_the_feature_space(mnist_small):
    space = Pipeline([("scale", PixelScaler()), ("pca", PCA(n_components=20, random_state=0))]).fit(
        mnist_small.X_train)
    features = space.transform(mnist_small.X_train)
    index = embedding.NeighbourIndex(features, mnist_small.y_train)
    row = mnist_small.X_test[0]
    query = space.transform(row[None])[0]
    for label in (3, 8):
        rows = np.flatnonzero(mnist_small.y_train == label)
        expected = rows[np.argmin(((features[rows] - query) ** 2).sum(axis=1))]
        assert embedding.nearest_of_class(space, index, row, label=label) == expected
    with pytest.raises(ValueError, match="no training image is labelled 11"):
        embedding.nearest_of_class(space, index, row, label=11)
