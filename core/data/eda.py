"""Dataset summaries computed once by the build and drawn by the dashboard.

:func:`summarise` bundles everything into a :class:`DataSummary`, which turns
into plain numpy arrays (:meth:`DataSummary.to_arrays`, no pickle) for
``np.savez_compressed`` and back (:meth:`DataSummary.from_arrays`).

Examples
--------
>>> from core.data import load_dataset
>>> summary = summarise(load_dataset("digits"), per_class=5)
>>> summary.mean_images.shape, summary.sample_images.shape
((10, 8, 8), (10, 5, 8, 8))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.preprocess import slant

INK_COLUMNS = ("ink", "bbox_height", "bbox_width", "slant")
PREFIX = "eda_"
_CHUNK = 4096


def _check_labels(y, n_classes) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}.")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}, found {y.min()}..{y.max()}; check n_classes."
        )
    return y


def class_counts(y, *, n_classes) -> np.ndarray:
    """Number of rows per class, shape (n_classes,) int64."""
    return np.bincount(_check_labels(y, n_classes), minlength=n_classes).astype(np.int64)


def class_images(X, y, *, image_shape, n_classes) -> tuple[np.ndarray, np.ndarray]:
    """Per-class mean and variance images.

    Parameters
    ----------
    X : array of shape (n, h*w)
        Pixel rows.
    y : array of int, shape (n,)
    image_shape : (h, w)
    n_classes : int

    Returns
    -------
    mean, var : np.ndarray of float32, shape (n_classes, h, w)
        In the pixel scale of ``X``; population variance (``ddof=0``).
        A class without rows gets zero images.
    """
    y = _check_labels(y, n_classes)
    mean = np.zeros((n_classes, *image_shape), dtype=np.float32)
    var = np.zeros_like(mean)
    for k in range(n_classes):
        rows = np.asarray(X[y == k], dtype=np.float64)
        if rows.size:
            mean[k] = rows.mean(axis=0).reshape(image_shape)
            var[k] = rows.var(axis=0).reshape(image_shape)
    return mean, var


def sample_indices(y, *, per_class, seed, n_classes=None) -> np.ndarray:
    """Random row indices per class, without replacement.

    Parameters
    ----------
    y : array of int, shape (n,)
    per_class : int
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the same rows.
    n_classes : int, optional
        Defaults to the largest label plus one.

    Returns
    -------
    np.ndarray of int64, shape (n_classes, per_class)
        Row ``k`` holds indices of class ``k``; a class with fewer than
        ``per_class`` rows is padded at the end with ``-1``.
    """
    y = np.asarray(y)
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    y = _check_labels(y, n_classes)
    rng = np.random.default_rng(seed)
    picked = np.full((n_classes, per_class), -1, dtype=np.int64)
    for k in range(n_classes):
        rows = np.flatnonzero(y == k)
        take = min(per_class, rows.size)
        picked[k, :take] = rng.choice(rows, size=take, replace=False)
    return picked


def _ink_chunk(images: np.ndarray) -> dict[str, np.ndarray]:
    height, width = images.shape[1:]
    on = images > 0
    rows, cols = on.any(axis=2), on.any(axis=1)
    blank = ~rows.any(axis=1)

    def extent(mask, size):
        first = mask.argmax(axis=1)
        last = size - 1 - mask[:, ::-1].argmax(axis=1)
        return np.where(blank, 0, last - first + 1)

    return {
        "ink": images.sum(axis=(1, 2), dtype=np.int64) / 255.0,
        "bbox_height": extent(rows, height),
        "bbox_width": extent(cols, width),
        "slant": slant(images),
    }


def ink_stats(X, *, image_shape) -> pd.DataFrame:
    """Ink, bounding box and slant of every image.

    Parameters
    ----------
    X : array of uint8, shape (n, h*w)
        Pixel rows, 0-255.
    image_shape : (h, w)

    Returns
    -------
    pd.DataFrame
        One row per image with columns ``ink`` (sum of pixels / 255, float32),
        ``bbox_height`` and ``bbox_width`` (rows/columns spanned by non-zero
        pixels, 0 for a blank image, int16) and ``slant`` (moment ratio
        ``mu11 / mu02`` as :func:`core.data.preprocess.slant`, float32).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(
            f"X must be rows of {image_shape[0]}*{image_shape[1]} pixels, got {X.shape}; "
            "check image_shape."
        )
    parts = [_ink_chunk(X[i:i + _CHUNK].reshape(-1, *image_shape))
             for i in range(0, len(X), _CHUNK)] or [_ink_chunk(X.reshape(0, *image_shape))]
    dtypes = {"ink": np.float32, "bbox_height": np.int16, "bbox_width": np.int16,
              "slant": np.float32}
    return pd.DataFrame({
        name: np.concatenate([part[name] for part in parts]).astype(dtypes[name])
        for name in INK_COLUMNS
    })


