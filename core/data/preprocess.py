"""Pixel transformers for raw image rows.

Every transformer takes raw pixel rows ``(n, height * width)`` on the 0-255
scale, is a picklable scikit-learn estimator and takes ``image_shape`` as a
constructor parameter, so the same code serves 28x28 MNIST and 8x8 digits.

Examples
--------
>>> import numpy as np
>>> from sklearn.pipeline import make_pipeline
>>> X = np.zeros((2, 784), dtype=np.uint8)
>>> make_pipeline(Deskew(), PixelScaler()).fit_transform(X).dtype
dtype('float32')
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, TransformerMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

_DESKEW_CHUNK = 4096


def check_image_rows(estimator, X, *, reset: bool, dtype=None) -> np.ndarray:
    """Validate 2-D numeric rows (of ``dtype``, if given) whose width matches ``estimator.image_shape``."""
    X = validate_data(estimator, X, reset=reset, dtype=dtype, ensure_min_features=1)
    height, width = estimator.image_shape
    if X.shape[1] != height * width:
        raise ValueError(
            f"Expected rows of {height * width} pixels for image_shape={(height, width)}, "
            f"got {X.shape[1]} features. Pass image_shape matching the data, e.g. (8, 8) for digits."
        )
    return X


class PixelScaler(TransformerMixin, BaseEstimator):
    """Scale raw 0-255 pixel rows to float32 in [0, 1].

    Examples
    --------
    >>> PixelScaler().fit_transform(np.array([[0, 51, 255]]))
    array([[0. , 0.2, 1. ]], dtype=float32)
    """

    def fit(self, X, y=None):
        """Check the rows and record ``n_features_in_``."""
        self._validate(X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Return ``X / 255`` as float32."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return (X / np.float32(255)).astype(np.float32, copy=False)

    def _validate(self, X, *, reset: bool) -> np.ndarray:
        X = validate_data(self, X, reset=reset, dtype=[np.float32, np.float64])
        if X.size and X.min() < 0:
            raise ValueError(
                "PixelScaler expects raw pixel values on the 0-255 scale, but got negative values; "
                "pass the unscaled pixel rows."
            )
        return X


def _as_stack(images, image_shape) -> np.ndarray:
    """Turn ``(n, h, w)`` images or ``(n, h*w)`` rows (with ``image_shape``) into float64 ``(n, h, w)``."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        return images
    if images.ndim == 2 and image_shape is not None:
        return images.reshape(len(images), *image_shape)
    raise ValueError(
        f"Expected images of shape (n, height, width), or rows (n, height*width) with image_shape, "
        f"got shape {images.shape}."
    )


def _moments(stack: np.ndarray, centre: tuple[float, float]):
    """Centre of mass ``(cy, cx)`` and slant ``mu11 / mu02`` per image; blank images get ``centre`` and 0."""
    height, width = stack.shape[1:]
    rows, cols = np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64)
    mass = stack.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1.0)
    row_mass, col_mass = stack.sum(axis=2), stack.sum(axis=1)
    cy = np.where(mass > 0, row_mass @ rows / safe, centre[0])
    cx = np.where(mass > 0, col_mass @ cols / safe, centre[1])
    dy = rows[None, :] - cy[:, None]
    dx = cols[None, :] - cx[:, None]
    mu02 = (row_mass * dy**2).sum(axis=1) / safe
    mu11 = np.einsum("nhw,nh,nw->n", stack, dy, dx) / safe
    alpha = np.divide(mu11, mu02, out=np.zeros_like(mu11), where=mu02 > 1e-12)
    return cy, cx, alpha


def slant(images, *, image_shape=None) -> np.ndarray:
    """Measured slant ``mu11 / mu02`` per image: columns moved per row, 0 for an upright digit.

    Parameters
    ----------
    images : array of shape (n, height, width), or rows (n, height*width) with ``image_shape``
    image_shape : (height, width), needed only for rows

    Returns
    -------
    ndarray of float64, shape (n,); 0 for blank images.
    """
    stack = _as_stack(images, image_shape)
    return _moments(stack, (0.0, 0.0))[2]


def _bilinear_shear(stack: np.ndarray) -> np.ndarray:
    """Deskew a float ``(n, h, w)`` stack: move the centre of mass to ``(h/2, w/2)`` and undo the slant."""
    n, height, width = stack.shape
    oy, ox = height / 2.0, width / 2.0
    cy, cx, alpha = _moments(stack, (oy, ox))
    offsets = np.arange(height) - oy
    src_r = cy[:, None] + offsets[None, :]
    src_c = (cx[:, None] + alpha[:, None] * offsets[None, :])[:, :, None] + (np.arange(width) - ox)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = (src_r - r0)[:, :, None], src_c - c0
    padded = np.pad(stack, ((0, 0), (1, 1), (1, 1))).reshape(n, -1)
    r0 = r0.astype(np.intp)[:, :, None]
    c0 = c0.astype(np.intp)

    def tap(dr: int, dc: int) -> np.ndarray:
        r = np.clip(r0 + dr, -1, height) + 1
        c = np.clip(c0 + dc, -1, width) + 1
        return np.take_along_axis(padded, (r * (width + 2) + c).reshape(n, -1), axis=1).reshape(n, height, width)

    top = tap(0, 0) * (1 - fc) + tap(0, 1) * fc
    bottom = tap(1, 0) * (1 - fc) + tap(1, 1) * fc
    return top * (1 - fr) + bottom * fr


