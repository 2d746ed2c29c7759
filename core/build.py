"""Train the chosen models once and write everything the dashboard reads.

Per model the build stores the fitted Pipeline, its test predictions and
scores, and its metrics; then it writes ``manifest.json`` atomically. Models
whose key (data hash, parameters, seed, versions) is unchanged are reused.

Examples
--------
>>> from core.build import build
>>> result = build(dataset="digits", models="sgd", artifacts_dir="/tmp/dl-doc")  # doctest: +SKIP
>>> result.built  # doctest: +SKIP
['sgd']
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
from joblib.externals.loky import reusable_executor
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score, train_test_split

from core import artifacts as art
from core import concept_build, concepts, evaluation, explore, properties
from core.data import Dataset, load_dataset, subset
from core.eda import summarise
from core.models import REGISTRY, ModelSpec, resolve_models

STAGES = ("fit", "predict", "calibrate", "latency", "cv", "save")
#: Name the build's last step (the dataset-level analyses of :mod:`core.explore`) reports under.
EXPLORE = "explore"
LATENCY_ROWS = 25
CALIBRATION_ROWS = 10_000


@dataclass(frozen=True)
class BuildEvent:
    """Progress report: ``stage`` of model ``index`` (0-based) out of ``total`` has started.

    ``stage`` is one of :attr:`stages`, ``"skip"`` for a reused step, or ``"done"``.
    The last step, after every model, is :data:`EXPLORE`.
    """

    model: str
    index: int
    total: int
    stage: str

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages this step goes through: :data:`STAGES`, or :data:`core.explore.STAGES` for the last."""
        return explore.STAGES if self.model == EXPLORE else STAGES

    @property
    def fraction(self) -> float:
        """Share of this step done when the event is reported."""
        return 1.0 if self.stage in ("done", "skip") else self.stages.index(self.stage) / len(self.stages)


@dataclass(frozen=True)
class BuildResult:
    root: Path
    built: list[str]
    reused: list[str]
    manifest: dict


def build(
    *,
    dataset: str | Dataset = "digits",
    data_dir=None,
    artifacts_dir=None,
    models: str | list[str] = "quick",
    train_size: int | None = None,
    seed: int = 0,
    cv: int = 0,
    progress: Callable[[BuildEvent], None] | None = None,
) -> BuildResult:
    """Train ``models`` on ``dataset`` and write the artifact set atomically.

    Parameters
    ----------
    dataset : a dataset name for :func:`core.data.load_dataset`, or a loaded Dataset
    data_dir : folder for the ``mnist``/``idx`` loaders
    artifacts_dir : target folder (default :func:`core.artifacts.default_artifacts_dir`)
    models : ``"quick"``, ``"all"``, a group, ``"a,b"`` or a list of names
    train_size : train on a stratified subset of this many training images
    seed : random seed for subsets, splits and models
    cv : k for k-fold cross-validated accuracy on the training set (0 = skip)
    progress : called with a :class:`BuildEvent` at every stage
    """
    if train_size is not None and train_size < 1:
        raise ValueError(f"train_size must be at least 1 image, got {train_size}; pass None to use every image.")
    names = resolve_models(models) if isinstance(models, str) else list(models)
    root = Path(artifacts_dir) if artifacts_dir is not None else art.default_artifacts_dir()
    notify = progress or (lambda event: None)
    with art.build_lock(root):  # the folder is checked (a writable folder, free) before any data is read
        ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, data_dir=data_dir)
        if train_size:
            ds = subset(ds, train_size=train_size, seed=seed)
        before = _files(root)
        try:
            return _build_into(root, ds, names, seed=seed, cv=cv, train_size=train_size, notify=notify)
        except BaseException:
            _discard_new(root, before)
            raise


