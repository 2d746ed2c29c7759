"""Label issues on real MNIST: labels flipped on purpose must rank at the top of cleanlab's list."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from core.analysis import label_quality
from core.data.preprocess import PixelScaler

N_FLIPPED = 30


@pytest.fixture(scope="module")
def out_of_sample(mnist_small):
    """Test probabilities of a model fitted on the training slice only (PCA + 10 nearest neighbours)."""
    model = make_pipeline(PixelScaler(), PCA(40, random_state=0), KNeighborsClassifier(10))
    model.fit(mnist_small.X_train, mnist_small.y_train)
    return model.predict_proba(mnist_small.X_test)


@pytest.fixture(scope="module")
def flipped(mnist_small):
    """The test labels with :data:`N_FLIPPED` of them changed to another digit, and the changed rows."""
    rng = np.random.default_rng(0)
    rows = rng.choice(len(mnist_small.y_test), N_FLIPPED, replace=False)
    noisy = mnist_small.y_test.copy()
    noisy[rows] = (noisy[rows] + rng.integers(1, 10, N_FLIPPED)) % 10
    return noisy, rows


def test_flipped_labels_rank_first_and_are_flagged(out_of_sample, flipped, mnist_small):
    noisy, rows = flipped
    found = label_quality.label_issues(noisy, out_of_sample, source="knn")
    top = set(found.ranking[:N_FLIPPED].tolist())
    assert len(top & set(rows.tolist())) >= 0.8 * N_FLIPPED
    assert found.flagged[rows].mean() >= 0.7
    assert found.n_flagged <= 2 * N_FLIPPED, "cleanlab flags few of the untouched labels"
    right = found.flagged[rows] & (found.suggested[rows] == mnist_small.y_test[rows])
    assert right.sum() >= 0.6 * N_FLIPPED, "the suggested label is mostly the original one"
    np.testing.assert_allclose(found.quality, out_of_sample[np.arange(len(noisy)), noisy])


def test_the_table_names_given_and_suggested_labels(out_of_sample, flipped, mnist_small):
    noisy, rows = flipped
    found = label_quality.label_issues(noisy, out_of_sample)
    table = found.table(found.ranking[:5], labels=noisy, class_names=mnist_small.class_names)
    assert table["index"].tolist() == found.ranking[:5].tolist()
    assert table["given"].tolist() == [str(v) for v in noisy[found.ranking[:5]]]
    assert table["quality"].is_monotonic_increasing


def test_a_slice_missing_a_digit_still_works(out_of_sample, flipped):
    noisy, _ = flipped
    keep = noisy != 3
    found = label_quality.label_issues(noisy[keep], out_of_sample[keep])
    assert found.quality.shape == (keep.sum(),) and found.suggested.max() <= 9


def test_wrong_shapes_are_refused_in_one_line(out_of_sample, flipped):
    with pytest.raises(ValueError, match="one row per label"):
        label_quality.label_issues(flipped[0][:-1], out_of_sample)


def test_the_strongest_models_are_combined_by_the_mean(out_of_sample):
    assert label_quality.strongest({"a": 0.9, "b": 0.99, "c": 0.95, "d": 0.5}, k=2) == ["b", "c"]
    other = np.roll(out_of_sample, 1, axis=1)
    np.testing.assert_allclose(label_quality.combine({"x": out_of_sample, "y": other}), (out_of_sample + other) / 2)


def test_accuracy_with_reviewed_labels_corrected(out_of_sample, flipped, mnist_small):
    noisy, rows = flipped
    y_pred = out_of_sample.argmax(axis=1)
    before, after = label_quality.corrected_accuracy(noisy, y_pred, {int(r): int(mnist_small.y_test[r]) for r in rows})
    assert before == pytest.approx(np.mean(noisy == y_pred))
    assert after == pytest.approx(np.mean(mnist_small.y_test == y_pred)) and after > before
