"""The study's other classification tasks: multilabel ("large" and "odd" at once) and multioutput (denoising).

Targets, noise, the two meta-estimators that keep each model one Pipeline
from raw 0-255 pixel rows, and the model factories. What the build stores for
these tasks is written by :mod:`core.artifacts.concept_build`; what the Concepts page
draws from it is computed by :mod:`core.analysis.concept_views`.

Examples
--------
>>> import numpy as np
>>> multilabel_targets(np.array([3, 7, 8]))
array([[0, 1],
       [1, 1],
       [1, 0]])
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.multioutput import ClassifierChain
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from core.models.ablation import pca_components
from core.data.preprocess import PixelScaler, _estimator_has, check_image_rows
from core.analysis.thresholds import OneVsRest

#: The multilabel task's labels, in column order.
LABELS = ("large", "odd")
#: A digit is "large" from this value up.
LARGE_FROM = 7
#: Noise of the denoiser's training images: uniform integers 0..amplitude added to every pixel (the study's 100).
NOISE_AMPLITUDE = 100
#: Test images the build measures the denoiser on.
DENOISE_TEST_ROWS = 1000
#: Folds of the cross-validated scores on the training set (the study's protocol).
CV_FOLDS = 3
#: The detector's target precision whose threshold the build records (the study's 90%).
TARGET_PRECISION = 0.9


def stored_settings(task: str) -> dict | None:
    """The settings of what the build stores for ``task`` beyond the fitted model (None for multiclass), so
    they enter the model key: a change to them rebuilds the model instead of reusing outputs made without it.

    Examples
    --------
    >>> stored_settings("binary")
    {'cv_folds': 3, 'target_precision': 0.9}
    """
    return {"binary": {"cv_folds": CV_FOLDS, "target_precision": TARGET_PRECISION},
            "multilabel": {"cv_folds": CV_FOLDS},
            "multioutput": {"test_rows": DENOISE_TEST_ROWS}}.get(task)


def multilabel_targets(y) -> np.ndarray:
    """Two 0/1 columns per digit label: ``large`` (digit >= 7) and ``odd`` (digit % 2 == 1)."""
    y = np.asarray(y, dtype=np.int64)
    return np.column_stack([y >= LARGE_FROM, y % 2 == 1]).astype(np.int64)


def add_noise(X, *, amplitude: int, seed: int) -> np.ndarray:
    """``X`` (uint8 pixel rows) plus uniform integer noise in ``0..amplitude`` per pixel, clipped to 0-255.

    Examples
    --------
    >>> add_noise(np.array([[0, 250]], dtype=np.uint8), amplitude=0, seed=0)
    array([[  0, 250]], dtype=uint8)
    """
    if not 0 <= amplitude <= 255:
        raise ValueError(f"amplitude must be between 0 and 255 grey levels, got {amplitude}.")
    X = np.asarray(X)
    noise = np.random.default_rng(seed).integers(0, amplitude + 1, size=X.shape, dtype=np.int16)
    return np.clip(X.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _rows(n: int, max_rows: int, random_state) -> np.ndarray:
    """Sorted indices of at most ``max_rows`` of ``n`` rows, drawn without replacement."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=max_rows, replace=False))


class RowSubset(MetaEstimatorMixin, BaseEstimator):
    """Fit ``estimator`` on at most ``max_rows`` random training rows; predict with it untouched.

    Keeps a model whose fit grows faster than its data (a kernel SVM) quick on
    60,000 images, inside one Pipeline and with the subset size in its
    parameters (so in the build's model key).

    Parameters
    ----------
    estimator : estimator to clone and fit
    max_rows : training rows kept
    random_state : seed of the row choice
    """

    def __init__(self, estimator, *, max_rows: int = 10_000, random_state=0):
        self.estimator = estimator
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X, y):
        """Fit a clone of ``estimator`` on a random subset of the rows of ``X`` and ``y``."""
        X, y = np.asarray(X), np.asarray(y)
        rows = _rows(len(X), self.max_rows, self.random_state)
        self.estimator_ = clone(self.estimator).fit(X[rows], y[rows])
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        check_is_fitted(self)
        return self.estimator_.decision_function(X)


class Denoiser(MetaEstimatorMixin, BaseEstimator):
    """Learn to remove noise: ``fit`` takes clean images, ``predict`` maps noisy images to clean pixel values.

    ``fit(X)`` keeps at most ``max_rows`` rows of ``X``, adds uniform noise of
    ``amplitude`` grey levels (:func:`add_noise`) and fits ``estimator`` on
    (noisy rows -> clean rows): one output per pixel, a multioutput task.
    ``predict`` returns pixel values 0-255 (float when ``estimator`` averages).

    Parameters
    ----------
    estimator : multioutput regressor or classifier from raw noisy rows to pixel values
    amplitude : noise added to the training images, 0-255
    max_rows : training images kept (bounds the size and the query time of a k-NN)
    random_state : seed of the row choice and the noise
    image_shape : (height, width) of each row's image
    """

    def __init__(self, estimator, *, amplitude: int = NOISE_AMPLITUDE, max_rows: int = 20_000, random_state=0,
                 image_shape=(28, 28)):
        self.estimator = estimator
        self.amplitude = amplitude
        self.max_rows = max_rows
        self.random_state = random_state
        self.image_shape = image_shape

    def fit(self, X, y=None):
        """Fit on noisy copies of (a subset of) the clean rows ``X``; ``y`` is ignored (the targets are ``X``)."""
        X = check_image_rows(self, X, reset=True)
        clean = np.clip(X[_rows(len(X), self.max_rows, self.random_state)], 0, 255).astype(np.uint8)
        noisy = add_noise(clean, amplitude=self.amplitude, seed=self.random_state)
        self.estimator_ = clone(self.estimator).fit(noisy, clean)
        return self

    def predict(self, X) -> np.ndarray:
        """Clean pixel values, one row per noisy input row."""
        check_is_fitted(self)
        return self.estimator_.predict(X)


