"""The artifact folder: its layout, its manifest, and the reader every consumer uses (atomic writes,
checksums and the build lock are in :mod:`core.artifacts.files`, and named here too).

``manifest.json`` is written last and atomically; it is the only entry point
and lists the SHA-256 of every file it refers to. Files are content-keyed, so
a build that dies half-way never touches what the current manifest points to.

Examples
--------
>>> from core.artifacts import open_artifacts            # doctest: +SKIP
>>> art = open_artifacts("artifacts")                     # doctest: +SKIP
>>> art.predictions("rf").y_pred[:5]                      # doctest: +SKIP
array([7, 2, 1, 0, 4])
"""

from __future__ import annotations

import json
import os
import platform
import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import joblib
import numpy as np
import sklearn

from core.artifacts.files import (LOCK_FILE, OWNER_FILE, ArtifactError, BuildInProgress, CorruptArtifacts,
                                  IncompatibleArtifacts, MissingArtifacts, PredictionsOnly, atomic_write,
                                  build_command, build_holder, build_lock, python_command, sha256_file, write_json,
                                  write_model, write_npz)

FORMAT = 2  # 2: pickled models name core's subpackages (core.data.preprocess...)
MANIFEST = "manifest.json"
ARTIFACTS_ENV = "DIGIT_LENS_ARTIFACTS"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _rebuild(root) -> str:
    return f"Rebuild with: {build_command(root)}"


def default_artifacts_dir() -> Path:
    """``$DIGIT_LENS_ARTIFACTS`` when set, else ``artifacts/`` in the repository."""
    return Path(os.environ.get(ARTIFACTS_ENV) or REPO_ROOT / "artifacts")


def runtime_versions() -> dict[str, str]:
    """The versions that decide whether a pickled model can be trusted."""
    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__}


def read_manifest(root) -> dict:
    """The parsed manifest of ``root``; raises :class:`ArtifactError` subclasses."""
    if Path(root).is_file():
        raise MissingArtifacts(f"{root} is a file, not an artifact folder; name the folder with --artifacts.")
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise MissingArtifacts(f"No artifacts in {Path(root)}: {MANIFEST} not found. "
                               f"Build them with: {build_command(root)}")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptArtifacts(f"{path} is unreadable ({exc}). {_rebuild(path.parent)}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise IncompatibleArtifacts(f"{path} has artifact format {found!r}, this version reads format {FORMAT!r}. "
                                    f"{_rebuild(path.parent)}")
    missing = _missing_keys(manifest)
    if missing:
        raise CorruptArtifacts(f"{path} lacks {', '.join(missing)}; it was edited or written by something else. "
                               f"{_rebuild(path.parent)}")
    return manifest


#: What every manifest and every model entry must hold (``fit_warnings``, ``params`` and ``key`` are optional).
MANIFEST_KEYS = {"dataset": dict, "models": dict, "files": dict, "data_file": str, "versions": dict,
                 "created": str}
DATASET_KEYS = ("name", "id", "hash", "image_shape", "class_names", "n_train", "n_test")
MODEL_KEYS = {"title": str, "task": str, "score_kind": str, "temperature": (int, float), "class_names": list,
              "sha256": dict, "files": dict, "metrics": dict}


def _missing_keys(manifest: dict) -> list[str]:
    """The keys a manifest lacks or holds with the wrong type, as 'models.rf.files' paths."""
    missing = [key for key, kind in MANIFEST_KEYS.items() if not isinstance(manifest.get(key), kind)]
    if isinstance(manifest.get("dataset"), dict):
        missing += [f"dataset.{key}" for key in DATASET_KEYS if key not in manifest["dataset"]]
    models = manifest.get("models")
    for name, entry in models.items() if isinstance(models, dict) else ():
        if not isinstance(entry, dict):
            missing.append(f"models.{name}")
            continue
        missing += [f"models.{name}.{key}" for key, kind in MODEL_KEYS.items() if not isinstance(entry.get(key), kind)]
        files = entry.get("files")
        needed = ("predictions",) if imported_kind(entry) == "predictions" else ("model", "predictions")
        if isinstance(files, dict):
            missing += [f"models.{name}.files.{key}" for key in needed if key not in files]
        if "imported" in entry and imported_kind(entry) not in IMPORTED_KINDS:
            missing.append(f"models.{name}.imported.kind")
    return missing


