"""Datasets: MNIST (IDX folder, local cache or OpenML), scikit-learn's digits, any IDX folder.

Every source returns the same :class:`Dataset`: pixel rows as uint8 on the
0-255 scale, integer labels ``0..n_classes-1``, the image shape and a content
hash that keys the artifacts built from it.

Examples
--------
>>> from core.data import load_dataset
>>> ds = load_dataset("digits")
>>> ds.X_train.shape[1], ds.image_shape, ds.n_classes
(64, (8, 8), 10)
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATASETS = ("mnist", "digits", "idx")
MNIST_ENV = "MNIST_DIR"
CACHE_ENV = "DIGIT_LENS_CACHE"
MNIST_TRAIN_SIZE = 60_000
_IDX_PARTS = {
    "X_train": ("train", "images", 3),
    "y_train": ("train", "labels", 1),
    "X_test": ("t10k", "images", 3),
    "y_test": ("t10k", "labels", 1),
}
_OFFLINE_HINT = (
    f"Set {MNIST_ENV} (or pass --data-dir) to a folder holding the four MNIST IDX files, "
    "or use the bundled offline dataset with --dataset digits."
)
_REPLACE = "Replace it with a good copy of the file."
#: The largest IDX body read (EMNIST's largest split is ~550 MB); a header claiming more is refused unread.
MAX_IDX_BYTES = 2**31


class DataError(Exception):
    """A dataset could not be read; the message says what to do next."""


@dataclass(frozen=True)
class Dataset:
    """Train and test pixel rows with labels, as every loader returns them.

    Attributes
    ----------
    name : {"mnist", "digits", "idx"}
    X_train, X_test : ndarray of uint8, shape (n, height * width), values 0-255
    y_train, y_test : ndarray of int64, values ``0..n_classes-1``
    image_shape : (height, width)
    class_names : label text per class index
    dataset_id : stable name of the source, e.g. ``"mnist-784"``
    content_hash : SHA-256 over the four arrays
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    dataset_id: str
    content_hash: str

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def images(self, split: str) -> np.ndarray:
        """Rows of ``split`` ("train" or "test") reshaped to ``(n, height, width)``."""
        X = {"train": self.X_train, "test": self.X_test}[split]
        return X.reshape(-1, *self.image_shape)


def make_dataset(name, *, X_train, y_train, X_test, y_test, image_shape, class_names, dataset_id):
    """Assemble a :class:`Dataset`, checking dtypes and shapes and computing its hash."""
    arrays = [np.ascontiguousarray(a) for a in (X_train, y_train, X_test, y_test)]
    X_train, y_train, X_test, y_test = arrays
    n_pixels = int(np.prod(image_shape))
    for X, y in ((X_train, y_train), (X_test, y_test)):
        if X.dtype != np.uint8 or X.ndim != 2 or X.shape[1] != n_pixels:
            raise DataError(f"pixel rows must be uint8 of width {n_pixels}, got {X.dtype} {X.shape}")
        if len(X) != len(y):
            raise DataError(f"{len(X)} images but {len(y)} labels")
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    return Dataset(
        name=name, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        image_shape=tuple(int(s) for s in image_shape), class_names=tuple(class_names),
        dataset_id=dataset_id, content_hash=_hash_arrays(X_train, y_train, X_test, y_test),
    )


