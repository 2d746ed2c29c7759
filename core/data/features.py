"""Feature transformers and the virtual-support-vector meta-estimator behind the accurate models.

:class:`GradientHistogram` turns raw pixel rows into histograms of gradient
orientations pooled over overlapping cells (HOG-style, written in numpy).
:class:`VirtualSVClassifier` fits a support vector machine, adds one-pixel
shifts of its support vectors and refits -- the "virtual SVM" trick, inside
one Pipeline.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).integers(0, 256, size=(3, 784))
>>> GradientHistogram(image_shape=(28, 28)).fit_transform(X).shape
(3, 720)
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from core.data.preprocess import ShiftAugmentedClassifier, check_image_rows

_CHUNK = 2048
FLOATS = [np.float32, np.float64]
_EPS = 1e-6


def orientation_maps(images: np.ndarray, *, n_orientations: int, signed: bool) -> np.ndarray:
    """Gradient magnitude split between the two nearest orientation bins, per pixel.

    Gradients are central differences on the zero-padded image. An angle
    between two bin centres shares the magnitude linearly between them.

    Parameters
    ----------
    images : ndarray of shape (n, height, width)
    n_orientations : number of bins over ``[0, 2*pi)`` (signed) or ``[0, pi)`` (unsigned), at least 2
    signed : whether a gradient and its opposite fall into different bins

    Returns
    -------
    ndarray of float32, shape (n, height, width, n_orientations); it sums over
    the last axis to the gradient magnitude.
    """
    padded = np.pad(np.asarray(images, dtype=np.float32), ((0, 0), (1, 1), (1, 1)))
    gy = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    gx = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    magnitude = np.hypot(gx, gy).ravel()
    period = 2 * np.pi if signed else np.pi
    position = np.mod(np.arctan2(gy, gx), period).ravel() * (n_orientations / period) - 0.5
    lower = np.floor(position)
    upper_share = (position - lower).astype(np.float32)
    lower = lower.astype(np.intp) % n_orientations
    rows = np.arange(magnitude.size)
    out = np.zeros((magnitude.size, n_orientations), dtype=np.float32)
    out[rows, lower] = magnitude * (1 - upper_share)
    out[rows, (lower + 1) % n_orientations] = magnitude * upper_share
    return out.reshape(*np.shape(images), n_orientations)


def _half_cell_starts(length: int, grid: int) -> np.ndarray:
    """Start of each of the ``grid + 1`` half-cells splitting ``length`` pixels as evenly as possible."""
    return np.linspace(0, length, grid + 2).round().astype(np.intp)[:-1]


def pool_cells(maps: np.ndarray, *, grid: int) -> np.ndarray:
    """Sum ``maps`` over a ``grid`` x ``grid`` layout of cells that overlap by half a cell.

    The image is split into ``grid + 1`` near-equal half-cells per side; each
    cell is a 2 x 2 block of neighbouring half-cells.

    Parameters
    ----------
    maps : ndarray of shape (n, height, width, channels)
    grid : cells per side; at most ``min(height, width) - 1``

    Returns
    -------
    ndarray of shape (n, grid, grid, channels)
    """
    height, width = maps.shape[1:3]
    halves = np.add.reduceat(maps, _half_cell_starts(height, grid), axis=1)
    halves = np.add.reduceat(halves, _half_cell_starts(width, grid), axis=2)
    return halves[:, :-1, :-1] + halves[:, 1:, :-1] + halves[:, :-1, 1:] + halves[:, 1:, 1:]


class GradientHistogram(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Histograms of gradient orientations over overlapping cells, at several cell sizes (HOG-style).

    For each entry ``g`` of ``grid_sizes`` the image is covered by ``g`` x ``g``
    cells overlapping by half a cell; each cell gets an ``n_orientations``-bin
    histogram of gradient directions weighted by gradient magnitude. Each grid's
    histograms are divided by their total (so ink intensity does not matter) and
    square-rooted (a Hellinger map, which suits an RBF kernel). Stateless:
    ``fit`` only checks the rows.

    Parameters
    ----------
    image_shape : (height, width) of each row's image
    grid_sizes : cells per side for each grid, e.g. ``(9, 3)`` for 28x28 images
        (cells about 6 and 14 pixels wide); each at most ``min(height, width) - 1``
    n_orientations : orientation bins per cell, at least 2
    signed : bins over the full circle (a stroke's left and right edges differ) or half of it

    Attributes
    ----------
    n_features_out_ : ``n_orientations * sum(g * g for g in grid_sizes)``

    Examples
    --------
    >>> X = np.zeros((2, 64))
    >>> X[:, 27:29] = 255
    >>> GradientHistogram(image_shape=(8, 8), grid_sizes=(2, 1)).fit_transform(X).shape
    (2, 40)
    """

    def __init__(self, *, image_shape=(28, 28), grid_sizes=(9, 3), n_orientations=8, signed=True):
        self.image_shape = image_shape
        self.grid_sizes = grid_sizes
        self.n_orientations = n_orientations
        self.signed = signed

    def fit(self, X, y=None):
        """Check the parameters and rows; record ``n_features_in_`` and ``n_features_out_``."""
        side = min(self.image_shape)
        if not self.grid_sizes or any(not 1 <= g <= side - 1 for g in self.grid_sizes):
            raise ValueError(
                f"grid_sizes must be a non-empty list of cells per side between 1 and {side - 1} "
                f"for image_shape={tuple(self.image_shape)}, got {self.grid_sizes!r}."
            )
        if self.n_orientations < 2:
            raise ValueError(f"n_orientations must be at least 2, got {self.n_orientations}.")
        check_image_rows(self, X, reset=True, dtype=FLOATS)
        self.n_features_out_ = self.n_orientations * sum(g * g for g in self.grid_sizes)
        return self

    @property
    def _n_features_out(self) -> int:
        return self.n_features_out_

    def transform(self, X) -> np.ndarray:
        """Return the concatenated, normalised histograms, float32 of shape ``(n, n_features_out_)``."""
        check_is_fitted(self)
        X = check_image_rows(self, X, reset=False, dtype=FLOATS)
        out = np.empty((len(X), self.n_features_out_), dtype=np.float32)
        for start in range(0, len(X), _CHUNK):
            out[start : start + _CHUNK] = self._histograms(X[start : start + _CHUNK])
        return out

    def _histograms(self, rows: np.ndarray) -> np.ndarray:
        images = rows.reshape(-1, *self.image_shape)
        maps = orientation_maps(images, n_orientations=self.n_orientations, signed=self.signed)
        parts = []
        for grid in self.grid_sizes:
            cells = pool_cells(maps, grid=grid).reshape(len(rows), -1)
            parts.append(np.sqrt(cells / (cells.sum(axis=1, keepdims=True) + _EPS)))
        return np.hstack(parts)