#: What an imported model entry (``"imported": {"kind": ...}``) holds: test predictions only, an ONNX model
#: run by onnxruntime, or a fitted scikit-learn model (see :mod:`core.artifacts.imports`).
IMPORTED_KINDS = ("predictions", "onnx", "sklearn")


def imported_kind(entry: dict) -> str | None:
    """``"predictions"``, ``"onnx"`` or ``"sklearn"`` for an imported model's entry, None for a built one."""
    imported = entry.get("imported")
    return imported.get("kind") if isinstance(imported, dict) else None


def onnx_input(entry: dict) -> dict | None:
    """The declared input of an ONNX model's entry (imported, or built: the CNN), None for any other model."""
    if imported_kind(entry) == "onnx":
        return entry["imported"].get("input") or {}
    spec = entry.get("onnx_input")
    return spec if isinstance(spec, dict) else None


def version_problems(manifest: dict) -> list[str]:
    """Differences between the versions that wrote ``manifest`` and the running ones."""
    built = manifest.get("versions", {})
    now = runtime_versions()
    return [
        f"built with {name} {built.get(name)}, running {now[name]}"
        for name in ("sklearn", "numpy") if built.get(name) != now[name]
    ]


@dataclass(frozen=True)
class Predictions:
    """A model's stored test-set output.

    Attributes
    ----------
    name : model name
    y_true : labels of the model's task (0/1 for a binary detector)
    y_pred : predicted class index per test row
    scores : ``(n_test, n_classes)`` float32, probabilities or decision values
    score_kind : ``"proba"`` or ``"decision"``
    class_names : names of the task's classes
    temperature : softmax temperature that turns decision values into probabilities
        (fitted on training data by the build; 1 for probability scores)
    """

    name: str
    y_true: np.ndarray
    y_pred: np.ndarray
    scores: np.ndarray
    score_kind: str
    class_names: tuple[str, ...]
    temperature: float = 1.0


@dataclass(frozen=True)
class DataBundle:
    """Test images and labels plus the stored dataset summary arrays."""

    X_test: np.ndarray
    y_test: np.ndarray
    y_train: np.ndarray
    image_shape: tuple[int, int]
    class_names: tuple[str, ...]
    summary: dict


