"""Your own model in Digit Lens: import test-set predictions, an ONNX model or a fitted scikit-learn model.

An import adds one entry to an existing artifact set, beside the built models:
``models/<name>-<key12>.npz`` (test predictions and per-class scores, like a
built model's) and, for a model file, ``models/<name>-<key12>.onnx`` or
``.joblib`` (the file's own bytes). Everything is checked before anything is
written; files are written first, then the manifest, under the build lock.
The entry is bound to the artifact set's dataset hash: a rebuild on the same
data keeps it, a rebuild on other data drops it.

Examples
--------
>>> from core.artifacts.imports import import_model, import_predictions, remove_model   # doctest: +SKIP
>>> import_predictions("artifacts", "mycnn", "mycnn.csv").entry["metrics"]["test_accuracy"]  # doctest: +SKIP
0.9912
>>> import_model("artifacts", "mycnn_onnx", "mycnn.onnx").entry["imported"]["input"]["layout"]  # doctest: +SKIP
'nchw'
>>> remove_model("artifacts", "mycnn")                                         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from core import artifacts as art
from core.models import REGISTRY, onnx_model
from core.models.training import median_latency_ms, model_scores
from core.artifacts.predictions_file import InvalidImport, read_predictions

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
MODEL_SUFFIXES = (".onnx", ".joblib")
MAX_MODEL_BYTES = 1 << 30
#: The scale guard of a float ONNX input: scales are compared on this many test images (stratified, seeded).
SCALE_SAMPLE = 300
SCALE_SEED = 0
#: Accuracy below this multiple of chance (1 / classes) is near chance: the pixels are not what the model expects.
NEAR_CHANCE = 2.0
#: Another scale replaces the default only when it beats it on the sample by this much and is not near chance.
SCALE_GAP = 0.2
FLOAT_SCALES = ("unit", "byte")


@dataclass(frozen=True)
class ImportResult:
    """What an import added: the model's name, its manifest entry and the seconds it took."""

    root: Path
    name: str
    entry: dict
    seconds: float


@dataclass(frozen=True)
class _Staged:
    """A checked import, not yet written."""

    kind: str
    source: Path
    y_pred: np.ndarray
    scores: np.ndarray
    score_kind: str
    description: str
    model_bytes: bytes | None = None
    predict_ms: float | None = None
    extra: dict = field(default_factory=dict)


def import_predictions(root, name: str, path, *, score_kind: str = "proba", title: str | None = None) -> ImportResult:
    """Add a predictions file (CSV, Parquet or NPZ; see :mod:`core.artifacts.predictions_file`) as model ``name``.

    Parameters
    ----------
    root : artifact folder (None: :func:`core.artifacts.default_artifacts_dir`)
    name : new model name (letters, digits, ``_``; not a built or registry model)
    path : the predictions file
    score_kind : ``"proba"`` (class columns are probabilities) or ``"decision"`` (logits, decision values)
    title : shown name; ``(predictions only)`` is appended
    """
    def stage(data: art.DataBundle) -> _Staged:
        y_pred, scores = read_predictions(path, class_names=data.class_names, n_test=len(data.y_test),
                                          score_kind=score_kind)
        return _Staged(kind="predictions", source=Path(path), y_pred=y_pred, scores=scores, score_kind=score_kind,
                       description=f"Predictions imported from {Path(path).name}; the model itself is not here, "
                                   "so it cannot score new images.")

    return _import(root, name, stage, title=f"{title or name} (predictions only)")


def import_model(root, name: str, path, *, layout: str | None = None, scale: str | None = None,
                 output: str = "auto", title: str | None = None) -> ImportResult:
    """Add a model file as model ``name``, evaluated on the artifact set's test images like a built model.

    ``FILE.onnx`` runs with onnxruntime (``layout``, ``scale`` and ``output`` as in
    :func:`core.models.onnx_model.inspect` and :func:`core.models.onnx_model.resolve_output`;
    a float input's scale is checked against the test labels, see :func:`_run_guarded`);
    ``FILE.joblib`` is a fitted scikit-learn estimator on raw 0-255 pixel rows.
    Loading a joblib file unpickles it, which runs code from the file: only
    import files you trust.
    """
    path = Path(path)
    if path.suffix not in MODEL_SUFFIXES:
        raise InvalidImport(f"{path}: a model file must be .onnx or .joblib; for predictions use --predictions.")
    if path.suffix == ".joblib" and (layout or scale or output != "auto"):
        raise InvalidImport(f"{path}: --input-layout, --input-scale and --output are for ONNX models; a scikit-learn "
                            "model takes raw pixel rows.")
    stage = _stage_onnx if path.suffix == ".onnx" else _stage_sklearn
    kind = "ONNX" if path.suffix == ".onnx" else "scikit-learn"
    return _import(root, name, lambda data: stage(path, data, layout=layout, scale=scale, output=output),
                   title=f"{title or name} (imported {kind})")


