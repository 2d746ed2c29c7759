"""core.data.eda on real digits and MNIST slices, checked against direct numpy computations."""

import types

import numpy as np
import pytest

from core.data import eda


@pytest.fixture(params=["digits", "mnist_small"])
def dataset(request):
    return request.getfixturevalue(request.param)


def test_class_counts(dataset):
    for y in (dataset.y_train, dataset.y_test):
        np.testing.assert_array_equal(eda.class_counts(y, n_classes=10), np.bincount(y))
    np.testing.assert_array_equal(eda.class_counts(np.array([1, 1]), n_classes=3), [0, 2, 0])
    with pytest.raises(ValueError, match="n_classes"):
        eda.class_counts(dataset.y_train, n_classes=5)


def test_class_images_match_numpy(dataset):
    X, y, shape = dataset.X_train, dataset.y_train, dataset.image_shape
    mean, var = eda.class_images(X, y, image_shape=shape, n_classes=10)
    assert mean.shape == var.shape == (10, *shape) and mean.dtype == var.dtype == np.float32
    for k in range(10):
        rows = X[y == k].astype(np.float64)
        np.testing.assert_allclose(mean[k].ravel(), rows.mean(axis=0), rtol=1e-6, atol=1e-4)
        np.testing.assert_allclose(var[k].ravel(), np.var(rows, axis=0), rtol=1e-5, atol=1e-2)


def test_class_images_absent_class_is_zero(digits):
    mean, var = eda.class_images(digits.X_train, digits.y_train, image_shape=(8, 8),
                                 n_classes=11)
    assert not mean[10].any() and not var[10].any()


def test_sample_indices(dataset):
    y = dataset.y_train
    picked = eda.sample_indices(y, per_class=7, seed=3)
    assert picked.shape == (10, 7)
    for k in range(10):
        assert (y[picked[k]] == k).all() and len(set(picked[k])) == 7
    np.testing.assert_array_equal(picked, eda.sample_indices(y, per_class=7, seed=3))
    assert not np.array_equal(picked, eda.sample_indices(y, per_class=7, seed=4))


def test_sample_indices_pads_small_classes():
    y = np.array([0, 0, 0, 1, 2, 2])
    picked = eda.sample_indices(y, per_class=3, seed=0, n_classes=4)
    assert sorted(picked[0]) == [0, 1, 2]
    np.testing.assert_array_equal(picked[1], [3, -1, -1])
    assert sorted(picked[2][:2]) == [4, 5] and picked[2][2] == -1
    np.testing.assert_array_equal(picked[3], [-1, -1, -1])


def test_ink_stats_on_handmade_images():
    images = np.zeros((4, 6, 5), dtype=np.uint8)
    images[1, 1:4, 2] = 255                       # vertical bar: rows 1-3, column 2
    images[2, 2, 1:5] = [51, 102, 255, 255]      # horizontal stroke
    for r in range(5):                            # "/" stroke: top right to bottom left
        images[3, r, 4 - r] = 200
    table = eda.ink_stats(images.reshape(4, -1), image_shape=(6, 5))
    assert list(table.columns) == ["ink", "bbox_height", "bbox_width", "slant"]
    np.testing.assert_allclose(table["ink"], [0, 3, 663 / 255, 1000 / 255], rtol=1e-6)
    np.testing.assert_array_equal(table["bbox_height"], [0, 3, 1, 5])
    np.testing.assert_array_equal(table["bbox_width"], [0, 1, 4, 5])
    np.testing.assert_allclose(table["slant"][:2], [0, 0], atol=1e-7)
    # x = 4 - y exactly, so the moment ratio is the line's dx/dy = -1
    assert table["slant"][3] == pytest.approx(-1.0)


def test_ink_stats_on_real_images(dataset):
    X, shape = dataset.X_train[:300], dataset.image_shape
    table = eda.ink_stats(X, image_shape=shape)
    assert len(table) == len(X)
    np.testing.assert_allclose(table["ink"], X.sum(axis=1) / 255, rtol=1e-6)
    for i in (0, 17, 299):
        rows, cols = np.nonzero(X[i].reshape(shape))
        assert table["bbox_height"][i] == rows.max() - rows.min() + 1
        assert table["bbox_width"][i] == cols.max() - cols.min() + 1
        image = X[i].reshape(shape).astype(np.float64)
        r, c = np.indices(shape)
        cy, cx = np.average(r, weights=image), np.average(c, weights=image)
        mu11 = np.average((r - cy) * (c - cx), weights=image)
        mu02 = np.average((r - cy) ** 2, weights=image)
        assert table["slant"][i] == pytest.approx(mu11 / mu02, rel=1e-5, abs=1e-6)
    assert (table["bbox_height"] <= shape[0]).all() and (table["bbox_width"] <= shape[1]).all()
    assert (table["bbox_height"] > 0).all() and table["slant"].abs().max() < 2