def _support_indices(estimator) -> np.ndarray:
    """Training-row indices of the support vectors of ``estimator`` or of a Pipeline's last step."""
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    if not hasattr(final, "support_"):
        raise TypeError(
            f"VirtualSVClassifier needs a support vector machine (an estimator with support_, such as SVC) "
            f"as the estimator or a Pipeline's last step; got {type(final).__name__}."
        )
    return final.support_


class VirtualSVClassifier(ShiftAugmentedClassifier):
    """Virtual support vector machine: refit on the support vectors plus their shifted copies.

    ``fit`` fits a clone of ``estimator`` on the images, takes its support
    vectors (as raw image rows), adds copies shifted by ``shift`` pixels up,
    down, left and right, and fits a fresh clone on those ``5 * n_support``
    rows only: the shifts are added where the decision boundary is, at a
    fraction of the cost of augmenting every image (Schoelkopf, Burges &
    Vapnik, 1996). Prediction, decision scores and
    probabilities come from the second model, as in the parent
    :class:`~core.data.preprocess.ShiftAugmentedClassifier`.

    Parameters
    ----------
    estimator : an SVC, or a Pipeline ending in one, that takes the image rows
    image_shape : (height, width) of each row's image
    shift : pixels to move each copy by

    Attributes
    ----------
    estimator_ : the fitted second-stage clone
    n_first_support_ : number of support vectors of the first fit
    """

    def fit(self, X, y):
        """Fit, collect support vectors, add their shifts and refit."""
        X, y = self._check_rows(X, y, dtype=FLOATS)
        support = _support_indices(clone(self.estimator).fit(X, y))
        self.n_first_support_ = len(support)
        self.estimator_ = clone(self.estimator).fit(*self._with_shifts(X[support], y[support]))
        return self
