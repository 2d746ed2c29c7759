"""Tests for core.data on real data: the shared MNIST IDX files and scikit-learn's digits.

IDX files are written and read here by small helpers of this file (gzip +
``np.frombuffer``), so the loader is checked against code it does not share.
Malformed files start from valid IDX slices of real MNIST and are then damaged.
"""

from __future__ import annotations

import gzip
import re
import socket
import urllib.error
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import core.data as data
from core.data import DataError, load_dataset, subset

IDX_NAMES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# Published MNIST class counts (LeCun et al.), digits 0..9.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array: magic 00 00 08 ndim, big-endian dims, body."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


def write_file(path: Path, payload: bytes) -> Path:
    path.write_bytes(gzip.compress(payload, compresslevel=1) if path.suffix == ".gz" else payload)
    return path


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray], *, ext: str = ".gz") -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {key: write_file(folder / (IDX_NAMES[key] + ext), idx_bytes(a)) for key, a in arrays.items()}


def read_gz_idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="module")
def raw_mnist(mnist_dir) -> dict[str, np.ndarray]:
    """The four MNIST arrays read straight from the gzip files, without core.data."""
    return {key: read_gz_idx(mnist_dir / f"{name}.gz") for key, name in IDX_NAMES.items()}


@pytest.fixture
def small_arrays(raw_mnist) -> dict[str, np.ndarray]:
    """A real 200/50 slice of MNIST, still as 3-D images and 1-D labels."""
    return {
        "X_train": raw_mnist["X_train"][:200], "y_train": raw_mnist["y_train"][:200],
        "X_test": raw_mnist["X_test"][:50], "y_test": raw_mnist["y_test"][:50],
    }


@pytest.fixture
def no_mnist_env(monkeypatch):
    monkeypatch.delenv(data.MNIST_ENV, raising=False)
    monkeypatch.delenv(data.CACHE_ENV, raising=False)


def forbid_download(monkeypatch):
    def fail(data_home):
        raise AssertionError(f"unexpected download into {data_home}")

    monkeypatch.setattr(data, "fetch_openml_mnist", fail)


# --- MNIST from the shared folder -------------------------------------------------


def test_mnist_shapes_dtypes_and_metadata(mnist):
    assert mnist.X_train.shape == (60_000, 784) and mnist.X_test.shape == (10_000, 784)
    assert mnist.X_train.dtype == np.uint8 and mnist.X_test.dtype == np.uint8
    assert mnist.y_train.shape == (60_000,) and mnist.y_test.shape == (10_000,)
    assert mnist.y_train.dtype == np.int64 and mnist.y_test.dtype == np.int64
    assert set(np.unique(mnist.y_train)) == set(range(10)) == set(np.unique(mnist.y_test))
    assert (mnist.name, mnist.dataset_id, mnist.image_shape) == ("mnist", "mnist-784", (28, 28))
    assert mnist.class_names == tuple(str(d) for d in range(10)) and mnist.n_classes == 10
    assert mnist.images("test").shape == (10_000, 28, 28)


def test_mnist_content_matches_independent_read(mnist, raw_mnist):
    np.testing.assert_array_equal(mnist.images("train"), raw_mnist["X_train"])
    np.testing.assert_array_equal(mnist.images("test"), raw_mnist["X_test"])
    np.testing.assert_array_equal(mnist.y_train, raw_mnist["y_train"])
    np.testing.assert_array_equal(mnist.y_test, raw_mnist["y_test"])
    assert 0 < mnist.X_train.mean() < 255 and mnist.X_train.max() == 255


def test_mnist_class_counts(mnist, raw_mnist):
    train_counts = np.bincount(mnist.y_train, minlength=10)
    test_counts = np.bincount(mnist.y_test, minlength=10)
    np.testing.assert_array_equal(train_counts, np.bincount(raw_mnist["y_train"], minlength=10))
    np.testing.assert_array_equal(test_counts, np.bincount(raw_mnist["y_test"], minlength=10))
    assert train_counts.tolist() == MNIST_TRAIN_COUNTS
    assert test_counts.tolist() == MNIST_TEST_COUNTS


def test_mnist_content_hash_is_stable_and_content_keyed(mnist, mnist_dir, mnist_small):
    again = load_dataset("mnist", data_dir=mnist_dir)
    assert re.fullmatch(r"[0-9a-f]{64}", mnist.content_hash), "a SHA-256 hex digest"
    assert again.content_hash == mnist.content_hash
    assert mnist_small.content_hash != mnist.content_hash
    flipped = data.make_dataset(
        "mnist", X_train=mnist.X_train, y_train=mnist.y_train, X_test=mnist.X_test,
        y_test=np.roll(mnist.y_test, 1), image_shape=(28, 28),
        class_names=mnist.class_names, dataset_id=mnist.dataset_id,
    )
    assert flipped.content_hash != mnist.content_hash