def test_ink_stats_chunking_matches_one_pass(mnist):
    X = mnist.X_train[:10_000]
    assert len(X) > 2 * eda._CHUNK, "more rows than ink_stats takes in one internal chunk, so it splits them"
    whole = eda.ink_stats(X, image_shape=(28, 28))
    parts = [eda.ink_stats(X[i:i + 700], image_shape=(28, 28)) for i in range(0, len(X), 700)]
    np.testing.assert_array_equal(whole.to_numpy(),
                                  np.concatenate([p.to_numpy() for p in parts]))


def test_ink_stats_rejects_wrong_shape(digits):
    with pytest.raises(ValueError, match="28\\*28"):
        eda.ink_stats(digits.X_train, image_shape=(28, 28))


def test_summarise(dataset):
    summary = eda.summarise(dataset, per_class=4, seed=1)
    shape = dataset.image_shape
    np.testing.assert_array_equal(summary.train_counts, np.bincount(dataset.y_train))
    np.testing.assert_array_equal(summary.test_counts, np.bincount(dataset.y_test))
    assert summary.class_names == tuple(dataset.class_names)
    assert summary.sample_images.shape == (10, 4, *shape)
    assert summary.sample_images.dtype == np.uint8
    for k in range(10):
        for j, row in enumerate(summary.sample_indices[k]):
            assert dataset.y_train[row] == k
            np.testing.assert_array_equal(summary.sample_images[k, j].ravel(),
                                          dataset.X_train[row])
    np.testing.assert_array_equal(summary.ink["label"], dataset.y_train)
    by_class = summary.ink_by_class
    np.testing.assert_array_equal(by_class["count"], summary.train_counts)
    for k in (0, 7):
        rows = summary.ink[summary.ink["label"] == k]
        assert by_class.loc[k, "ink_mean"] == pytest.approx(rows["ink"].mean())
        assert by_class.loc[k, "slant_std"] == pytest.approx(np.std(rows["slant"]))


def test_summarise_reads_plain_attributes_and_pads(digits):
    keep = (digits.y_train != 3) | (np.arange(len(digits.y_train)) % 50 == 0)
    n_three = int(np.sum(digits.y_train[keep] == 3))
    plain = types.SimpleNamespace(
        X_train=digits.X_train[keep], y_train=digits.y_train[keep], X_test=digits.X_test,
        y_test=digits.y_test, image_shape=[8, 8], class_names=[str(k) for k in range(10)])
    summary = eda.summarise(plain, per_class=n_three + 2)
    assert (summary.sample_indices[3, n_three:] == -1).all()
    assert not summary.sample_images[3, n_three:].any()
    assert summary.image_shape == (8, 8)


def test_round_trip_through_npz(digits, tmp_path):
    summary = eda.summarise(digits, per_class=6, seed=2)
    arrays = summary.to_arrays()
    assert all(key.startswith("eda_") for key in arrays)
    path = tmp_path / "data.npz"
    np.savez_compressed(path, X_test=digits.X_test, **arrays)
    with np.load(path, allow_pickle=False) as stored:
        back = eda.DataSummary.from_arrays(stored)
    assert back.class_names == summary.class_names and back.image_shape == summary.image_shape
    for name in ("train_counts", "test_counts", "mean_images", "var_images",
                 "sample_indices", "sample_images"):
        original, loaded = getattr(summary, name), getattr(back, name)
        assert loaded.dtype == original.dtype
        np.testing.assert_array_equal(loaded, original)
    assert back.ink.equals(summary.ink)
    assert back.ink_by_class.equals(summary.ink_by_class)


def test_from_arrays_without_summary_says_what_to_do():
    with pytest.raises(KeyError, match="python -m core build"):
        eda.DataSummary.from_arrays({"X_test": np.zeros((1, 64))})
