"""Build step of the robustness measurement (:mod:`core.analysis.robustness`), run for every multiclass model a
build trains or keeps: the model's answers to the perturbed subset, written once per model file as
``models/<name>-<key12>_robust.npz`` and listed in the entry's ``files["robust"]``, so a rebuild adds them to older
sets without training anything again. The perturbed images are made once per build and shared by every model.

Examples
--------
>>> from core.artifacts.build import build
>>> build(dataset="digits", models="sgd", artifacts_dir="/tmp/dl-robust").manifest["models"]["sgd"]["files"]["robust"]  # doctest: +SKIP
'models/sgd-....._robust.npz'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from core import artifacts as art
from core.analysis import robustness
from core.artifacts.cell_build import fitted_model
from core.data import Dataset


def perturbed_images(ds: Dataset, *, seed: int) -> Callable[[], robustness.Perturbed]:
    """A function that makes ``ds``'s perturbed test subset on its first call and returns the same on later ones."""
    return cache(lambda: robustness.perturbed(ds.X_test, ds.y_test, image_shape=ds.image_shape, seed=seed))


def with_robustness(root: Path, entry: dict, *, images: Callable[[], robustness.Perturbed], notify,
                    model=None) -> dict:
    """``entry`` with its answers to the perturbed subset written and listed; unchanged when it has them, is not
    a multiclass model or has no model file. ``model`` is the fitted model when the build holds it (else it is
    read from its file)."""
    if entry["task"] != "multiclass" or "robust" in entry["files"] or "model" not in entry["files"]:
        return entry
    notify("robust")
    start = time.perf_counter()
    model = fitted_model(root, entry) if model is None else model
    found = robustness.measure(lambda rows: np.asarray(model.predict(rows)), images(), workers=min(2, os.cpu_count() or 1))
    relative = entry["files"]["predictions"].removesuffix(".npz") + "_robust.npz"
    art.write_npz(root / relative, found.to_arrays())
    return {**entry, "files": {**entry["files"], "robust": relative},
            "sha256": {**entry["sha256"], relative: art.sha256_file(root / relative)},
            "metrics": {**entry["metrics"], "robustness_seconds": round(time.perf_counter() - start, 3)}}