def stop_workers() -> None:
    """End joblib's worker processes now: left alone they idle for minutes after the work that used them.

    For a process that is about to end (the CLI); in a long-lived process
    (the dashboard) they are shared with other builds and are left to
    joblib. Only an executor that exists is shut down (asking loky for one
    would start it).
    """
    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def _build_into(root: Path, ds: Dataset, names: list[str], *, seed: int, cv: int, train_size, notify) -> BuildResult:
    current = _current_manifest(root, ds)
    previous = _reusable_models(root, current, ds)
    files: dict[str, str] = {}
    data_file = _write_data(root, ds, files)
    entries, built, reused = {}, [], []
    total = len(names) + 1
    for index, name in enumerate(names):
        spec = REGISTRY[name]
        key = model_key(spec, ds, seed=seed, cv=cv)
        old = previous.pop(name, None)
        if old is not None and old["key"] == key:
            notify(BuildEvent(name, index, total, "skip"))
            entries[name] = old
            reused.append(name)
        else:
            entries[name] = _build_model(root, spec, ds, key=key, seed=seed, cv=cv,
                                         notify=lambda stage: notify(BuildEvent(name, index, total, stage)))
            built.append(name)
        notify(BuildEvent(name, index, total, "done"))
    explored = _explore(root, ds, current, seed=seed,
                        notify=lambda stage: notify(BuildEvent(EXPLORE, len(names), total, stage)))
    described = _properties(root, ds, current)
    order = list(REGISTRY)  # then imported models, in the order they were imported
    entries = dict(sorted({**previous, **entries}.items(),
                          key=lambda item: order.index(item[0]) if item[0] in REGISTRY else len(order)))
    for entry in [*entries.values(), explored, described]:
        for relative in entry["files"].values():
            files[relative] = entry["sha256"][relative]
    manifest = _manifest(ds, entries, files, data_file=data_file, seed=seed, train_size=train_size)
    manifest["explore"] = explored
    manifest["properties"] = described
    art.write_json(root / art.MANIFEST, manifest)
    _remove_unreferenced(root, manifest)
    return BuildResult(root=root, built=built, reused=reused, manifest=manifest)


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def _discard_new(root: Path, before: set[Path]) -> None:
    """After a failed or interrupted build (an error, Ctrl-C, a closed browser tab), delete the files it
    wrote that the published manifest does not reference, so nothing is left beside it."""
    try:
        keep = {root / relative for relative in art.read_manifest(root)["files"]}
    except (art.ArtifactError, KeyError, TypeError):
        keep = set()
    for path in _files(root) - before - keep:
        path.unlink(missing_ok=True)


def describe_params(pipeline) -> dict[str, str]:
    """Every parameter of ``pipeline`` as text, nested estimators by class name."""
    out = {}
    for key, value in sorted(pipeline.get_params(deep=True).items()):
        if key == "steps":
            out[key] = repr([(name, type(est).__name__) for name, est in value])
        elif hasattr(value, "get_params"):
            out[key] = type(value).__name__
        else:
            out[key] = repr(value)
    return out


def model_key(spec: ModelSpec, ds: Dataset, *, seed: int, cv: int) -> str:
    """Hash of everything a fitted model depends on; equal keys mean "up to date"."""
    payload = {
        "format": art.FORMAT, "name": spec.name, "task": spec.task, "positive": spec.positive_class,
        "data": ds.content_hash, "seed": seed, "cv": cv, "versions": art.runtime_versions(),
        "params": describe_params(spec.make(image_shape=ds.image_shape, seed=seed)),
    }
    if concepts.stored_settings(spec.task) is not None:
        payload["stored"] = concepts.stored_settings(spec.task)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def task_labels(spec: ModelSpec, ds: Dataset) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Train labels, test labels and class names of ``spec``'s task (0/1 for a detector)."""
    if spec.task == "binary":
        positive = spec.positive_class
        name = ds.class_names[positive]
        return ((ds.y_train == positive).astype(np.int64), (ds.y_test == positive).astype(np.int64),
                (f"not {name}", name))
    return ds.y_train, ds.y_test, ds.class_names


def model_scores(model, X, *, n_classes: int | None = None) -> tuple[np.ndarray, str]:
    """``(scores, kind)``: class probabilities when the model has them, else decision values.

    A binary decision function ``d`` becomes two columns ``[-d, d]`` so every
    model stores one column per class. With ``n_classes``, a model that never
    saw some classes in training (its ``classes_`` lack them) gets their
    columns too, at probability 0 or decision value -inf, so column ``k`` is
    always class ``k``.
    """
    if hasattr(model, "predict_proba"):
        scores, kind = model.predict_proba(X).astype(np.float32), "proba"
    else:
        scores, kind = class_columns(np.asarray(model.decision_function(X), dtype=np.float32)), "decision"
    classes = getattr(model, "classes_", None)
    if n_classes is not None and classes is not None and scores.shape[1] != n_classes:
        full = np.full((scores.shape[0], n_classes), 0.0 if kind == "proba" else -np.inf, dtype=np.float32)
        full[:, np.asarray(classes, dtype=np.int64)] = scores
        scores = full
    return scores, kind


