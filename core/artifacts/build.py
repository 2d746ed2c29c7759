"""Train the chosen models once and write everything the dashboard reads.

Per model the build stores the fitted Pipeline, its test predictions and
scores, and its metrics; then it writes ``manifest.json`` atomically. Models
whose key (data hash, parameters, seed, versions) is unchanged are reused.

Examples
--------
>>> from core.artifacts.build import build
>>> result = build(dataset="digits", models="sgd", artifacts_dir="/tmp/dl-doc")  # doctest: +SKIP
>>> result.built  # doctest: +SKIP
['sgd']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
from joblib.externals.loky import reusable_executor

from core import artifacts as art
from core.artifacts import cell_build, concept_build, deep_build, robust_build
from core.artifacts.stage_clock import StageClock
from core.models import ModelSpec, REGISTRY, concepts, deep, resolve_models
from core.analysis import embedding
from core.data import Dataset, load_dataset, properties, subset
from core.models.cluster import fits_on
from core.models.feature_cache import feature_cache
from core.data.eda import summarise
from core.models.training import Trained, median_latency_ms, model_metrics, train

STAGES = ("fit", "predict", "calibrate", "cv", "latency", "save", "explain", "robust")
#: Name the build's last step (the dataset-level analyses of :mod:`core.analysis.embedding`) reports under.
EXPLORE = "explore"


@dataclass(frozen=True)
class BuildEvent:
    """Progress report: ``stage`` of model ``index`` (0-based) out of ``total`` has started.

    ``stage`` is one of :attr:`stages`, ``"skip"`` for a reused step, or ``"done"``.
    The last step, after every model, is :data:`EXPLORE`. ``eta_seconds``: what the rest of the build took last
    time (:class:`core.artifacts.stage_clock.StageClock`), None without a timing for every step ahead.
    """

    model: str
    index: int
    total: int
    stage: str
    eta_seconds: float | None = None

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages this step goes through: :data:`STAGES`, or :data:`core.analysis.embedding.STAGES` for the last."""
        return embedding.STAGES if self.model == EXPLORE else STAGES

    @property
    def fraction(self) -> float:
        """Share of this step done when the event is reported."""
        return 1.0 if self.stage in ("done", "skip") else self.stages.index(self.stage) / len(self.stages)


