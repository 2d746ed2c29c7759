"""Features computed once per build: a disk cache that every Pipeline of a build fits its transformers through.

Deskewing and gradient histograms of the 60,000 training images take ~10 s and ~19 s here, and the ablation's
SVMs, their cross-validation folds, their temperature fits and the Explore map's feature space each compute them
again. scikit-learn's ``Pipeline(memory=...)`` caches a transformer's ``fit_transform`` by its parameters and its
input (content, not identity), so the second model that deskews the same images reads the first one's result.
The cache lives for one build; the stored Pipelines carry no memory (:func:`without_memory`), so they stay one
plain Pipeline from raw pixel rows, as the Draw page runs them.

Examples
--------
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklearn.linear_model import LogisticRegression
>>> model = with_memory(make_pipeline(StandardScaler(), LogisticRegression()), "/tmp/dl-features")
>>> model.memory
'/tmp/dl-features'
>>> without_memory(model).memory is None
True
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from joblib import Memory
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline


def _pipelines(estimator, seen: set[int] | None = None) -> Iterator[Pipeline]:
    """Every Pipeline in ``estimator``: itself, its parameters and its fitted parts, nested at any depth."""
    seen = set() if seen is None else seen
    if id(estimator) in seen:
        return
    seen.add(id(estimator))
    if isinstance(estimator, Pipeline):
        yield estimator
    if isinstance(estimator, BaseEstimator):
        for value in vars(estimator).values():
            yield from _pipelines(value, seen)
    elif isinstance(estimator, (list, tuple)):
        for value in estimator:
            yield from _pipelines(value, seen)


def with_memory(model, memory):
    """``model`` with every Pipeline in it fitting its transformers through ``memory`` (a folder or a
    :class:`joblib.Memory`); changed in place and returned."""
    for pipeline in _pipelines(model):
        pipeline.memory = memory
    return model


def without_memory(model):
    """``model`` with no Pipeline in it holding a cache (what a build stores); changed in place and returned."""
    return with_memory(model, None)


@contextmanager
def feature_cache(root: Path) -> Iterator[Memory]:
    """A cache folder beside the artifacts for the length of a build (removed after it, whatever happens; the
    build lock is held, so a folder of another build is one a killed build left, and goes too)."""
    for stale in Path(root).glob(".features-*"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=".features-", dir=root))
    try:
        yield Memory(folder, verbose=0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