def class_columns(decision: np.ndarray) -> np.ndarray:
    """Decision values with one column per class: a binary ``d`` of shape ``(n,)`` becomes ``[-d, d]``."""
    return np.column_stack([-decision, decision]) if decision.ndim == 1 else decision


def median_latency_ms(model, X, *, rows: int = LATENCY_ROWS) -> float:
    """Median wall time of ``predict`` on one image, over ``rows`` images after a warm-up."""
    model.predict(X[:1])
    times = []
    for i in range(min(rows, len(X))):
        start = time.perf_counter()
        model.predict(X[i:i + 1])
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def _build_model(root: Path, spec: ModelSpec, ds: Dataset, *, key: str, seed: int, cv: int, notify) -> dict:
    if spec.task in concept_build.TASKS:
        return concept_build.build_concept(root, spec, ds, key=key, seed=seed, cv=cv, notify=notify)
    y_train, y_test, class_names = task_labels(spec, ds)
    model = spec.make(image_shape=ds.image_shape, seed=seed)
    notify("fit")
    start = time.perf_counter()
    with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(ds.X_train, y_train)
    fit_seconds = time.perf_counter() - start
    fit_warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    notify("predict")
    y_pred = np.asarray(model.predict(ds.X_test), dtype=np.int64)
    scores, score_kind = model_scores(model, ds.X_test, n_classes=len(class_names))
    temperature = 1.0
    if score_kind == "decision":
        notify("calibrate")
        temperature = held_out_temperature(spec, ds, y_train, seed=seed)
    detector_arrays, detector_metrics = {}, {}
    if spec.task == "binary" and hasattr(model, "decision_function"):
        detector_arrays, detector_metrics = concepts.detector_threshold(
            lambda: spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train, y_train,
            test_true=y_test, test_decision=scores[:, 1], seed=seed)
    notify("latency")
    predict_ms = median_latency_ms(model, ds.X_test)
    cv_scores = None
    if cv:
        notify("cv")
        folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
        cv_scores = cross_val_score(spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train, y_train,
                                    cv=folds, n_jobs=-1)
    notify("save")
    stem = f"models/{spec.name}-{key[:12]}"
    model_path, pred_path = root / f"{stem}.joblib", root / f"{stem}.npz"
    art.write_model(model_path, model)
    art.write_npz(pred_path, {"y_true": y_test, "y_pred": y_pred, "scores": scores, **detector_arrays})
    return {
        "title": spec.title, "description": spec.description, "task": spec.task,
        "positive_class": spec.positive_class, "class_names": list(class_names), "score_kind": score_kind,
        "temperature": temperature,
        "key": key, "params": describe_params(model), "fit_warnings": fit_warnings,
        "files": {"model": f"{stem}.joblib", "predictions": f"{stem}.npz"},
        "sha256": {f"{stem}.joblib": art.sha256_file(model_path), f"{stem}.npz": art.sha256_file(pred_path)},
        "metrics": {
            "test_accuracy": float(accuracy_score(y_test, y_pred)),
            "macro_f1": float(f1_score(y_test, y_pred, average="macro")),
            "fit_seconds": round(fit_seconds, 3),
            "predict_ms": round(predict_ms, 3),
            "size_bytes": model_path.stat().st_size,
            "n_train": int(len(y_train)),
            "cv_mean": None if cv_scores is None else float(cv_scores.mean()),
            "cv_std": None if cv_scores is None else float(cv_scores.std()),
            **detector_metrics,
        },
    }


def held_out_temperature(spec: ModelSpec, ds: Dataset, y_train: np.ndarray, *, seed: int) -> float:
    """Softmax temperature for ``spec``'s decision values, fitted on scores of rows it did not train on.

    Two-fold cross-validated decision values on a stratified sample of at most
    :data:`CALIBRATION_ROWS` training rows: scores on the model's own training
    rows are overconfident (an RBF SVM is almost never wrong there), so the
    temperature would be too low. The test set is never used.
    """
    rows = np.arange(len(y_train))
    if len(rows) > CALIBRATION_ROWS:
        rows, _ = train_test_split(rows, train_size=CALIBRATION_ROWS, stratify=y_train, random_state=seed)
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_predict(spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train[rows],
                                   y_train[rows], cv=folds, method="decision_function", n_jobs=-1)
    labels = y_train[rows]
    return evaluation.fit_temperature(class_columns(scores), np.searchsorted(np.unique(labels), labels))