def remove_model(root, name: str) -> list[str]:
    """Remove model ``name`` (imported or built) from the artifact set; returns the files deleted."""
    root = _root(root)
    art.read_manifest(root)
    with art.build_lock(root):
        manifest = art.read_manifest(root)
        if name not in manifest["models"]:
            raise art.MissingArtifacts(f"No model {name!r} in {root}; it holds: "
                                       f"{', '.join(manifest['models']) or 'none'}.")
        entry = manifest["models"].pop(name)
        still = {rel for other in manifest["models"].values() for rel in other["files"].values()}
        gone = [rel for rel in entry["files"].values() if rel not in still
                and re.fullmatch(rf"models/{re.escape(name)}-\w+\.(npz|joblib|onnx)", str(rel))]
        manifest["files"] = {rel: digest for rel, digest in manifest["files"].items() if rel not in gone}
        art.write_json(root / art.MANIFEST, manifest)
        for relative in gone:
            (root / relative).unlink(missing_ok=True)
    return gone


def _root(root) -> Path:
    return Path(root) if root is not None else art.default_artifacts_dir()


def _import(root, name: str, stage: Callable[[art.DataBundle], _Staged], *, title: str) -> ImportResult:
    """Check ``name``, stage the import on the set's test data, then write its files and the manifest."""
    root = _root(root)
    art.read_manifest(root)  # a missing set is reported before the lock creates anything
    start = time.perf_counter()
    with art.build_lock(root):
        aset = art.open_artifacts(root, strict=False)
        _check_name(aset, name)
        data = aset.data()
        entry = _write(root, aset, data, name, stage(data), title=title)
    return ImportResult(root=root, name=name, entry=entry, seconds=time.perf_counter() - start)


def _check_name(aset: art.ArtifactSet, name: str) -> None:
    if not NAME.fullmatch(name):
        raise InvalidImport(f"{name!r} is not a model name: use a letter, then letters, digits or _ (at most 40).")
    if name in REGISTRY or name in aset.model_names:
        where = "is already in " + str(aset.root) if name in aset.model_names else "is a Digit Lens model's name"
        raise InvalidImport(f"{name!r} {where}; choose another name"
                            + (f", or remove it first: {art.python_command()} -m core remove {name} --artifacts "
                               f"{aset.root}" if name in aset.model_names else "") + ".")


def _read_model_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise InvalidImport(f"{path} is {size / 2**30:.1f} GiB; Digit Lens imports models up to 1 GiB.")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidImport(f"Cannot read {path} ({exc.strerror or exc}); check the path.") from None


def _stage_onnx(path: Path, data: art.DataBundle, *, layout, scale, output) -> _Staged:
    content = _read_model_bytes(path)
    n_classes = len(data.class_names)
    try:
        spec = onnx_model.inspect(content, image_shape=data.image_shape, n_classes=n_classes, layout=layout,
                                  scale=scale)
        spec, raw, note = _run_guarded(content, spec, data=data, declared=scale)
        spec = replace(spec, output=onnx_model.resolve_output(raw, output))
        model = onnx_model.OnnxClassifier(content, spec=spec, n_classes=n_classes)
        predict_ms = median_latency_ms(model, data.X_test)
    except onnx_model.OnnxInputError as exc:
        raise InvalidImport(f"{path}: {exc}.") from None
    except Exception as exc:  # onnxruntime raises its own types for unreadable graphs and failed runs
        raise InvalidImport(f"{path} cannot be run by onnxruntime ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else ''}); check it is an ONNX model.") from None
    scores = onnx_model.to_proba(raw, spec.output)
    return _Staged(kind="onnx", source=path, y_pred=scores.argmax(axis=1).astype(np.int64), scores=scores,
                   score_kind="proba", model_bytes=content, predict_ms=predict_ms,
                   description=f"ONNX model imported from {path.name}; input {spec.describe()}.{note}",
                   extra={"input": spec.to_dict()})