class Deskew(TransformerMixin, BaseEstimator):
    """Straighten slanted digits by image moments (centre of mass, then shear by ``mu11 / mu02``).

    Each image is moved so its centre of mass sits at ``(height/2, width/2)`` and
    sheared horizontally around it, with bilinear interpolation and zero fill.
    Values keep their scale (0-255 in, 0-255 float32 out). Stateless: ``fit``
    only checks the rows.

    Parameters
    ----------
    image_shape : (height, width) of each row's image
    """

    def __init__(self, *, image_shape=(28, 28)):
        self.image_shape = image_shape

    def fit(self, X, y=None):
        """Check the rows and record ``n_features_in_``."""
        check_image_rows(self, X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Return the deskewed rows, float32, same shape as ``X``."""
        check_is_fitted(self)
        X = check_image_rows(self, X, reset=False)
        out = np.empty(X.shape, dtype=np.float32)
        for start in range(0, len(X), _DESKEW_CHUNK):
            chunk = X[start : start + _DESKEW_CHUNK].reshape(-1, *self.image_shape).astype(np.float64)
            out[start : start + _DESKEW_CHUNK] = _bilinear_shear(chunk).reshape(len(chunk), -1)
        return out


def shift_images(X, *, image_shape, dx: int, dy: int) -> np.ndarray:
    """Shift every image row by whole pixels (``dx`` right, ``dy`` down), filling with zeros.

    Examples
    --------
    >>> shift_images(np.array([[1, 2, 3, 4]]), image_shape=(2, 2), dx=1, dy=0)
    array([[0, 1, 0, 3]])
    """
    X = np.asarray(X)
    height, width = image_shape
    images = X.reshape(len(X), height, width)
    out = np.zeros_like(images)
    if abs(dy) < height and abs(dx) < width:
        dst_r, src_r = slice(max(dy, 0), height + min(dy, 0)), slice(max(-dy, 0), height - max(dy, 0))
        dst_c, src_c = slice(max(dx, 0), width + min(dx, 0)), slice(max(-dx, 0), width - max(dx, 0))
        out[:, dst_r, dst_c] = images[:, src_r, src_c]
    return out.reshape(X.shape)


def _estimator_has(attr: str):
    """``available_if`` check: the fitted inner estimator (or the unfitted one) has ``attr``."""

    def check(self) -> bool:
        inner = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(inner, attr)

    return check


class ShiftAugmentedClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on the training images plus copies shifted up, down, left and right.

    Training-time augmentation inside one Pipeline: ``fit`` sees 5x the rows
    (labels repeated); ``predict``, ``predict_proba`` and ``decision_function``
    pass ``X`` untouched to the fitted clone ``estimator_``.

    Parameters
    ----------
    estimator : classifier to clone and fit
    image_shape : (height, width) of each row's image
    shift : pixels to move each copy by
    """

    def __init__(self, estimator, *, image_shape=(28, 28), shift=1):
        self.estimator = estimator
        self.image_shape = image_shape
        self.shift = shift

    def fit(self, X, y):
        """Stack the original and four shifted copies of ``X`` and fit a clone of ``estimator``."""
        X, y = self._check_rows(X, y)
        self.estimator_ = clone(self.estimator).fit(*self._with_shifts(X, y))
        return self

    def _check_rows(self, X, y, *, dtype=None) -> tuple[np.ndarray, np.ndarray]:
        """Validated image rows (recording ``n_features_in_``) and one label per row."""
        X = check_image_rows(self, X, reset=True, dtype=dtype)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels; pass one label per row.")
        return X, y

    def _with_shifts(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """``X`` followed by its copies shifted ``shift`` pixels up, down, left and right; ``y`` repeated."""
        moves = [(0, -self.shift), (0, self.shift), (-self.shift, 0), (self.shift, 0)]
        shifted = [shift_images(X, image_shape=self.image_shape, dx=dx, dy=dy) for dx, dy in moves]
        return np.concatenate([X, *shifted]), np.tile(y, 1 + len(moves))

    @property
    def classes_(self) -> np.ndarray:
        """Class labels of the fitted inner estimator."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def predict(self, X) -> np.ndarray:
        """Predicted labels from ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X) -> np.ndarray:
        """Decision scores from ``estimator_``."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)