class ArtifactSet:
    """Read access to one built artifact folder.

    Parameters
    ----------
    root : folder holding ``manifest.json``
    strict : raise :class:`IncompatibleArtifacts` when the scikit-learn or
        numpy version differs from the build's; when False such differences
        are listed in ``problems`` and stored predictions stay readable.
    """

    def __init__(self, root, *, strict: bool = True):
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        self._predictions: dict[str, Predictions] = {}
        self.problems = version_problems(self.manifest)
        if strict and self.problems:
            raise IncompatibleArtifacts(
                f"Artifacts in {self.root} were {'; '.join(self.problems)}. {_rebuild(self.root)}"
            )

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of ``manifest.json``: changes whenever a build changes anything."""
        return sha256_file(self.root / MANIFEST)

    @property
    def model_names(self) -> list[str]:
        return list(self.manifest["models"])

    @property
    def dataset(self) -> dict:
        return self.manifest["dataset"]

    def model_info(self, name: str) -> dict:
        try:
            return self.manifest["models"][name]
        except KeyError:
            raise MissingArtifacts(
                f"Model {name!r} is not in {self.root}; built: {', '.join(self.model_names) or 'none'}. "
                f"Build it with: {build_command(self.root)} --models {name}"
            ) from None

    def path(self, relative: str, *, pattern: str = r"[\w.-]+(/[\w.-]+)?") -> Path:
        """Absolute path of a manifest-listed file, checked against its SHA-256.

        Nothing is opened before the path is known to name a file inside the
        folder: ``relative`` must match ``pattern`` (relative, at most one
        folder deep, no ``..``) and resolve, links followed, to a path under
        ``root``. A manifest that points elsewhere is refused as corrupt.
        """
        if not isinstance(relative, str) or not re.fullmatch(pattern, relative) or ".." in relative.split("/"):
            raise CorruptArtifacts(f"{self.root / MANIFEST} names {relative!r}, which is not one of this folder's "
                                   f"artifact files; the manifest was edited or damaged. {_rebuild(self.root)}")
        path = self.root / relative
        root = self.root.resolve()
        if root not in path.resolve().parents:
            raise CorruptArtifacts(f"{path} leads outside {root}; the manifest was edited or damaged. "
                                   f"{_rebuild(self.root)}")
        if not path.is_file():
            raise MissingArtifacts(f"{path} is listed in the manifest but missing. {_rebuild(self.root)}")
        if sha256_file(path) != self.manifest["files"].get(relative):
            raise CorruptArtifacts(f"{path} does not match its checksum in the manifest. {_rebuild(self.root)}")
        return path

    def _load_npz(self, relative: str, *, pattern: str) -> dict:
        """The arrays of a checked ``.npz``, marked read-only so a shared copy cannot be changed by a reader."""
        path = self.path(relative, pattern=pattern)
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise CorruptArtifacts(f"{self.root / relative} is unreadable ({exc}). {_rebuild(self.root)}") from exc
        for array in arrays.values():
            array.flags.writeable = False
        return arrays

    def predictions(self, name: str) -> Predictions:
        """The stored test output of ``name``, read and checked once per opened set (read-only arrays)."""
        if name not in self._predictions:
            info = self.model_info(name)
            arrays = self._load_npz(info["files"]["predictions"], pattern=rf"models/{re.escape(name)}-\w+\.npz")
            missing = {"y_true", "y_pred", "scores"} - set(arrays)
            if missing:
                raise CorruptArtifacts(f"{self.root / info['files']['predictions']} lacks {', '.join(sorted(missing))}."
                                       f" {_rebuild(self.root)}")
            self._predictions[name] = Predictions(
                name=name, y_true=arrays["y_true"], y_pred=arrays["y_pred"], scores=arrays["scores"],
                score_kind=info["score_kind"], class_names=tuple(info["class_names"]),
                temperature=info["temperature"],
            )
        return self._predictions[name]

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Every array of the stored outputs of ``name``, the task's extras too (e.g. a detector's
        cross-validated training scores), checked and read-only."""
        info = self.model_info(name)
        return self._load_npz(info["files"]["predictions"], pattern=rf"models/{re.escape(name)}-\w+\.npz")

    def cell_maps(self, name: str) -> dict[str, np.ndarray] | None:
        """The per-cell mean maps of ``name`` (:class:`core.analysis.cell_maps.CellMaps`'s arrays), None for a set
        built before them or a model without them (predictions only, not multiclass)."""
        relative = self.model_info(name)["files"].get("cells")
        return None if relative is None else self._load_npz(relative,
                                                            pattern=rf"models/{re.escape(name)}-\w+_cells\.npz")

    def robustness(self, name: str) -> dict[str, np.ndarray] | None:
        """The answers of ``name`` to the perturbed test subset (:class:`core.analysis.robustness.Robustness`'s
        arrays), None for a set built before them or a model without them (predictions only, not multiclass)."""
        relative = self.model_info(name)["files"].get("robust")
        return None if relative is None else self._load_npz(relative,
                                                            pattern=rf"models/{re.escape(name)}-\w+_robust\.npz")

    def data(self) -> DataBundle:
        """Test images and labels and the dataset summary arrays (read-only)."""
        arrays = self._load_npz(self.manifest["data_file"], pattern=r"data-\w+\.npz")
        missing = {"X_test", "y_test", "y_train"} - set(arrays)
        if missing:
            raise CorruptArtifacts(f"{self.root / self.manifest['data_file']} lacks {', '.join(sorted(missing))}. "
                                   f"{_rebuild(self.root)}")
        ds = self.dataset
        return DataBundle(
            X_test=arrays.pop("X_test"), y_test=arrays.pop("y_test"), y_train=arrays.pop("y_train"),
            image_shape=tuple(ds["image_shape"]), class_names=tuple(ds["class_names"]), summary=arrays,
        )

    @property
    def has_explore(self) -> bool:
        """Whether the build stored the map and neighbour index (sets built before they existed lack them)."""
        return isinstance(self.manifest.get("explore"), dict)

    def explore(self) -> dict:
        """The explore arrays (map, neighbours, training features and images), checked and read-only."""
        if not self.has_explore:
            raise MissingArtifacts(f"{self.root} has no map or neighbour index (built by an older version). "
                                   f"{_rebuild(self.root)}")
        relative = self._explore_file("arrays")
        arrays = self._load_npz(relative, pattern=r"explore-\w+\.npz")
        missing = {"coords", "neighbours", "distances", "train_features", "train_images"} - set(arrays)
        if missing:
            raise CorruptArtifacts(f"{self.root / relative} lacks {', '.join(sorted(missing))}. {_rebuild(self.root)}")
        return arrays

    def _explore_file(self, kind: str) -> str | None:
        files = self.manifest["explore"].get("files")
        return files.get(kind) if isinstance(files, dict) else None

    def load_feature_space(self):
        """The fitted Pipeline from raw pixel rows to the explore feature space (for drawn or uploaded digits)."""
        if self.problems:
            raise IncompatibleArtifacts(f"The feature space was {'; '.join(self.problems)}; unpickling it is unsafe. "
                                        f"{_rebuild(self.root)}")
        path = self.path(self._explore_file("space"), pattern=r"explore-\w+\.joblib")
        try:
            return joblib.load(path)
        except Exception as exc:  # unpickling can fail in many ways; all mean "rebuild"
            raise CorruptArtifacts(f"{path} cannot be loaded ({exc}). {_rebuild(self.root)}") from exc

    def load_model(self, name: str):
        """The fitted Pipeline of ``name`` (or an imported model), after checking its file against the manifest."""
        info = self.model_info(name)
        if imported_kind(info) == "predictions":
            raise PredictionsOnly(f"{info['title']} was imported as predictions on the test set only, so it cannot "
                                  "score new drawings; import the model file (--model FILE.onnx) to use it here.")
        if onnx_input(info) is not None:
            return self._load_onnx(name, info)
        if self.problems:
            raise IncompatibleArtifacts(
                f"Model {name!r} was {'; '.join(self.problems)}; unpickling it is unsafe. {_rebuild(self.root)}"
            )
        path = self.path(info["files"]["model"], pattern=rf"models/{re.escape(name)}-\w+\.joblib")
        try:
            return joblib.load(path)
        except Exception as exc:  # unpickling can fail in many ways; all mean "rebuild"
            raise CorruptArtifacts(f"{path} cannot be loaded ({exc}). {_rebuild(self.root)}") from exc

    def _load_onnx(self, name: str, info: dict):
        """An ONNX model (imported, or the built CNN): its checked bytes in a
        :class:`core.models.onnx_model.OnnxClassifier` (no pickle)."""
        from core.models import onnx_model  # onnxruntime is loaded only when an ONNX model is used

        path = self.path(info["files"]["model"], pattern=rf"models/{re.escape(name)}-\w+\.onnx")
        try:
            return onnx_model.load(path.read_bytes(), onnx_input(info),
                                   n_classes=len(info["class_names"]))
        except Exception as exc:  # a bad spec (ValueError) or whatever onnxruntime raises for the graph
            advice = (f"Remove it ({python_command()} -m core remove {name}) and import it again."
                      if imported_kind(info) else _rebuild(self.root))
            raise CorruptArtifacts(f"{path} cannot be loaded as model {name!r} ({str(exc).splitlines()[0]}). "
                                   f"{advice}") from None


def open_artifacts(root=None, *, strict: bool = True) -> ArtifactSet:
    """Open the artifact folder ``root`` (default :func:`default_artifacts_dir`)."""
    return ArtifactSet(root if root is not None else default_artifacts_dir(), strict=strict)


def load_model(artifacts_dir, name: str):
    """The fitted Pipeline ``name`` from ``artifacts_dir``, checksum verified against the manifest."""
    return open_artifacts(artifacts_dir).load_model(name)


__all__ = [
    "ARTIFACTS_ENV", "DATASET_KEYS", "FORMAT", "IMPORTED_KINDS", "LOCK_FILE", "MANIFEST", "MANIFEST_KEYS",
    "MODEL_KEYS", "OWNER_FILE", "ArtifactError", "ArtifactSet", "BuildInProgress", "CorruptArtifacts", "DataBundle",
    "IncompatibleArtifacts", "MissingArtifacts", "Predictions", "PredictionsOnly", "atomic_write", "build_command",
    "build_holder", "build_lock", "default_artifacts_dir", "imported_kind", "load_model", "onnx_input", "open_artifacts",
    "python_command", "read_manifest", "runtime_versions", "sha256_file", "version_problems", "write_json",
    "write_model", "write_npz",
]