def _hash_arrays(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()


def load_dataset(name: str = "digits", *, data_dir=None, cache_dir=None) -> Dataset:
    """Load ``name`` ("mnist", "digits" or "idx").

    ``mnist`` reads ``data_dir``, else ``$MNIST_DIR``, else the local cache, else
    downloads ``mnist_784`` from OpenML into the cache. ``idx`` reads any folder
    of four IDX files named like MNIST's. ``digits`` is scikit-learn's bundled
    8x8 set with a fixed stratified split and needs no files.
    """
    if name == "digits":
        return load_digits_dataset()
    if name == "mnist":
        return load_mnist(data_dir=data_dir, cache_dir=cache_dir)
    if name == "idx":
        if data_dir is None:
            raise DataError("--dataset idx needs --data-dir: a folder with the four IDX files.")
        return load_idx_folder(data_dir, name="idx")
    raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")


def load_digits_dataset(*, test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 digits, rescaled from 0-16 to 0-255, split stratified."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = np.rint(bunch.data * (255 / 16)).astype(np.uint8)
    X_train, X_test, y_train, y_test = train_test_split(
        X, bunch.target, test_size=test_fraction, stratify=bunch.target, random_state=seed
    )
    return make_dataset(
        "digits", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        image_shape=(8, 8), class_names=[str(c) for c in range(10)], dataset_id="digits-8x8",
    )


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or gzip) of unsigned bytes, checking header and length.

    Raises
    ------
    DataError
        Naming the file and the problem: unreadable, bad magic number,
        unsupported element type or a body shorter or longer than the header says.
    """
    path = Path(path)
    gzipped = path.suffix == ".gz"
    try:
        with (gzip.open if gzipped else open)(path, "rb") as fh:
            start = fh.read(4)
            if len(start) < 4 or start[0] != 0 or start[1] != 0:
                raise DataError(f"{path}: not an IDX file (bad magic number {start.hex() or 'empty'}). {_REPLACE}")
            if start[2] != 0x08:
                raise DataError(f"{path}: IDX element type 0x{start[2]:02x} is not supported (need 0x08, unsigned "
                                f"bytes). {_REPLACE}")
            ndim = start[3]
            sizes = fh.read(4 * ndim)
            if ndim == 0 or len(sizes) < 4 * ndim:
                raise DataError(f"{path}: truncated IDX header. {_REPLACE}")
            dims = tuple(int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim))
            expected = math.prod(dims)
            _check_idx_size(path, dims, expected, header=4 + 4 * ndim, gzipped=gzipped)
            body = fh.read(expected + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read the file ({exc}); replace it with a good copy.") from exc
    if len(body) != expected:
        raise DataError(
            f"{path}: truncated or oversized body: header says {dims} = {expected} bytes, file has "
            f"{'more' if len(body) > expected else len(body)}. {_REPLACE}"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _check_idx_size(path: Path, dims: tuple[int, ...], expected: int, *, header: int, gzipped: bool) -> None:
    """Refuse an IDX header that cannot be right before its body is read or inflated: no images, more than
    :data:`MAX_IDX_BYTES`, or a size that disagrees with the file (raw) or gzip's length trailer."""
    if dims[0] == 0:
        raise DataError(f"{path}: the header says the file holds 0 images. {_REPLACE}")
    if expected > MAX_IDX_BYTES:
        raise DataError(f"{path}: the header says {dims} = {expected:,} bytes, more than the "
                        f"{MAX_IDX_BYTES:,} this reader accepts. {_REPLACE}")
    if gzipped:
        with open(path, "rb") as raw:
            raw.seek(-4, os.SEEK_END)
            inflated = int.from_bytes(raw.read(4), "little")
        if inflated != (header + expected) % 2**32:
            raise DataError(f"{path}: truncated, oversized or damaged: the header says {dims} = {expected:,} bytes, "
                            f"but the gzip file inflates to {inflated:,} bytes (modulo 4 GiB). {_REPLACE}")
    elif (size := path.stat().st_size) != header + expected:
        raise DataError(f"{path}: truncated or oversized body: header says {dims} = {expected:,} bytes, file has "
                        f"{size - header:,}. {_REPLACE}")


def find_idx_files(folder) -> dict[str, Path]:
    """Locate the four IDX files in ``folder`` (``train-images-idx3-ubyte[.gz]`` and kin)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; name a folder that holds the four IDX files.")
    found, missing = {}, []
    for key, (split, kind, ndim) in _IDX_PARTS.items():
        stems = [f"{split}-{kind}-idx{ndim}-ubyte", f"{split}-{kind}.idx{ndim}-ubyte"]
        candidates = [folder / (s + ext) for s in stems for ext in ("", ".gz")]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(f"{stems[0]}[.gz]")
        else:
            found[key] = hit
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)}. Put the files there, or name the folder that holds "
                        "them with --data-dir.")
    return found


def load_idx_folder(folder, *, name: str = "idx", dataset_id: str | None = None) -> Dataset:
    """Read a folder of four IDX files; image shape comes from the headers.

    Labels are mapped to ``0..K-1`` in sorted order; ``class_names`` keeps the
    original values.
    """
    files = find_idx_files(folder)
    arrays = {key: read_idx(path) for key, path in files.items()}
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if X.ndim != 3 or y.ndim != 1:
            raise DataError(f"{files[f'X_{split}']}: expected 3-D images and 1-D labels; check which file is which.")
        if len(X) != len(y):
            raise DataError(
                f"{files[f'X_{split}']} has {len(X)} images but {files[f'y_{split}']} has {len(y)} labels; "
                "use the labels file that belongs to these images."
            )
    if arrays["X_train"].shape[1:] != arrays["X_test"].shape[1:]:
        raise DataError(f"{folder}: train and test images differ in size; both splits must come from one dataset.")
    labels = np.union1d(arrays["y_train"], arrays["y_test"])
    shape = arrays["X_train"].shape[1:]
    return make_dataset(
        name,
        X_train=arrays["X_train"].reshape(len(arrays["X_train"]), -1),
        y_train=np.searchsorted(labels, arrays["y_train"]),
        X_test=arrays["X_test"].reshape(len(arrays["X_test"]), -1),
        y_test=np.searchsorted(labels, arrays["y_test"]),
        image_shape=shape,
        class_names=[str(v) for v in labels],
        dataset_id=dataset_id or f"idx-{shape[0]}x{shape[1]}-{len(labels)}",
    )


def default_cache_dir() -> Path:
    """``$DIGIT_LENS_CACHE``, else ``~/.cache/digit-lens``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "digit-lens")


