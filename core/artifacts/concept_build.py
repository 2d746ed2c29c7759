"""Build step of the study's multilabel and multioutput models (called by :func:`core.artifacts.build.build`).

Writes the same files and manifest entry as every other model (the fitted
Pipeline and a ``.npz`` with ``y_true``, ``y_pred`` and ``scores``), with
the task's own arrays and metrics:

- ``multilabel``: ``y_true``/``y_pred`` are ``(n_test, 2)`` 0/1 columns
  (:data:`core.models.concepts.LABELS`), ``scores`` the probability (or decision
  value) of each label; metrics add the weighted F1 and the 3-fold
  cross-validated macro F1 on the training set (the study's figure).
- ``multioutput`` (the denoiser): on the first
  :data:`core.models.concepts.DENOISE_TEST_ROWS` test images with noise of the
  training amplitude, ``y_true`` holds the clean images, ``y_pred`` the
  cleaned ones (uint8 pixel rows), ``scores`` the per-image mean absolute
  error of the noisy and of the cleaned image; metrics hold their means.

Examples
--------
>>> from core.artifacts.build import build
>>> build(dataset="digits", models="concepts", artifacts_dir="/tmp/dl-concepts")  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from core import artifacts as art
from core.artifacts import build as core_build
from core.models import ModelSpec, concepts
from core.data import Dataset
from core.models.training import median_latency_ms

TASKS = ("multilabel", "multioutput")


def build_concept(root: Path, spec: ModelSpec, ds: Dataset, *, key: str, seed: int, cv: int, notify) -> dict:
    """Fit ``spec`` (a multilabel or multioutput model), store its outputs and return its manifest entry."""
    if spec.task not in TASKS:
        raise ValueError(f"{spec.name} has task {spec.task!r}; this step builds only {', '.join(TASKS)}.")
    model = spec.make(image_shape=ds.image_shape, seed=seed)
    multilabel = spec.task == "multilabel"
    fit_seconds, fit_warnings = _fit(model, ds.X_train, concepts.multilabel_targets(ds.y_train) if multilabel
                                     else None, notify)
    notify("predict")
    arrays, metrics, inputs = _multilabel_outputs(model, ds) if multilabel else _denoise_outputs(model, ds, seed=seed)
    notify("latency")
    predict_ms = median_latency_ms(model, inputs)
    if multilabel:
        notify("cv")
        metrics.update(_multilabel_cv(spec, ds, folds=cv or concepts.CV_FOLDS, seed=seed))
    class_names = list(concepts.LABELS) if multilabel else []
    score_kind = metrics.pop("score_kind")
    notify("save")
    stem = f"models/{spec.name}-{key[:12]}"
    model_path, pred_path = root / f"{stem}.joblib", root / f"{stem}.npz"
    art.write_model(model_path, model)
    art.write_npz(pred_path, arrays)
    return {
        "title": spec.title, "description": spec.description, "task": spec.task, "positive_class": None,
        "class_names": class_names, "score_kind": score_kind, "temperature": 1.0,
        "key": key, "params": core_build.describe_params(model), "fit_warnings": fit_warnings,
        "files": {"model": f"{stem}.joblib", "predictions": f"{stem}.npz"},
        "sha256": {f"{stem}.joblib": art.sha256_file(model_path), f"{stem}.npz": art.sha256_file(pred_path)},
        "metrics": {"fit_seconds": round(fit_seconds, 3), "predict_ms": round(predict_ms, 3),
                    "size_bytes": model_path.stat().st_size, "n_train": int(len(ds.y_train)),
                    "cv_mean": None, "cv_std": None, **metrics},
    }


def _fit(model, X, y, notify) -> tuple[float, list[str]]:
    """Fit ``model`` on all cores; its wall time and the distinct warnings it raised."""
    notify("fit")
    start = time.perf_counter()
    with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    return time.perf_counter() - start, sorted({f"{w.category.__name__}: {w.message}" for w in caught})


def label_scores(model, X) -> tuple[np.ndarray, str]:
    """``(scores, kind)``: each label's probability of being 1 when the model has probabilities, else its
    decision value; one column per label."""
    if not hasattr(model, "predict_proba"):
        return np.asarray(model.decision_function(X), dtype=np.float32), "decision"
    proba = model.predict_proba(X)
    if isinstance(proba, list):  # one (n, n_classes) array per label, as KNeighborsClassifier returns
        proba = np.column_stack([p[:, list(c).index(1)] if 1 in c else np.zeros(len(p))
                                 for p, c in zip(proba, model.classes_)])
    return np.asarray(proba, dtype=np.float32), "proba"


def _multilabel_outputs(model, ds: Dataset) -> tuple[dict, dict, np.ndarray]:
    y_true = concepts.multilabel_targets(ds.y_test)
    y_pred = np.asarray(model.predict(ds.X_test), dtype=np.int64)
    scores, kind = label_scores(model, ds.X_test)
    metrics = {
        "test_accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "score_kind": kind,
    }
    return {"y_true": y_true, "y_pred": y_pred, "scores": scores}, metrics, ds.X_test


def _multilabel_cv(spec: ModelSpec, ds: Dataset, *, folds: int, seed: int) -> dict:
    """Macro F1 of ``folds``-fold cross-validated predictions on the training set (the study's protocol)."""
    Y = concepts.multilabel_targets(ds.y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = concepts.cv_predictions(lambda: spec.make(image_shape=ds.image_shape, seed=seed), ds.X_train, Y,
                                            folds=folds, seed=seed)
    return {"cv_macro_f1": float(f1_score(Y, predicted, average="macro", zero_division=0)), "cv_folds": folds}


def _denoise_outputs(model, ds: Dataset, *, seed: int) -> tuple[dict, dict, np.ndarray]:
    """The denoiser on the first test images with noise of its training amplitude (seed ``seed + 1``,
    so the test noise is not the training noise)."""
    amplitude = model.named_steps["denoise"].amplitude
    original = ds.X_test[:concepts.DENOISE_TEST_ROWS]
    noisy = concepts.add_noise(original, amplitude=amplitude, seed=seed + 1)
    cleaned = concepts.clean(model, noisy)
    errors = np.column_stack([concepts.pixel_error(noisy, original),
                              concepts.pixel_error(cleaned, original)]).astype(np.float32)
    metrics = {"test_accuracy": None, "macro_f1": None, "score_kind": "pixel_error", "noise_amplitude": int(amplitude),
               "test_rows": int(len(original)), "mae_noisy": float(errors[:, 0].mean()),
               "mae_clean": float(errors[:, 1].mean())}
    return {"y_true": original, "y_pred": cleaned, "scores": errors}, metrics, noisy