def _raw_output(content: bytes, spec: onnx_model.InputSpec, *, X: np.ndarray, n_classes: int) -> np.ndarray:
    """The graph's output for rows ``X``, checked to be one row of ``n_classes`` values per image.

    Raises
    ------
    core.models.onnx_model.OnnxInputError
        When the output has another shape.
    """
    raw = onnx_model.OnnxClassifier(content, spec=spec, n_classes=n_classes).raw_output(X)
    if raw.ndim != 2 or raw.shape != (len(X), n_classes):
        raise onnx_model.OnnxInputError(f"the model gives output of shape {raw.shape} for {len(X)} images; this "
                                        f"artifact set has {n_classes} classes")
    return raw


def _run_guarded(content: bytes, spec: onnx_model.InputSpec, *, data: art.DataBundle, declared: str | None
                 ) -> tuple[onnx_model.InputSpec, np.ndarray, str]:
    """The graph's test-set output under the scale guard of a float input.

    Parameters
    ----------
    content : the ONNX model's bytes
    spec : the spec :func:`core.models.onnx_model.inspect` read (scale ``unit`` when none was declared)
    data : the artifact set's data, whose test labels judge the scale
    declared : the user's ``--input-scale``, or None

    Returns
    -------
    spec : ``spec``, with the scale chosen on a sample (:func:`_choose_scale`) when none was declared
    raw : the graph's output for every test image
    note : a sentence for the description when the scale was chosen, else ``""``

    Raises
    ------
    core.models.onnx_model.OnnxInputError
        When no scale fits, or the declared one gives near-chance test accuracy.
    """
    guarded = spec.scale in FLOAT_SCALES
    note = ""
    if guarded and declared is None:
        spec, note = _choose_scale(content, spec, data=data)
    raw = _raw_output(content, spec, X=data.X_test, n_classes=len(data.class_names))
    if guarded and declared is not None:
        _check_declared_scale(content, spec, data=data, raw=raw)
    return spec, raw, note


def _scale_sample(y: np.ndarray, *, size: int = SCALE_SAMPLE, seed: int = SCALE_SEED) -> np.ndarray:
    """Sorted indices of a stratified, seeded sample of ``size`` labels ``y`` (all of them when fewer).

    Examples
    --------
    >>> idx = _scale_sample(np.repeat(np.arange(10), 100), size=50)
    >>> len(idx), np.bincount(np.repeat(np.arange(10), 100)[idx]).tolist()
    (50, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    """
    if len(y) <= size:
        return np.arange(len(y))
    try:
        idx, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=seed)
    except ValueError:  # a class with a single image cannot be split in proportion
        idx = np.random.default_rng(seed).choice(len(y), size=size, replace=False)
    return np.sort(idx)


def _sample_accuracies(content: bytes, spec: onnx_model.InputSpec, *, data: art.DataBundle,
                       scales=FLOAT_SCALES) -> dict[str, float]:
    """Test accuracy on the scale sample (:func:`_scale_sample`) of the graph fed each of ``scales``."""
    idx = _scale_sample(data.y_test)
    X, y = data.X_test[idx], data.y_test[idx]
    n_classes = len(data.class_names)
    return {s: float(np.mean(_raw_output(content, replace(spec, scale=s), X=X, n_classes=n_classes).argmax(axis=1)
                             == y)) for s in scales}


def _near_chance(accuracy: float, *, n_classes: int) -> bool:
    """Whether ``accuracy`` is below :data:`NEAR_CHANCE` times chance (``1 / n_classes``)."""
    return accuracy < NEAR_CHANCE / n_classes