def make_multilabel_knn(*, image_shape, seed):
    """k nearest neighbours in 40 PCA dimensions, predicting the two labels at once (KNeighbors is multilabel)."""
    return Pipeline([
        ("scale", PixelScaler()),
        ("pca", PCA(n_components=pca_components(image_shape, 40), random_state=seed)),
        ("clf", KNeighborsClassifier(n_neighbors=5)),
    ])


def make_multilabel_chain(*, image_shape, seed):
    """A classifier chain of RBF SVMs ("large", then "odd" given "large") on 40 PCA dimensions of 10,000 images.

    As in the study, the chain trains each later SVM on 3-fold cross-validated
    predictions of the earlier labels (``cv=3``) rather than on the true ones.
    """
    chain = ClassifierChain(SVC(), order=[0, 1], cv=3, random_state=seed)
    return Pipeline([
        ("scale", PixelScaler()),
        ("pca", PCA(n_components=pca_components(image_shape, 40), random_state=seed)),
        ("clf", RowSubset(chain, max_rows=10_000, random_state=seed)),
    ])


def make_denoiser(*, image_shape, seed):
    """Noisy pixels -> clean pixels: the mean of the 5 nearest training images found in 40 PCA dimensions.

    The study uses a ``KNeighborsClassifier`` (each pixel a class of 256 grey
    levels). A ``KNeighborsRegressor`` finds the same neighbours and averages
    their pixels in one pass instead of 784 votes: on 20,000 MNIST images one
    query takes ~8 ms instead of ~95 ms and the model is 19 MB instead of 129 MB.
    """
    search = Pipeline([
        ("scale", PixelScaler()),
        ("pca", PCA(n_components=pca_components(image_shape, 40), random_state=seed)),
        ("knn", KNeighborsRegressor(n_neighbors=5)),
    ])
    return Pipeline([("denoise", Denoiser(search, random_state=seed, image_shape=tuple(image_shape)))])


def cv_predictions(make, X, Y, *, folds: int, seed: int) -> np.ndarray:
    """Cross-validated multilabel predictions of ``make()`` on the training rows (folds stratified by label pair)."""
    pairs = Y @ (1 << np.arange(Y.shape[1]))
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, pairs)
    return np.asarray(cross_val_predict(make(), X, Y, cv=list(splits), n_jobs=-1), dtype=np.int64)


def cv_decision(make, X, y, *, folds: int = CV_FOLDS, seed: int = 0) -> np.ndarray:
    """Cross-validated decision values of a binary detector on the training rows (the study's threshold data)."""
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return np.asarray(cross_val_predict(make(), X, y, cv=splits, method="decision_function", n_jobs=-1),
                      dtype=np.float32)


def detector_threshold(make, X_train, y_train, *, test_true, test_decision, seed: int = 0,
                       target: float = TARGET_PRECISION) -> tuple[dict, dict]:
    """Cross-validated decision values of a binary detector on its training set, and what the threshold they
    give for ``target`` precision does on the test set.

    Returns
    -------
    arrays : ``train_true`` (0/1) and ``train_decision`` (3-fold cross-validated decision values), stored
        with the detector's predictions so the Concepts page can pick a threshold for any target
    metrics : ``cv_threshold`` (the lowest threshold whose cross-validated precision reaches ``target``),
        ``target_precision``, and ``test_precision`` / ``test_recall`` at that threshold
    """
    train_decision = cv_decision(make, X_train, y_train, seed=seed)
    train = OneVsRest.from_scores(y_train, np.column_stack([-train_decision, train_decision]), cls=1)
    threshold = train.for_precision(target)
    test = OneVsRest.from_scores(test_true, np.column_stack([-test_decision, test_decision]), cls=1).at(threshold)
    metrics = {"cv_threshold": threshold, "target_precision": target, "test_precision": test.precision,
               "test_recall": test.recall}
    return {"train_true": np.asarray(y_train, dtype=np.int64), "train_decision": train_decision}, metrics


def clean(model, X) -> np.ndarray:
    """The denoiser's answer for noisy rows ``X`` as uint8 pixel rows (rounded, clipped to 0-255)."""
    return np.clip(np.rint(model.predict(X)), 0, 255).astype(np.uint8)


def pixel_error(a, b) -> np.ndarray:
    """Mean absolute difference per row of two pixel-row arrays, in grey levels."""
    return np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).mean(axis=1)