def test_mnist_dir_env_is_used_without_data_dir(monkeypatch, tmp_path, mnist, mnist_dir):
    monkeypatch.setenv(data.MNIST_ENV, str(mnist_dir))
    forbid_download(monkeypatch)
    cache = tmp_path / "cache"
    loaded = load_dataset("mnist", cache_dir=cache)
    assert loaded.content_hash == mnist.content_hash
    assert not cache.exists()


def test_raw_idx_files_load_as_idx_and_as_mnist(tmp_path, mnist, mnist_dir):
    for name in IDX_NAMES.values():
        (tmp_path / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    as_idx = load_dataset("idx", data_dir=tmp_path)
    as_mnist = load_dataset("mnist", data_dir=tmp_path)
    assert (as_idx.name, as_idx.dataset_id) == ("idx", "idx-28x28-10")
    assert (as_mnist.name, as_mnist.dataset_id) == ("mnist", "mnist-784")
    assert as_idx.image_shape == as_mnist.image_shape == (28, 28)
    assert as_idx.class_names == as_mnist.class_names == mnist.class_names
    assert as_idx.content_hash == as_mnist.content_hash == mnist.content_hash


# --- malformed IDX files ------------------------------------------------------------


def corrupt_bad_magic(folder, files, arrays):
    path = files["X_train"]
    write_file(path, b"\x12\x34" + idx_bytes(arrays["X_train"])[2:])
    return path, "magic"


def corrupt_element_type(folder, files, arrays):
    path = files["y_test"]
    payload = bytearray(idx_bytes(arrays["y_test"]))
    payload[2] = 0x0D
    write_file(path, bytes(payload))
    return path, "element type 0x0d"


def corrupt_empty_file(folder, files, arrays):
    path = files["y_train"]
    path.write_bytes(b"")
    return path, "empty"


def corrupt_truncated_body(folder, files, arrays):
    path = files["X_test"]
    write_file(path, idx_bytes(arrays["X_test"])[:-100])
    return path, "truncated"


def corrupt_truncated_header(folder, files, arrays):
    path = files["X_test"]
    write_file(path, idx_bytes(arrays["X_test"])[:10])
    return path, "truncated"


def corrupt_count_mismatch(folder, files, arrays):
    path = files["y_train"]
    write_file(path, idx_bytes(arrays["y_train"][:-1]))
    return files["X_train"], "200 images but"


def corrupt_missing_file(folder, files, arrays):
    files["y_test"].unlink()
    return folder, "missing t10k-labels-idx1-ubyte"


def corrupt_gzip_truncated(folder, files, arrays):
    path = files["X_train"]
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    return path, "truncated"


def corrupt_gzip_deflate_stream(folder, files, arrays):
    path = files["X_train"]
    blob = bytearray(path.read_bytes())
    blob[20:28] = bytes(b ^ 0xFF for b in blob[20:28])
    path.write_bytes(bytes(blob))
    return path, "cannot read"


def corrupt_gzip_crc(folder, files, arrays):
    path = files["X_train"]
    blob = bytearray(path.read_bytes())
    blob[-8] ^= 0xFF
    path.write_bytes(bytes(blob))
    return path, "cannot read"


def corrupt_zero_images(folder, files, arrays):
    path = files["X_test"]
    with gzip.open(path, "wb") as fh:
        fh.write(idx_bytes(np.zeros((0, 28, 28), dtype=np.uint8)))
    return path, "0 images"


def corrupt_absurd_header(folder, files, arrays):
    path = files["X_train"]
    with gzip.open(path, "wb") as fh:
        fh.write(bytes([0, 0, 8, 3]) + (2**31 - 1).to_bytes(4, "big") + (60000).to_bytes(4, "big") * 2)
    return path, "more than the"


def corrupt_inflates_past_its_header(folder, files, arrays):
    path = files["X_train"]
    with gzip.open(path, "wb") as fh:
        fh.write(idx_bytes(arrays["X_train"]) + bytes(50_000_000))
    return path, "truncated, oversized or damaged"


def corrupt_not_gzip(folder, files, arrays):
    path = files["y_test"]
    path.write_bytes(idx_bytes(arrays["y_test"]))
    return path, "cannot read"


@pytest.mark.parametrize(
    "corrupt",
    [
        corrupt_bad_magic, corrupt_element_type, corrupt_empty_file, corrupt_truncated_body,
        corrupt_truncated_header, corrupt_count_mismatch, corrupt_missing_file,
        corrupt_gzip_truncated, corrupt_gzip_deflate_stream, corrupt_gzip_crc, corrupt_not_gzip,
        corrupt_zero_images, corrupt_absurd_header, corrupt_inflates_past_its_header,
    ],
)
def test_malformed_idx_raises_data_error_naming_file_and_problem(tmp_path, small_arrays, corrupt):
    folder = tmp_path / "idx"
    files = write_idx_folder(folder, small_arrays)
    assert load_dataset("idx", data_dir=folder).X_train.shape == (200, 784)
    culprit, problem = corrupt(folder, files, small_arrays)
    with pytest.raises(DataError) as info:
        load_dataset("idx", data_dir=folder)
    message = str(info.value)
    assert str(culprit) in message
    assert problem in message


def test_data_dir_that_is_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="is not a folder"):
        load_dataset("mnist", data_dir=tmp_path / "nowhere")