def _pick_scale(accuracies: dict[str, float], *, default: str, n_classes: int) -> str | None:
    """The scale that agrees with the labels: ``default`` unless another is clearly better, None when none fits.

    Examples
    --------
    >>> _pick_scale({"unit": 0.10, "byte": 0.91}, default="unit", n_classes=10)
    'byte'
    >>> _pick_scale({"unit": 0.90, "byte": 0.92}, default="unit", n_classes=10)
    'unit'
    >>> _pick_scale({"unit": 0.10, "byte": 0.12}, default="unit", n_classes=10) is None
    True
    """
    best = max(accuracies, key=lambda s: (accuracies[s], s == default))
    if (best != default and not _near_chance(accuracies[best], n_classes=n_classes)
            and accuracies[best] - accuracies[default] >= SCALE_GAP):
        return best
    return None if _near_chance(accuracies[default], n_classes=n_classes) else default


def _sample_text(accuracies: dict[str, float]) -> str:
    """E.g. ``0.873 with byte (floats 0-255), 0.097 with unit (floats 0-1)``, the best first."""
    order = sorted(accuracies, key=accuracies.get, reverse=True)
    return ", ".join(f"{accuracies[s]:.3f} with {s} ({onnx_model.SCALES[s]})" for s in order)


def _choose_scale(content: bytes, spec: onnx_model.InputSpec, *, data: art.DataBundle
                  ) -> tuple[onnx_model.InputSpec, str]:
    """The spec with the float scale that agrees with the test labels on a sample, and a sentence on the choice
    (empty when the default stands).

    Raises
    ------
    core.models.onnx_model.OnnxInputError
        When every scale is near chance.
    """
    n_classes = len(data.class_names)
    accuracies = _sample_accuracies(content, spec, data=data)
    chosen = _pick_scale(accuracies, default=spec.scale, n_classes=n_classes)
    sample = _sample_words(len(data.y_test))
    if chosen is None:
        raise onnx_model.OnnxInputError(f"the model's accuracy on {sample} is near chance ({1 / n_classes:.3f}) "
                                        f"with every input scale ({_sample_text(accuracies)}); "
                                        f"{_check_hint(n_classes)}")
    if chosen == spec.scale:
        return spec, ""
    return replace(spec, scale=chosen), (
        f" Input scale {chosen} chosen, not the default {spec.scale}: accuracy on {sample} "
        f"{_sample_text(accuracies)}; give --input-scale to set it yourself.")


def _check_declared_scale(content: bytes, spec: onnx_model.InputSpec, *, data: art.DataBundle,
                          raw: np.ndarray) -> None:
    """Refuse a declared float scale whose test accuracy (from the full test output ``raw``) is near chance.

    Raises
    ------
    core.models.onnx_model.OnnxInputError
        Naming the other scale and its accuracy on the scale sample.
    """
    n_classes = len(data.class_names)
    accuracy = float(np.mean(raw.argmax(axis=1) == data.y_test))
    if not _near_chance(accuracy, n_classes=n_classes):
        return
    other = next(s for s in FLOAT_SCALES if s != spec.scale)
    tried = _sample_accuracies(content, spec, data=data, scales=(other,))[other]
    sample = _sample_words(len(data.y_test))
    advice = (f"--input-scale {other} ({onnx_model.SCALES[other]}) gives {tried:.3f} on {sample}, near chance too: "
              f"{_check_hint(n_classes)}") if _near_chance(tried, n_classes=n_classes) else (
        f"use --input-scale {other} ({onnx_model.SCALES[other]}), which gives {tried:.3f} on {sample}, or leave "
        "--input-scale out to let Digit Lens choose")
    raise onnx_model.OnnxInputError(f"test accuracy {accuracy:.3f} with --input-scale {spec.scale} "
                                    f"({onnx_model.SCALES[spec.scale]}) is near chance ({1 / n_classes:.3f}); {advice}")


def _sample_words(n_test: int) -> str:
    """How the scale sample is named in messages, e.g. ``a stratified sample of 300 test images``."""
    return f"a stratified sample of {min(SCALE_SAMPLE, n_test)} test images"


def _check_hint(n_classes: int) -> str:
    """What to check when no input scale gives the model more than chance accuracy."""
    return (f"check it was trained on this artifact set's classes 0..{n_classes - 1}, in order, and on images like "
            "its test images")