@dataclass(frozen=True)
class BuildResult:
    """The models built and reused, and those ``skipped`` (name -> why: the CNN without PyTorch)."""

    root: Path
    built: list[str]
    reused: list[str]
    manifest: dict
    skipped: dict[str, str] = field(default_factory=dict)


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
    scheduler: str | None = None,
    epochs: int | None = None,
    threads: int | None = None,
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
    scheduler : a Dask scheduler address (``tcp://host:8786``): every model is fitted there as one task
        (its folds and trees as tasks of their own), then saved here as it comes back
        (:mod:`core.models.cluster`; raises :class:`core.models.cluster.ClusterError` when it cannot be used)
    epochs, threads : epochs and CPU threads of the network models (default their own,
        :class:`core.models.deep.CnnSettings`)

    A network model (the CNN) needs PyTorch: without it, naming the model raises ``ValueError`` with what to
    install; a group that holds it (``all``) builds the rest and lists it in ``skipped``.
    """
    if train_size is not None and train_size < 1:
        raise ValueError(f"train_size must be at least 1 image, got {train_size}; pass None to use every image.")
    names, skipped = deep_build.buildable(models)
    root = Path(artifacts_dir) if artifacts_dir is not None else art.default_artifacts_dir()
    clock = StageClock(progress or (lambda event: None))
    with art.build_lock(root), fits_on(scheduler), feature_cache(root) as memory:  # checked before data is read
        clock.begin("data", "load")
        ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, data_dir=data_dir)
        if train_size:
            ds = subset(ds, train_size=train_size, seed=seed)
        before = _files(root)
        try:
            result = _build_into(root, ds, names, seed=seed, cv=cv, network={"epochs": epochs, "threads": threads},
                                 train_size=train_size, notify=clock, remote=scheduler is not None, memory=memory)
        except BaseException:
            _discard_new(root, before)
            raise
    return replace(result, skipped=skipped)


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


def _build_into(root: Path, ds: Dataset, names: list[str], *, seed: int, cv: int, network: dict, train_size,
                notify: StageClock, remote: bool, memory) -> BuildResult:
    notify.begin("data", "write")
    current = _current_manifest(root, ds)
    notify.plan([*names, EXPLORE], (current or {}).get("build"))
    previous = _reusable_models(root, current, ds)
    files: dict[str, str] = {}
    data_file = _write_data(root, ds, files)
    entries, reused, queued = {}, [], []
    total = len(names) + 1
    images = robust_build.perturbed_images(ds, seed=seed)
    for index, name in enumerate(names):
        spec = REGISTRY[name]
        key = model_key(spec, ds, seed=seed, cv=cv, **network)
        old = previous.pop(name, None)
        step = _step(notify, name, index, total)
        fitted = None  # the model in memory, when this step trains one here
        if old is not None and old["key"] == key:
            step("skip")
            entries[name] = old
            reused.append(name)
        elif spec.task in concept_build.TASKS:
            entries[name] = concept_build.build_concept(root, spec, ds, key=key, seed=seed, cv=cv, notify=step)
        elif spec.runtime == "torch":
            entries[name] = deep_build.build_network(root, spec, ds, key=key, seed=seed, notify=step, **network)
        elif remote:
            queued.append((index, name, key))
            continue
        else:
            args, options = _train_call(spec, ds, seed=seed, cv=cv)
            trained = train(*args, **options, notify=step, memory=memory)
            entries[name] = _save_model(root, spec, ds, trained, key=key, notify=step, seed=seed)
            fitted = trained.model
        entries[name] = _with_extras(root, name, entries[name], ds, notify=step, model=fitted, images=images)
        step("done")
    if queued:
        notify.begin("cluster", "fit")
    for index, name, key, trained in _train_on_cluster(ds, queued, seed=seed, cv=cv):
        step = _step(notify, name, index, total)
        entries[name] = _save_model(root, REGISTRY[name], ds, trained, key=key, notify=step, seed=seed)
        entries[name] = _with_extras(root, name, entries[name], ds, notify=step, model=trained.model, images=images)
        step("done")
    explored = _explore(root, ds, current, seed=seed, notify=_step(notify, EXPLORE, len(names), total),
                        memory=memory)
    notify.begin("properties", "compute")
    described = _properties(root, ds, current)
    notify.begin("manifest", "write")
    order = list(REGISTRY)  # then imported models, in the order they were imported
    entries = dict(sorted({**previous, **entries}.items(),
                          key=lambda item: order.index(item[0]) if item[0] in REGISTRY else len(order)))
    for entry in [*entries.values(), explored, described]:
        for relative in entry["files"].values():
            files[relative] = entry["sha256"][relative]
    manifest = _manifest(ds, entries, files, data_file=data_file, seed=seed, train_size=train_size)
    manifest["explore"] = explored
    manifest["properties"] = described
    manifest["build"] = notify.finish()
    art.write_json(root / art.MANIFEST, manifest)
    _remove_unreferenced(root, manifest)
    built = [name for name in names if name not in reused]
    return BuildResult(root=root, built=built, reused=reused, manifest=manifest)


def _with_extras(root: Path, name: str, entry: dict, ds: Dataset, *, notify, model, images) -> dict:
    """``entry`` with what the build adds to a model beside its predictions: the per-cell maps and the
    robustness answers (each step skips a model that has it or cannot have it)."""
    entry = cell_build.with_cell_maps(root, name, entry, ds, notify=notify, model=model)
    return robust_build.with_robustness(root, entry, images=images, notify=notify, model=model)


def _step(notify, name: str, index: int, total: int) -> Callable[[str], None]:
    return lambda stage: notify(BuildEvent(name, index, total, stage))


def _train_on_cluster(ds: Dataset, queued: list[tuple[int, str, str]], *, seed: int, cv: int):
    """Yield ``(index, name, key, Trained)`` as the active joblib backend (Dask) finishes each model.

    One task per model (``batch_size=1``), all submitted at once; the
    images are sent to the cluster once and shared by the tasks.
    """
    calls = []
    for index, name, key in queued:
        args, options = _train_call(REGISTRY[name], ds, seed=seed, cv=cv)
        calls.append(joblib.delayed(_tagged)((index, name, key), *args, **options))
    if calls:
        yield from joblib.Parallel(n_jobs=-1, batch_size=1, return_as="generator_unordered")(calls)


def _train_call(spec: ModelSpec, ds: Dataset, *, seed: int, cv: int) -> tuple[tuple, dict]:
    """The arguments of :func:`core.models.training.train` for ``spec`` (the same arrays for every multiclass model)."""
    y_train, _, class_names = task_labels(spec, ds)
    return ((spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train, y_train, ds.X_test),
            {"n_classes": len(class_names), "seed": seed, "cv": cv})


def _tagged(tag: tuple, *args, **kwargs) -> tuple:
    return (*tag, train(*args, **kwargs))


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


def model_key(spec: ModelSpec, ds: Dataset, *, seed: int, cv: int, epochs: int | None = None,
              threads: int | None = None) -> str:
    """Hash of everything a fitted model depends on; equal keys mean "up to date".

    A network model's key holds its settings (with ``epochs`` and ``threads``) and the PyTorch version, not ``cv``
    (it has no cross-validation).
    """
    torch = spec.runtime == "torch"
    made = deep_build.settings(spec, ds, seed=seed, epochs=epochs, threads=threads) if torch else spec.make(
        image_shape=ds.image_shape, seed=seed)
    payload = {
        "format": art.FORMAT, "name": spec.name, "task": spec.task, "positive": spec.positive_class,
        "data": ds.content_hash, "seed": seed, "cv": 0 if torch else cv, "versions": art.runtime_versions(),
        "params": describe_params(made),
    }
    if torch:
        payload["torch"] = deep.torch_version()
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


def _save_model(root: Path, spec: ModelSpec, ds: Dataset, trained: Trained, *, key: str, notify, seed: int) -> dict:
    """Time one-image predictions here, write the model and its predictions, and return its manifest entry.

    A binary detector also gets its threshold for a target precision from cross-validated training
    scores (:func:`core.models.concepts.detector_threshold`), fitted here.
    """
    y_train, y_test, class_names = task_labels(spec, ds)
    model, y_pred, cv_scores = trained.model, trained.y_pred, trained.cv_scores
    detector_arrays, detector_metrics = {}, {}
    if spec.task == "binary" and hasattr(model, "decision_function"):
        detector_arrays, detector_metrics = concepts.detector_threshold(
            lambda: spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train, y_train,
            test_true=y_test, test_decision=trained.scores[:, 1], seed=seed)
    notify("latency")
    predict_ms = median_latency_ms(model, ds.X_test)
    notify("save")
    stem = f"models/{spec.name}-{key[:12]}"
    model_path, pred_path = root / f"{stem}.joblib", root / f"{stem}.npz"
    art.write_model(model_path, model)
    art.write_npz(pred_path, {"y_true": y_test, "y_pred": y_pred, "scores": trained.scores, **detector_arrays})
    return {
        "title": spec.title, "description": spec.description, "task": spec.task,
        "positive_class": spec.positive_class, "class_names": list(class_names), "score_kind": trained.score_kind,
        "temperature": trained.temperature,
        "key": key, "params": describe_params(model), "fit_warnings": trained.fit_warnings,
        "files": {"model": f"{stem}.joblib", "predictions": f"{stem}.npz"},
        "sha256": {f"{stem}.joblib": art.sha256_file(model_path), f"{stem}.npz": art.sha256_file(pred_path)},
        "metrics": {**model_metrics(y_test, y_pred, fit_seconds=trained.fit_seconds, predict_ms=predict_ms,
                                    size_bytes=model_path.stat().st_size, n_train=len(y_train), cv_scores=cv_scores),
                    **detector_metrics},
    }


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


def _current_entry(root: Path, manifest: dict | None, field: str, key: str) -> dict | None:
    """The manifest's dataset-level entry ``field`` when its key is ``key`` and its files are intact."""
    old = (manifest or {}).get(field)
    return old if isinstance(old, dict) and old.get("key") == key and _intact(root, old) else None


def _explore(root: Path, ds: Dataset, manifest: dict | None, *, seed: int, notify, memory) -> dict:
    """The explore entry: the current one when its key is unchanged and its files intact, else a new one."""
    key = embedding.explore_key(ds, seed=seed, versions=art.runtime_versions())
    entry = _current_entry(root, manifest, "explore", key)
    if entry is None:
        entry = embedding.write_explore(root, ds, key=key, seed=seed, notify=notify, memory=memory)
    else:
        notify("skip")
    notify("done")
    return entry


def _properties(root: Path, ds: Dataset, manifest: dict | None) -> dict:
    """The per-image properties entry (:mod:`core.data.properties`): the current one when its key is unchanged and
    its file intact, else a new one (about a second for 10,000 images, reported within the explore step)."""
    key = properties.properties_key(ds)
    return _current_entry(root, manifest, "properties", key) or properties.write_properties(root, ds, key=key)


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
    candidates = [*root.glob("data-*.npz"), *root.glob("explore-*"), *root.glob("models/*"), *root.glob(".*.tmp")]
    for path in candidates:
        if path.is_file() and path.relative_to(root).as_posix() not in keep:
            path.unlink(missing_ok=True)