def ink_by_class(ink: pd.DataFrame, *, n_classes) -> pd.DataFrame:
    """Mean and standard deviation (``ddof=0``) of each ink statistic per class.

    Parameters
    ----------
    ink : pd.DataFrame
        :func:`ink_stats` output with an added ``label`` column.
    n_classes : int

    Returns
    -------
    pd.DataFrame
        Indexed by ``label`` 0..n_classes-1, columns ``count`` and
        ``<stat>_mean`` / ``<stat>_std`` for each of ``ink``, ``bbox_height``,
        ``bbox_width``, ``slant``; NaN for a class without rows.
    """
    groups = ink.groupby("label")[list(INK_COLUMNS)]
    means, stds = groups.mean(), groups.std(ddof=0)
    table = pd.DataFrame({"count": groups.size()})
    for name in INK_COLUMNS:
        table[f"{name}_mean"] = means[name]
        table[f"{name}_std"] = stds[name]
    table = table.reindex(pd.RangeIndex(n_classes, name="label"))
    table["count"] = table["count"].fillna(0).astype(np.int64)
    return table


@dataclass(frozen=True, eq=False)
class DataSummary:
    """Everything the dashboard's data page draws, computed from the training split.

    Attributes
    ----------
    class_names : tuple of str
    image_shape : (h, w)
    train_counts, test_counts : np.ndarray of int64, shape (n_classes,)
    mean_images, var_images : np.ndarray of float32, shape (n_classes, h, w)
        Per-class training mean and variance, pixel scale 0-255.
    sample_indices : np.ndarray of int64, shape (n_classes, per_class)
        Training rows shown per class, ``-1`` padded (see :func:`sample_indices`).
    sample_images : np.ndarray of uint8, shape (n_classes, per_class, h, w)
        Those images; all zero where the index is ``-1``.
    ink : pd.DataFrame
        :func:`ink_stats` of the training rows plus their ``label``.
    ink_by_class : pd.DataFrame
        :func:`ink_by_class` of ``ink``.
    """

    class_names: tuple[str, ...]
    image_shape: tuple[int, int]
    train_counts: np.ndarray
    test_counts: np.ndarray
    mean_images: np.ndarray
    var_images: np.ndarray
    sample_indices: np.ndarray
    sample_images: np.ndarray
    ink: pd.DataFrame
    ink_by_class: pd.DataFrame

    _ARRAYS = ("train_counts", "test_counts", "mean_images", "var_images",
               "sample_indices", "sample_images")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays keyed ``eda_*``, ready for ``np.savez_compressed`` (no pickle needed)."""
        arrays = {f"{PREFIX}{name}": getattr(self, name) for name in self._ARRAYS}
        arrays[f"{PREFIX}class_names"] = np.asarray(self.class_names, dtype=str)
        arrays[f"{PREFIX}image_shape"] = np.asarray(self.image_shape, dtype=np.int64)
        for column in ("label", *INK_COLUMNS):
            arrays[f"{PREFIX}ink_{column}"] = self.ink[column].to_numpy()
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> DataSummary:
        """Rebuild from :meth:`to_arrays` output or an opened ``.npz`` holding it.

        Keys without the ``eda_`` prefix are ignored, so the summary can share
        a file with other arrays.
        """
        def get(name):
            key = f"{PREFIX}{name}"
            if key not in arrays:
                raise KeyError(
                    f"{key!r} is missing, so these arrays hold no data summary; "
                    "rebuild the artifacts with `python -m core build`."
                )
            return np.asarray(arrays[key])

        class_names = tuple(str(name) for name in get("class_names"))
        ink = pd.DataFrame({column: get(f"ink_{column}") for column in ("label", *INK_COLUMNS)})
        return cls(
            class_names=class_names,
            image_shape=tuple(int(s) for s in get("image_shape")),
            **{name: get(name) for name in cls._ARRAYS},
            ink=ink,
            ink_by_class=ink_by_class(ink, n_classes=len(class_names)),
        )


def summarise(dataset, *, per_class=10, seed=0) -> DataSummary:
    """Summarise a dataset for the dashboard.

    Parameters
    ----------
    dataset : core.data.Dataset or any object with ``X_train``, ``y_train``,
        ``X_test``, ``y_test``, ``image_shape`` and ``class_names``
    per_class : int
        Sample images kept per class.
    seed : int
        Seed for choosing the sample images.

    Returns
    -------
    DataSummary
    """
    n_classes = len(dataset.class_names)
    image_shape = tuple(int(s) for s in dataset.image_shape)
    X, y = dataset.X_train, dataset.y_train
    mean, var = class_images(X, y, image_shape=image_shape, n_classes=n_classes)
    picked = sample_indices(y, per_class=per_class, seed=seed, n_classes=n_classes)
    samples = np.where((picked >= 0)[..., None], X[np.maximum(picked, 0)], 0)
    ink = ink_stats(X, image_shape=image_shape)
    ink.insert(0, "label", np.asarray(y, dtype=np.int64))
    return DataSummary(
        class_names=tuple(str(name) for name in dataset.class_names),
        image_shape=image_shape,
        train_counts=class_counts(y, n_classes=n_classes),
        test_counts=class_counts(dataset.y_test, n_classes=n_classes),
        mean_images=mean,
        var_images=var,
        sample_indices=picked,
        sample_images=samples.astype(np.uint8).reshape(n_classes, per_class, *image_shape),
        ink=ink,
        ink_by_class=ink_by_class(ink, n_classes=n_classes),
    )