def _stage_sklearn(path: Path, data: art.DataBundle, **_) -> _Staged:
    content = _read_model_bytes(path)
    n_classes = len(data.class_names)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = joblib.load(path)
        except Exception as exc:  # unpickling can fail in many ways
            raise InvalidImport(f"{path} cannot be loaded with joblib ({type(exc).__name__}: {exc}).") from None
        classes = getattr(model, "classes_", None)
        if not hasattr(model, "predict") or classes is None:
            raise InvalidImport(f"{path} holds a {type(model).__name__}, not a fitted scikit-learn classifier.")
        classes = np.asarray(classes)
        if classes.dtype.kind not in "iu" or classes.min() < 0 or classes.max() >= n_classes:
            raise InvalidImport(f"{path}: the model's classes {classes.tolist()[:12]} are not the class indices "
                                f"0..{n_classes - 1} of this artifact set; train it on the labels core.data returns.")
        try:
            y_pred = np.asarray(model.predict(data.X_test), dtype=np.int64)
            scores, score_kind = model_scores(model, data.X_test, n_classes=n_classes)
            predict_ms = median_latency_ms(model, data.X_test)
        except Exception as exc:  # whatever the user's estimator raises
            raise InvalidImport(f"{path}: predicting the test images failed ({type(exc).__name__}: {exc}); the "
                                f"model must take raw pixel rows of {data.X_test.shape[1]} values 0-255.") from None
    return _Staged(kind="sklearn", source=path, y_pred=y_pred, scores=scores, score_kind=score_kind,
                   model_bytes=content, predict_ms=predict_ms,
                   description=f"scikit-learn {type(model).__name__} imported from {path.name}.",
                   extra={"warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught})})



def _write(root: Path, aset: art.ArtifactSet, data: art.DataBundle, name: str, staged: _Staged, *, title: str
           ) -> dict:
    """Write the staged files, then the manifest with the new entry; on failure delete what was written."""
    dataset_hash = aset.dataset["hash"]
    digest = hashlib.sha256(staged.model_bytes or b"")
    digest.update(np.ascontiguousarray(staged.scores).tobytes() + staged.y_pred.tobytes())
    digest.update(json.dumps([name, staged.kind, dataset_hash, staged.extra.get("input")]).encode())
    key = digest.hexdigest()
    stem = f"models/{name}-{key[:12]}"
    y_true = data.y_test
    files = {"predictions": f"{stem}.npz"}
    if staged.model_bytes is not None:
        files["model"] = f"{stem}{staged.source.suffix}"
    written = []
    try:
        written.append(root / files["predictions"])
        art.write_npz(written[-1], {"y_true": y_true, "y_pred": staged.y_pred, "scores": staged.scores})
        if "model" in files:
            written.append(root / files["model"])
            art.atomic_write(written[-1], lambda tmp: tmp.write_bytes(staged.model_bytes))
        entry = _entry(staged, title=title, key=key, files=files, y_true=y_true, class_names=data.class_names,
                       dataset_hash=dataset_hash,
                       sha256={rel: art.sha256_file(root / rel) for rel in files.values()},
                       size=len(staged.model_bytes) if staged.model_bytes is not None else None)
        manifest = {**aset.manifest, "models": {**aset.manifest["models"], name: entry}}
        manifest["files"] = dict(sorted({**aset.manifest["files"], **entry["sha256"]}.items()))
        art.write_json(root / art.MANIFEST, manifest)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return entry


def _entry(staged: _Staged, *, title: str, key: str, files: dict, y_true, class_names, dataset_hash: str,
           sha256: dict, size: int | None) -> dict:
    imported = {"kind": staged.kind, "source": staged.source.name, "dataset_hash": dataset_hash}
    if "input" in staged.extra:
        imported["input"] = staged.extra["input"]
    return {
        "title": title, "description": staged.description, "task": "multiclass", "positive_class": None,
        "class_names": list(class_names),
        "score_kind": staged.score_kind, "temperature": 1.0, "key": key,
        "fit_warnings": staged.extra.get("warnings", []), "imported": imported,
        "files": files, "sha256": sha256,
        "metrics": {
            "test_accuracy": float(accuracy_score(y_true, staged.y_pred)),
            "macro_f1": float(f1_score(y_true, staged.y_pred, average="macro")),
            "fit_seconds": None, "predict_ms": None if staged.predict_ms is None else round(staged.predict_ms, 3),
            "size_bytes": size, "n_train": None, "cv_mean": None, "cv_std": None,
        },
    }