def load_mnist(*, data_dir=None, cache_dir=None) -> Dataset:
    """MNIST from ``data_dir``, ``$MNIST_DIR``, the cache, or OpenML (in that order)."""
    folder = data_dir or os.environ.get(MNIST_ENV)
    if folder:
        return load_idx_folder(folder, name="mnist", dataset_id="mnist-784")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    cached = cache / "mnist_784.npz"
    if not cached.is_file():
        _download_mnist(cached)
    try:
        with np.load(cached) as npz:
            X, y = npz["X"], npz["y"]
    except Exception as exc:  # a damaged cache file of any kind
        raise DataError(f"{cached}: the cached MNIST is unreadable ({exc}); delete it to download again.") from exc
    return _mnist_from_rows(X, y)


def _mnist_from_rows(X: np.ndarray, y: np.ndarray) -> Dataset:
    n = MNIST_TRAIN_SIZE
    return make_dataset(
        "mnist", X_train=X[:n], y_train=y[:n], X_test=X[n:], y_test=y[n:],
        image_shape=(28, 28), class_names=[str(c) for c in range(10)], dataset_id="mnist-784",
    )


def fetch_openml_mnist(data_home: Path) -> tuple[np.ndarray, np.ndarray]:
    """Download ``mnist_784`` from OpenML; returns raw rows and labels as OpenML gives them."""
    from sklearn.datasets import fetch_openml

    bunch = fetch_openml("mnist_784", version=1, as_frame=False, data_home=str(data_home), parser="liac-arff")
    return bunch.data, bunch.target


def _download_mnist(target: Path) -> None:
    """Fetch MNIST into ``target`` atomically: a failure leaves no file behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".mnist-download-", dir=target.parent))
    try:
        try:
            X, y = fetch_openml_mnist(workdir / "openml")
        except Exception as exc:  # urllib, http and parser errors all mean "not downloaded"
            raise DataError(f"Could not download MNIST from OpenML ({exc}). {_OFFLINE_HINT}") from exc
        X = np.asarray(X)
        if X.shape != (70_000, 784):
            raise DataError(f"OpenML returned MNIST of shape {X.shape}, expected (70000, 784). {_OFFLINE_HINT}")
        partial = workdir / "mnist_784.npz"
        np.savez_compressed(partial, X=X.astype(np.uint8), y=np.asarray(y).astype(np.int64))
        os.replace(partial, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def subset(dataset: Dataset, *, train_size: int | None = None, test_size: int | None = None, seed: int = 0) -> Dataset:
    """A stratified subset of the training (and optionally test) rows.

    Examples
    --------
    >>> small = subset(load_dataset("digits"), train_size=500, seed=0)
    >>> len(small.y_train)
    500
    """
    def pick(X, y, size):
        if size is None or size >= len(y):
            return X, y
        from sklearn.model_selection import train_test_split

        idx, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=seed)
        idx = np.sort(idx)
        return X[idx], y[idx]

    X_train, y_train = pick(dataset.X_train, dataset.y_train, train_size)
    X_test, y_test = pick(dataset.X_test, dataset.y_test, test_size)
    return make_dataset(
        dataset.name, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        image_shape=dataset.image_shape, class_names=dataset.class_names, dataset_id=dataset.dataset_id,
    )


__all__ = [
    "DATASETS", "DataError", "Dataset", "default_cache_dir", "fetch_openml_mnist", "find_idx_files",
    "load_dataset", "load_digits_dataset", "load_idx_folder", "load_mnist", "make_dataset", "read_idx",
    "subset",
]
