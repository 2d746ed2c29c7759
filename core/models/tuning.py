"""Hyper-parameter search by cross-validation on training images only.

Each tunable registry model has a small grid of Pipeline parameters
(``clf__C``, ``pca__n_components``...). :func:`tune` searches it with
:class:`~sklearn.model_selection.GridSearchCV` (or successive halving) over
stratified folds of a stratified training subset, in parallel through joblib.
The test images are never looked at. :func:`save_results` stores the outcome
as ``tuning.json`` next to the artifact manifest.

Examples
--------
>>> from core.data import load_dataset
>>> from core.models.tuning import tune
>>> [result] = tune(load_dataset("digits"), models="sgd", train_size=600, cv=3, seed=0,
...                 spaces={"sgd": {"clf__alpha": [1e-4, 1e-2]}})
>>> result.best_params["clf__alpha"] in (1e-4, 1e-2)
True
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.experimental import enable_halving_search_cv  # noqa: F401 (makes HalvingGridSearchCV importable)
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, StratifiedKFold

from core import artifacts as art
from core.models.ablation import pca_components
from core.artifacts.build import task_labels
from core.models.cluster import fits_on
from core.data import Dataset, subset
from core.models import REGISTRY

TUNING_FILE = "tuning.json"
FORMAT = 1
SEARCHES = {"grid": GridSearchCV, "halving": HalvingGridSearchCV}
HALVING_FACTOR = 3
_RERUN = "Delete it and run: python -m core tune"

#: Search spaces per registry model, as Pipeline parameter names; each includes the registry default.
SPACES: dict[str, dict[str, list]] = {
    "sgd": {"clf__alpha": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]},
    "rf": {"clf__max_features": ["log2", "sqrt", 0.1], "clf__min_samples_leaf": [1, 2]},
    "knn": {"pca__n_components": [30, 40, 60], "clf__n_neighbors": [1, 3, 4, 6],
            "clf__weights": ["uniform", "distance"]},
    "svc": {"clf__C": [1.0, 10.0, 100.0], "clf__gamma": ["scale", 0.01, 0.03, 0.1]},
    "logreg": {"clf__C": [0.01, 0.1, 1.0]},
}


@dataclass(frozen=True)
class TuningResult:
    """The outcome of one model's search.

    Attributes
    ----------
    model : registry name
    search : ``"grid"`` or ``"halving"``
    best_params : the chosen values of the searched parameters
    best_score : mean cross-validated accuracy of ``best_params`` (last halving round)
    default_params : the registry's own values of the searched parameters
    cv : number of stratified folds
    train_size : training images searched over
    seed : seed of the subset and the folds
    seconds : wall time of the search
    dataset : ``{"name", "id", "hash"}`` of the dataset the subset came from
    versions : python, scikit-learn and numpy versions
    candidates : one row per evaluated candidate, best rank first: ``params`` (text),
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``, ``mean_fit_time``,
        and for halving ``iter`` and ``n_resources``
    """

    model: str
    search: str
    best_params: dict
    best_score: float
    default_params: dict
    cv: int
    train_size: int
    seed: int
    seconds: float
    dataset: dict
    versions: dict
    candidates: pd.DataFrame

    @property
    def default_score(self) -> float | None:
        """Mean CV accuracy of the registry defaults, if they were evaluated in the final round."""
        table = self.candidates
        if "iter" in table:
            table = table[table["iter"] == table["iter"].max()]
        match = table[table["params"] == params_text(self.default_params)]
        return float(match["mean_test_score"].iloc[0]) if len(match) else None


def params_text(params: dict) -> str:
    """Parameters as one sorted line, e.g. ``"clf__C=10.0, clf__gamma='scale'"``."""
    return ", ".join(f"{key}={value!r}" for key, value in sorted(params.items()))


def search_space(name: str, *, image_shape, spaces: dict | None = None) -> dict[str, list]:
    """The grid of ``name`` for images of ``image_shape``.

    PCA sizes are capped by :func:`core.models.ablation.pca_components`, as the
    registry's factories are, so the same table serves 28x28 MNIST and 8x8 digits.

    Examples
    --------
    >>> search_space("knn", image_shape=(8, 8))["pca__n_components"]
    [30, 32]
    """
    space = {key: list(values) for key, values in _spaces(spaces)[name].items()}
    if "pca__n_components" in space:
        space["pca__n_components"] = list(dict.fromkeys(pca_components(image_shape, n)
                                                        for n in space["pca__n_components"]))
    return space


def tune(
    dataset: Dataset,
    *,
    models: str | list[str],
    train_size: int | None,
    cv: int,
    seed: int,
    n_jobs: int = -1,
    search: str = "grid",
    spaces: dict[str, dict[str, list]] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    scheduler: str | None = None,
) -> list[TuningResult]:
    """Choose hyper-parameters of ``models`` by ``cv``-fold cross-validation on training images.

    Parameters
    ----------
    dataset : only ``X_train``/``y_train`` are used
    models : ``"svc,knn"`` or a list of names with a search space
    train_size : search on a stratified subset of this many training images (None = all)
    cv : number of stratified, shuffled folds
    seed : seed of the subset, the folds and the models
    n_jobs : joblib workers for the candidate fits (-1 = all cores)
    search : ``"grid"`` (every candidate on all folds) or ``"halving"`` (successive
        halving: candidates start on a few images and the better third goes on)
    spaces : grids to use instead of :data:`SPACES`
    progress : called as ``progress(model, index, total)`` before each model's search
    scheduler : a Dask scheduler address (``tcp://host:8786``): the fits of every candidate on every
        fold run there as tasks (:mod:`core.models.cluster`; ``n_jobs=-1`` then means every worker thread)

    Raises
    ------
    ValueError
        For a model without a search space (listing the tunable ones) or an unknown ``search``.
    """
    names = _tunable(models, spaces)
    if search not in SEARCHES:
        raise ValueError(f"unknown search {search!r}; choose from {', '.join(SEARCHES)}")
    train = subset(dataset, train_size=train_size, seed=seed)
    results = []
    with fits_on(scheduler):
        for index, name in enumerate(names):
            if progress is not None:
                progress(name, index, len(names))
            results.append(_tune_one(name, train, dataset, cv=cv, seed=seed, n_jobs=n_jobs, search=search,
                                     space=search_space(name, image_shape=dataset.image_shape, spaces=spaces)))
    return results


def _spaces(spaces: dict | None) -> dict[str, dict[str, list]]:
    return SPACES if spaces is None else spaces


def _tunable(models: str | list[str], spaces: dict | None) -> list[str]:
    names = [m.strip() for m in models.split(",") if m.strip()] if isinstance(models, str) else list(models)
    known = [name for name in _spaces(spaces) if name in REGISTRY]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(f"cannot tune {', '.join(map(repr, unknown)) or 'no models'}; "
                         f"tunable models: {', '.join(known)} (e.g. --models svc,knn)")
    return list(dict.fromkeys(names))


def _tune_one(name: str, train: Dataset, source: Dataset, *, cv: int, seed: int, n_jobs: int, search: str,
              space: dict) -> TuningResult:
    spec = REGISTRY[name]
    pipeline = spec.make(image_shape=train.image_shape, seed=seed)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    options = {"factor": HALVING_FACTOR, "random_state": seed} if search == "halving" else {}
    searcher = SEARCHES[search](pipeline, space, cv=folds, scoring="accuracy", n_jobs=n_jobs, refit=False,
                                error_score="raise", **options)
    y_train = task_labels(spec, train)[0]
    start = time.perf_counter()
    searcher.fit(train.X_train, y_train)
    seconds = time.perf_counter() - start
    defaults = pipeline.get_params()
    return TuningResult(
        model=name, search=search,
        best_params={key: _plain(value) for key, value in searcher.best_params_.items()},
        best_score=float(searcher.best_score_),
        default_params={key: _plain(defaults[key]) for key in space},
        cv=cv, train_size=int(len(y_train)), seed=seed, seconds=round(seconds, 3),
        dataset={"name": source.name, "id": source.dataset_id, "hash": source.content_hash},
        versions=art.runtime_versions(), candidates=_candidates(searcher.cv_results_),
    )


def _plain(value):
    """A grid value as a JSON-native Python value (numpy scalars become Python numbers)."""
    return value.item() if isinstance(value, np.generic) else value


def _candidates(cv_results: dict) -> pd.DataFrame:
    table = pd.DataFrame({
        "params": [params_text(p) for p in cv_results["params"]],
        "mean_test_score": np.asarray(cv_results["mean_test_score"], dtype=np.float64),
        "std_test_score": np.asarray(cv_results["std_test_score"], dtype=np.float64),
        "rank_test_score": np.asarray(cv_results["rank_test_score"], dtype=np.int64),
        "mean_fit_time": np.asarray(cv_results["mean_fit_time"], dtype=np.float64),
    })
    for column in ("iter", "n_resources"):
        if column in cv_results:
            table[column] = np.asarray(cv_results[column], dtype=np.int64)
    return table.sort_values("rank_test_score", kind="stable").reset_index(drop=True)


def summary_table(results: list[TuningResult]) -> pd.DataFrame:
    """One row per model: chosen and default parameters with their CV accuracies."""
    return pd.DataFrame([{
        "model": r.model, "best_params": params_text(r.best_params), "cv_accuracy": r.best_score,
        "default_params": params_text(r.default_params), "default_cv_accuracy": r.default_score,
        "candidates": len(r.candidates), "train_size": r.train_size, "cv": r.cv, "seconds": r.seconds,
    } for r in results])


def save_results(results: list[TuningResult], artifacts_dir=None) -> Path:
    """Write ``results`` to ``tuning.json`` in ``artifacts_dir`` atomically; return its path.

    Stored results of other models are kept; a model's new result replaces its old one.
    The build never deletes this file: it is not one of the manifest's content-keyed files.
    """
    root = Path(artifacts_dir) if artifacts_dir is not None else art.default_artifacts_dir()
    fresh = {r.model for r in results}
    merged = [r for r in load_results(root) if r.model not in fresh] + list(results)
    order = list(REGISTRY)
    merged.sort(key=lambda r: order.index(r.model) if r.model in order else len(order))
    path = root / TUNING_FILE
    art.write_json(path, {"format": FORMAT, "results": [_to_json(r) for r in merged]})
    return path


def load_results(artifacts_dir=None) -> list[TuningResult]:
    """The results stored in ``artifacts_dir/tuning.json``, or ``[]`` when there is none.

    Raises
    ------
    core.artifacts.CorruptArtifacts
        When the file cannot be parsed.
    core.artifacts.IncompatibleArtifacts
        When it was written in another format.
    """
    root = Path(artifacts_dir) if artifacts_dir is not None else art.default_artifacts_dir()
    path = root / TUNING_FILE
    if not path.is_file():
        return []
    try:
        stored = json.loads(path.read_text())
        found = stored.get("format")
    except (OSError, ValueError, AttributeError) as exc:
        raise art.CorruptArtifacts(f"{path} is unreadable ({exc}). {_RERUN}") from exc
    if found != FORMAT:
        raise art.IncompatibleArtifacts(f"{path} has tuning format {found!r}, this version reads {FORMAT}. {_RERUN}")
    try:
        return [_from_json(record) for record in stored["results"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise art.CorruptArtifacts(f"{path} has a malformed result ({exc!r}). {_RERUN}") from exc


def _to_json(result: TuningResult) -> dict:
    record = {key: getattr(result, key) for key in TuningResult.__dataclass_fields__ if key != "candidates"}
    record["candidates"] = result.candidates.to_dict(orient="list")
    return record


def _from_json(record: dict) -> TuningResult:
    fields = {key: record[key] for key in TuningResult.__dataclass_fields__ if key != "candidates"}
    return TuningResult(**fields, candidates=pd.DataFrame(record["candidates"]))