# --- idx folders of other shapes and label sets ---------------------------------


def test_idx_folder_with_8x8_images_and_labels_3_5_7(tmp_path):
    bunch = load_digits()
    keep = np.isin(bunch.target, [3, 5, 7])
    images = np.rint(bunch.images[keep] * (255 / 16)).astype(np.uint8)
    labels = bunch.target[keep].astype(np.uint8)
    n_train = 400
    arrays = {
        "X_train": images[:n_train], "y_train": labels[:n_train],
        "X_test": images[n_train:], "y_test": labels[n_train:],
    }
    write_idx_folder(tmp_path, arrays, ext="")
    ds = load_dataset("idx", data_dir=tmp_path)
    assert ds.image_shape == (8, 8)
    assert ds.X_train.shape == (n_train, 64) and ds.X_test.shape == (len(labels) - n_train, 64)
    assert ds.class_names == ("3", "5", "7") and ds.n_classes == 3
    assert ds.dataset_id == "idx-8x8-3"
    np.testing.assert_array_equal(ds.images("train"), arrays["X_train"])
    np.testing.assert_array_equal(ds.images("test"), arrays["X_test"])
    code = {3: 0, 5: 1, 7: 2}
    np.testing.assert_array_equal(ds.y_train, [code[v] for v in arrays["y_train"]])
    np.testing.assert_array_equal(ds.y_test, [code[v] for v in arrays["y_test"]])
    assert ds.y_train.dtype == np.int64
    names = np.array(ds.class_names)
    np.testing.assert_array_equal(names[ds.y_test].astype(int), arrays["y_test"])


def test_idx_folder_with_train_and_test_images_of_different_size(tmp_path, small_arrays):
    arrays = dict(small_arrays, X_test=small_arrays["X_test"][:, :20, :20])
    write_idx_folder(tmp_path, arrays)
    with pytest.raises(DataError, match="differ in size"):
        load_dataset("idx", data_dir=tmp_path)


# --- OpenML download and cache ------------------------------------------------------


def test_openml_failure_reports_offline_options_and_leaves_nothing(monkeypatch, tmp_path, no_mnist_env):
    homes = []

    def offline(data_home):
        homes.append(Path(data_home))
        Path(data_home).mkdir(parents=True)
        (Path(data_home) / "partial.arff").write_bytes(b"@relation mnist_784")
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "fetch_openml_mnist", offline)
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        load_dataset("mnist", cache_dir=cache)
    message = str(info.value)
    assert "OpenML" in message and "MNIST_DIR" in message and "digits" in message
    assert len(homes) == 1 and cache in homes[0].parents
    assert list(cache.rglob("*")) == []


def test_openml_wrong_shape_is_rejected_and_not_cached(monkeypatch, tmp_path, no_mnist_env, small_arrays):
    X = small_arrays["X_train"].reshape(200, -1).astype(np.float64)
    y = small_arrays["y_train"].astype(str).astype(object)
    monkeypatch.setattr(data, "fetch_openml_mnist", lambda data_home: (X, y))
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"\(200, 784\)"):
        load_dataset("mnist", cache_dir=cache)
    assert list(cache.rglob("*")) == []


