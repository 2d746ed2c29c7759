"""The build's dataset-level analyses for "why does a model err": a feature space, a 2-D map, neighbours.

Every image is described in one feature space that reflects how the strong
models see digits: deskewed, then histograms of gradient orientations (the
features of ``svc_virtual``, the 99.5% model), reduced by PCA to at most
:data:`FEATURE_DIMS` dimensions. In that space:

* :func:`compute_map` places every test image on a 2-D map with openTSNE
  (measured against UMAP on the full MNIST test set: 36 s against 56 s,
  trustworthiness 0.995 against 0.984 at k = 10, and 12 MB installed against
  210 MB for umap-learn with numba);
* :class:`NeighbourIndex` finds the training images nearest to any image, a
  test image, a drawn or an uploaded digit.

Examples
--------
>>> from core.data import load_dataset
>>> ds = load_dataset("digits")
>>> space = feature_space(image_shape=ds.image_shape, seed=0).fit(ds.X_train)
>>> index = NeighbourIndex(space.transform(ds.X_train).astype("float32"), ds.y_train)
>>> found = index.query(space.transform(ds.X_train[:1]), k=3)
>>> int(found.indices[0, 0]), round(float(found.distances[0, 0]), 3)
(0, 0.0)
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.pipeline import Pipeline

from core import artifacts as art
from core.models.ablation import hog_grid_sizes
from core.data.features import GradientHistogram
from core.data.preprocess import Deskew
from core.models import quick
from core.models.feature_cache import with_memory, without_memory

#: Dimensions of the feature space (PCA of the gradient histograms).
FEATURE_DIMS = 50
#: Training neighbours stored per test image.
NEIGHBOURS = 10
#: t-SNE perplexity (about the number of neighbours each point keeps close).
PERPLEXITY = 30
#: Points the build's trustworthiness is measured on (sklearn's needs n x n distances).
TRUST_SAMPLE = 5000
#: k of the reported trustworthiness.
TRUST_K = 10
FEATURE_SPACE = "deskew → gradient-orientation histograms → PCA"
MAP_METHOD = "openTSNE"


def feature_space(*, image_shape, seed: int, rows: int | None = None, dims: int = FEATURE_DIMS) -> Pipeline:
    """The unfitted Pipeline from raw 0-255 pixel rows to the explore feature space.

    Parameters
    ----------
    image_shape : (height, width) of the images
    seed : random state of the PCA
    rows : number of images it will be fitted on (PCA keeps no more components than that)
    dims : wanted dimensions
    """
    hog = GradientHistogram(image_shape=image_shape, grid_sizes=hog_grid_sizes(image_shape))
    n_hog = sum(grid * grid for grid in hog.grid_sizes) * hog.n_orientations
    keep = min(dims, n_hog, rows if rows is not None else dims)
    return Pipeline([("deskew", Deskew(image_shape=image_shape)), ("hog", hog),
                     ("pca", PCA(n_components=keep, random_state=seed))])


@dataclass(frozen=True)
class Neighbours:
    """Nearest training images of each query row: ``indices`` and Euclidean ``distances``, nearest first."""

    indices: np.ndarray
    distances: np.ndarray


class NeighbourIndex:
    """Exact nearest-neighbour search over the training images' features (Euclidean, brute force).

    Distances are computed as ``|t|^2 - 2 t.x + |x|^2`` in float64 with the
    training norms computed once, in chunks of :attr:`CHUNK` query rows: one
    query is one matrix-vector product (about 1 ms over 60,000 images),
    without the thread pool a general-purpose search starts for every call.

    Parameters
    ----------
    train_features : ``(n_train, d)`` features of the training images
    y_train : their labels
    """

    CHUNK = 256

    def __init__(self, train_features: np.ndarray, y_train: np.ndarray):
        self.y_train = np.asarray(y_train)
        self._train = np.asarray(train_features, dtype=np.float64)
        self._norms = np.einsum("ij,ij->i", self._train, self._train)

    @property
    def features(self) -> np.ndarray:
        """The training features, float64 ``(n_train, d)``."""
        return self._train

    def query(self, features: np.ndarray, *, k: int = NEIGHBOURS) -> Neighbours:
        """The ``k`` training images nearest to each row of ``features``, nearest first (ties by row)."""
        queries = np.asarray(features, dtype=np.float64).reshape(-1, self._train.shape[1])
        k = min(k, len(self._train))
        indices = np.empty((len(queries), k), dtype=np.int32)
        distances = np.empty((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), self.CHUNK):
            chunk = queries[start:start + self.CHUNK]
            squared = self._norms[None, :] - 2 * chunk @ self._train.T + np.einsum("ij,ij->i", chunk, chunk)[:, None]
            part = np.argpartition(squared, k - 1, axis=1)[:, :k] if k < squared.shape[1] else \
                np.tile(np.arange(squared.shape[1]), (len(chunk), 1))
            near = np.take_along_axis(squared, part, axis=1)
            order = np.lexsort((part, near), axis=1)
            indices[start:start + len(chunk)] = np.take_along_axis(part, order, axis=1)
            distances[start:start + len(chunk)] = np.sqrt(np.maximum(np.take_along_axis(near, order, axis=1), 0))
        return Neighbours(indices=indices, distances=distances)


def nearest_of_class(space: Pipeline, index: NeighbourIndex, row: np.ndarray, *, label: int) -> int:
    """The training row nearest to the raw pixel ``row`` in the feature space among the images labelled ``label``.

    Raises ``ValueError`` when no training image carries ``label``.
    """
    rows = np.flatnonzero(index.y_train == label)
    if rows.size == 0:
        raise ValueError(f"no training image is labelled {label}")
    features = quick.transform(space, np.asarray(row).reshape(1, -1))[0].astype(np.float64)
    train = index.features[rows]
    return int(rows[np.argmin(np.einsum("ij,ij->i", train, train) - 2 * train @ features)])


def nearest_training(space: Pipeline, index: NeighbourIndex, rows: np.ndarray, *, k: int = NEIGHBOURS) -> Neighbours:
    """The ``k`` training images nearest to new raw pixel rows (a drawn or uploaded digit) in the feature space
    (its steps run as the Draw page's quick scorers run theirs: :func:`core.models.quick.transform`)."""
    return index.query(quick.transform(space, np.asarray(rows).reshape(len(rows), -1)), k=k)


@dataclass(frozen=True)
class Vote:
    """What an image's nearest training images say: shares carrying the true and the predicted label.

    A mistake whose neighbours mostly carry the predicted label is an ambiguous
    digit (it looks like the class the model chose); one whose neighbours carry
    the true label is the model's own mistake.
    """

    share_true: float
    share_predicted: float
    majority: int

    @property
    def verdict(self) -> str:
        """A short reading of the vote for a mistake."""
        if self.share_predicted > self.share_true:
            return "looks like the predicted digit: an ambiguous image"
        if self.share_true > self.share_predicted:
            return "looks like its own label: the model's mistake"
        return "neighbours split evenly"


def majority(labels: np.ndarray) -> tuple[int, float]:
    """The most common of ``labels`` (the smallest on a tie) and its share.

    >>> majority(np.array([7, 1, 7, 7]))
    (7, 0.75)
    """
    counts = np.bincount(np.asarray(labels))
    label = int(counts.argmax())
    return label, float(counts[label] / counts.sum())


def neighbour_vote(labels: np.ndarray, *, true: int, predicted: int) -> Vote:
    """The :class:`Vote` of the neighbour ``labels`` of one image.

    >>> neighbour_vote(np.array([4, 4, 9, 4]), true=9, predicted=4).share_predicted
    0.75
    """
    labels = np.asarray(labels)
    return Vote(share_true=float(np.mean(labels == true)), share_predicted=float(np.mean(labels == predicted)),
                majority=majority(labels)[0])


@dataclass(frozen=True)
class MapResult:
    """A 2-D map of the test images: ``coords`` (n, 2) float32 and its trustworthiness at k = :data:`TRUST_K`."""

    coords: np.ndarray
    trustworthiness: float
    trust_points: int
    seconds: float


def compute_map(features: np.ndarray, *, seed: int, n_jobs: int = -1) -> MapResult:
    """Embed ``features`` in 2-D with openTSNE (PCA initialisation, perplexity 30, fixed seed).

    The trustworthiness is measured on :data:`TRUST_SAMPLE` seeded points (all of
    them when there are fewer), since scikit-learn's needs all pairwise distances.
    """
    from openTSNE import TSNE

    features = np.asarray(features, dtype=np.float32)
    perplexity = min(PERPLEXITY, max(2.0, (len(features) - 1) / 3 - 1))
    start = time.perf_counter()
    coords = np.asarray(TSNE(n_components=2, perplexity=perplexity, random_state=seed, n_jobs=n_jobs,
                             verbose=False).fit(features), dtype=np.float32)
    seconds = time.perf_counter() - start
    rows = np.arange(len(features))
    if len(rows) > TRUST_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(rows, TRUST_SAMPLE, replace=False))
    k = min(TRUST_K, len(rows) // 2 - 1)
    trust = float(trustworthiness(features[rows], coords[rows], n_neighbors=k)) if k >= 1 else float("nan")
    return MapResult(coords=coords, trustworthiness=trust, trust_points=len(rows), seconds=seconds)


#: Stages of the explore step, as :class:`core.artifacts.build.BuildEvent` reports them.
STAGES = ("features", "map", "neighbours", "save")


def explore_key(ds, *, seed: int, versions: dict) -> str:
    """Hash of everything the explore analyses depend on; an equal key means the stored ones are current."""
    payload = {"data": ds.content_hash, "seed": seed, "dims": FEATURE_DIMS, "k": NEIGHBOURS,
               "perplexity": PERPLEXITY, "space": FEATURE_SPACE, "method": MAP_METHOD,
               "versions": {**versions, "openTSNE": _opentsne_version()}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _opentsne_version() -> str:
    from importlib.metadata import version

    return version("openTSNE")


def write_explore(root: Path, ds, *, key: str, seed: int, notify, memory=None) -> dict:
    """Compute the feature space, map and neighbours of ``ds`` and write them under ``root``.

    Returns the manifest entry: files with checksums, the method, the
    trustworthiness of the map and the seconds each stage took. With ``memory`` (a build's feature cache) the
    feature space's deskewing and histograms of the training images are read when a model made them already.
    """
    notify("features")
    start = time.perf_counter()
    space = feature_space(image_shape=ds.image_shape, seed=seed, rows=len(ds.X_train))
    space = without_memory(with_memory(space, memory).fit(ds.X_train, ds.y_train))  # y: the models' cache key
    train_features = space.transform(ds.X_train).astype(np.float32)
    test_features = space.transform(ds.X_test).astype(np.float32)
    seconds = {"features": time.perf_counter() - start}
    notify("map")
    mapped = compute_map(test_features, seed=seed)
    seconds["map"] = mapped.seconds
    notify("neighbours")
    start = time.perf_counter()
    found = NeighbourIndex(train_features, ds.y_train).query(test_features, k=NEIGHBOURS)
    seconds["neighbours"] = time.perf_counter() - start
    notify("save")
    stem = f"explore-{key[:12]}"
    arrays_path, space_path = root / f"{stem}.npz", root / f"{stem}.joblib"
    art.write_npz(arrays_path, {"coords": mapped.coords, "neighbours": found.indices, "distances": found.distances,
                                "train_features": train_features, "train_images": ds.X_train})
    art.write_model(space_path, space)
    return {
        "key": key, "feature_space": FEATURE_SPACE, "dims": int(train_features.shape[1]), "method": MAP_METHOD,
        "perplexity": PERPLEXITY, "k": NEIGHBOURS, "trustworthiness": mapped.trustworthiness,
        "trust_points": mapped.trust_points, "trust_k": TRUST_K,
        "seconds": {stage: round(value, 3) for stage, value in seconds.items()},
        "files": {"arrays": f"{stem}.npz", "space": f"{stem}.joblib"},
        "sha256": {f"{stem}.npz": art.sha256_file(arrays_path), f"{stem}.joblib": art.sha256_file(space_path)},
    }
