"""Build step of the per-cell mean maps (:mod:`core.analysis.cell_maps`), run for every multiclass model a build
trains or keeps: written once per model file as ``models/<name>-<key12>_cells.npz`` and listed in the entry's
``files["cells"]``, so a rebuild adds them to older sets without training anything again.

Examples
--------
>>> from core.artifacts.build import build
>>> build(dataset="digits", models="sgd", artifacts_dir="/tmp/dl-cells").manifest["models"]["sgd"]["files"]["cells"]  # doctest: +SKIP
'models/sgd-....._cells.npz'
"""

from __future__ import annotations

import time
from pathlib import Path

import joblib
import numpy as np

from core import artifacts as art
from core.analysis import attribution, cell_maps, evaluation
from core.data import Dataset
from core.models import onnx_model
from core.models.training import model_scores


def with_cell_maps(root: Path, name: str, entry: dict, ds: Dataset, *, notify, model=None) -> dict:
    """``entry`` with its cell maps written and listed; unchanged when it has them, is not a multiclass model or
    has no model file. ``model`` is the fitted model when the build holds it (else it is read from its file)."""
    if entry["task"] != "multiclass" or "cells" in entry["files"] or "model" not in entry["files"]:
        return entry
    notify("explain")
    start = time.perf_counter()
    model = fitted_model(root, entry) if model is None else model
    with np.load(root / entry["files"]["predictions"], allow_pickle=False) as npz:
        stored = {key: npz[key] for key in ("y_true", "y_pred", "scores")}
    scores, kind, temperature = stored["scores"], entry["score_kind"], entry["temperature"]
    proba = attribution.scorer_proba(lambda X: model_scores(model, X, n_classes=len(entry["class_names"])),
                                     temperature=temperature)
    confidence = evaluation.probabilities(scores, score_kind=kind, temperature=temperature).max(axis=1)
    found = cell_maps.cell_maps(proba, ds.X_test, stored["y_true"], stored["y_pred"], confidence=confidence,
                                image_shape=ds.image_shape)
    relative = entry["files"]["predictions"].removesuffix(".npz") + "_cells.npz"
    art.write_npz(root / relative, found.to_arrays())
    return {**entry, "files": {**entry["files"], "cells": relative},
            "sha256": {**entry["sha256"], relative: art.sha256_file(root / relative)},
            "metrics": {**entry["metrics"], "cell_maps_seconds": round(time.perf_counter() - start, 3)}}


def fitted_model(root: Path, entry: dict):
    """The entry's model from its file (already checked against its checksum by the build)."""
    path = root / entry["files"]["model"]
    spec = art.onnx_input(entry)
    if spec is not None:
        return onnx_model.load(path.read_bytes(), spec, n_classes=len(entry["class_names"]))
    return joblib.load(path)