def test_openml_download_equals_idx_and_is_cached(monkeypatch, tmp_path, no_mnist_env, mnist):
    calls = []

    def from_local_copy(data_home):
        calls.append(data_home)
        X = np.concatenate([mnist.X_train, mnist.X_test]).astype(np.float64)
        y = np.concatenate([mnist.y_train, mnist.y_test]).astype(str).astype(object)
        assert y[0] == "5" and isinstance(y[0], str)
        return X, y

    monkeypatch.setattr(data, "fetch_openml_mnist", from_local_copy)
    cache = tmp_path / "cache"
    downloaded = load_dataset("mnist", cache_dir=cache)
    assert len(calls) == 1
    assert [p.name for p in cache.iterdir()] == ["mnist_784.npz"]
    assert (downloaded.name, downloaded.dataset_id, downloaded.image_shape) == ("mnist", "mnist-784", (28, 28))
    assert downloaded.y_train.dtype == np.int64 and downloaded.X_train.dtype == np.uint8
    assert downloaded.content_hash == mnist.content_hash

    forbid_download(monkeypatch)
    cached = load_dataset("mnist", cache_dir=cache)
    assert cached.content_hash == mnist.content_hash


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_cache_file_says_delete_it(monkeypatch, tmp_path, no_mnist_env, small_arrays, damage):
    forbid_download(monkeypatch)
    cached = tmp_path / "mnist_784.npz"
    if damage == "garbage":
        cached.write_bytes(b"this is not an npz archive" * 10)
    else:
        np.savez_compressed(cached, X=small_arrays["X_train"].reshape(200, -1), y=small_arrays["y_train"])
        blob = cached.read_bytes()
        cached.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError) as info:
        load_dataset("mnist", cache_dir=tmp_path)
    message = str(info.value)
    assert str(cached) in message and "delete it" in message


def test_default_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv(data.CACHE_ENV)
    assert data.default_cache_dir() == Path.home() / ".cache" / "digit-lens"


# --- digits -------------------------------------------------------------------------


def test_digits_loads_offline_as_0_255_uint8(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("digits must not open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    ds = load_dataset("digits")
    bunch = load_digits()
    assert (ds.name, ds.dataset_id, ds.image_shape, ds.n_classes) == ("digits", "digits-8x8", (8, 8), 10)
    assert ds.X_train.dtype == np.uint8 and ds.X_train.shape[1] == 64
    assert len(ds.y_train) + len(ds.y_test) == len(bunch.target)
    X = np.concatenate([ds.X_train, ds.X_test])
    assert X.min() == 0 and X.max() == 255
    expected = np.rint(bunch.data * (255 / 16)).astype(np.uint8)
    rows = Counter(zip(map(bytes, X), np.concatenate([ds.y_train, ds.y_test]).tolist()))
    assert rows == Counter(zip(map(bytes, expected), bunch.target.tolist()))


def test_digits_split_is_fixed_and_stratified(digits):
    again = load_dataset("digits")
    assert again.content_hash == digits.content_hash
    np.testing.assert_array_equal(again.X_test, digits.X_test)
    assert len(digits.y_test) == 450
    overall = np.bincount(load_digits().target) / len(load_digits().target)
    for y in (digits.y_train, digits.y_test):
        np.testing.assert_allclose(np.bincount(y, minlength=10) / len(y), overall, atol=0.005)


# --- subset -------------------------------------------------------------------------


def test_subset_is_stratified_and_made_of_parent_rows(mnist):
    small = subset(mnist, train_size=1000, test_size=200, seed=3)
    assert small.X_train.shape == (1000, 784) and small.X_test.shape == (200, 784)
    assert (small.name, small.dataset_id, small.image_shape, small.class_names) == (
        mnist.name, mnist.dataset_id, mnist.image_shape, mnist.class_names,
    )
    for part, parent_y, size in ((small.y_train, mnist.y_train, 1000), (small.y_test, mnist.y_test, 200)):
        expected = np.bincount(parent_y, minlength=10) / len(parent_y) * size
        assert np.abs(np.bincount(part, minlength=10) - expected).max() <= 1
    for X, y, parent_X, parent_y in (
        (small.X_train, small.y_train, mnist.X_train, mnist.y_train),
        (small.X_test, small.y_test, mnist.X_test, mnist.y_test),
    ):
        parent = {}
        for row, label in zip(map(bytes, parent_X), parent_y.tolist()):
            parent.setdefault(row, set()).add(label)
        assert all(label in parent.get(row, ()) for row, label in zip(map(bytes, X), y.tolist()))
        assert len(set(map(bytes, X))) > 0.99 * len(X)


def test_subset_seed_and_defaults(digits):
    a = subset(digits, train_size=300, seed=0)
    assert subset(digits, train_size=300, seed=0).content_hash == a.content_hash
    assert subset(digits, train_size=300, seed=1).content_hash != a.content_hash
    np.testing.assert_array_equal(a.X_test, digits.X_test)
    whole = subset(digits, train_size=len(digits.y_train) + 10)
    assert whole.content_hash == digits.content_hash


# --- bad names ----------------------------------------------------------------------


def test_unknown_dataset_name():
    with pytest.raises(DataError, match="unknown dataset 'fashion'.*mnist, digits, idx"):
        load_dataset("fashion")


def test_idx_without_data_dir():
    with pytest.raises(DataError, match="needs --data-dir"):
        load_dataset("idx")