def _write_data(root: Path, ds: Dataset, files: dict) -> str:
    relative = f"data-{ds.content_hash[:12]}.npz"
    path = root / relative
    if not path.is_file():
        arrays = {"X_test": ds.X_test, "y_test": ds.y_test, "y_train": ds.y_train, **summarise(ds).to_arrays()}
        art.write_npz(path, arrays)
    files[relative] = art.sha256_file(path)
    return relative


def _current_manifest(root: Path, ds: Dataset) -> dict | None:
    """The published manifest when it was built on the same data (library versions are checked per entry)."""
    try:
        manifest = art.read_manifest(root)
    except art.ArtifactError:
        return None
    return manifest if manifest["dataset"]["hash"] == ds.content_hash else None


def _intact(root: Path, entry: dict) -> bool:
    return all((root / rel).is_file() and art.sha256_file(root / rel) == digest
               for rel, digest in entry["sha256"].items())


def _reusable_models(root: Path, manifest: dict | None, ds: Dataset) -> dict[str, dict]:
    """Entries of the current manifest that were built or imported on the same data and are intact.

    Pickled models (built, or imported scikit-learn ones) are kept only under the
    same library versions; imported predictions and ONNX models under any.
    """
    if manifest is None:
        return {}
    same_versions = not art.version_problems(manifest)
    return {name: entry for name, entry in manifest["models"].items()
            if _keeps(name, entry, ds, same_versions=same_versions) and _intact(root, entry)}


def _explore(root: Path, ds: Dataset, manifest: dict | None, *, seed: int, notify) -> dict:
    """The explore entry: the current one when its key is unchanged and its files intact, else a new one."""
    key = explore.explore_key(ds, seed=seed, versions=art.runtime_versions())
    old = (manifest or {}).get("explore")
    if isinstance(old, dict) and old.get("key") == key and _intact(root, old):
        notify("skip")
    else:
        old = explore.write_explore(root, ds, key=key, seed=seed, notify=notify)
    notify("done")
    return old


def _properties(root: Path, ds: Dataset, manifest: dict | None) -> dict:
    """The per-image properties entry (:mod:`core.properties`): the current one when its key is unchanged and
    its file intact, else a new one (about a second for 10,000 images, reported within the explore step)."""
    key = properties.properties_key(ds)
    old = (manifest or {}).get("properties")
    if isinstance(old, dict) and old.get("key") == key and _intact(root, old):
        return old
    return properties.write_properties(root, ds, key=key)


def _keeps(name: str, entry: dict, ds: Dataset, *, same_versions: bool) -> bool:
    """Whether a rebuild on ``ds`` may keep the manifest entry ``name`` (files not yet checked)."""
    kind = art.imported_kind(entry)
    if kind is None:
        return name in REGISTRY and same_versions
    return entry["imported"].get("dataset_hash") == ds.content_hash and (kind != "sklearn" or same_versions)


def _manifest(ds: Dataset, entries: dict, files: dict, *, data_file: str, seed: int, train_size) -> dict:
    return {
        "format": art.FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": art.runtime_versions(),
        "seed": seed,
        "train_size": train_size,
        "dataset": {
            "name": ds.name, "id": ds.dataset_id, "hash": ds.content_hash,
            "image_shape": list(ds.image_shape), "class_names": list(ds.class_names),
            "n_train": int(len(ds.y_train)), "n_test": int(len(ds.y_test)),
        },
        "data_file": data_file,
        "models": entries,
        "files": dict(sorted(files.items())),
    }


def _remove_unreferenced(root: Path, manifest: dict) -> None:
    """Delete data, model and temporary files of earlier or interrupted builds."""
    keep = set(manifest["files"])
    candidates = [*root.glob("data-*.npz"), *root.glob("explore-*"), *root.glob("properties-*"), *root.glob("models/*"),
                  *root.glob(".*.tmp")]
    for path in candidates:
        if path.is_file() and path.relative_to(root).as_posix() not in keep:
            path.unlink(missing_ok=True)
