"""Fit one model and score the test images, here or as one task on a Dask worker; write nothing.

:func:`train` is the part of a build that :mod:`core.artifacts.build` can send to a
cluster (:mod:`core.models.cluster`): the fit, the test predictions and scores, the
softmax temperature of decision values and the CV accuracy. The build then
times one-image predictions and writes the files in its own process.

Examples
--------
>>> from core.data import load_dataset
>>> from core.models import REGISTRY
>>> from core.models.training import train
>>> ds = load_dataset("digits")
>>> trained = train(REGISTRY["sgd"].make(image_shape=(8, 8), seed=0), ds.X_train, ds.y_train, ds.X_test,
...                 n_classes=10, seed=0, cv=0)
>>> trained.y_pred.shape == ds.y_test.shape, trained.score_kind
(True, 'decision')
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score, train_test_split

from core.analysis import evaluation
from core.models.feature_cache import with_memory, without_memory

LATENCY_ROWS = 25
CALIBRATION_ROWS = 10_000


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


@dataclass(frozen=True)
class Trained:
    """What :func:`train` computed for one model: everything but the files and the latency."""

    model: object
    fit_seconds: float
    fit_warnings: list[str]
    y_pred: np.ndarray
    scores: np.ndarray
    score_kind: str
    temperature: float
    cv_scores: np.ndarray | None


def train(model, X_train, y_train, X_test, *, n_classes: int, seed: int, cv: int, notify=None,
          memory=None) -> Trained:
    """Fit ``model``, score the test images, fit its temperature and its CV accuracy; write nothing.

    It runs here or as one task on a Dask worker (:mod:`core.models.cluster`): the
    fits inside use joblib with ``n_jobs=-1``, so trees and folds go wherever
    joblib's active backend sends them. With ``memory`` (:func:`core.models.feature_cache.feature_cache`) every
    fit, the temperature's and the folds' included, reads transformed features other models already made; the
    returned model holds no cache.
    """
    notify = notify or (lambda stage: None)
    if memory is not None:
        with_memory(model, memory)
    unfitted = clone(model)
    notify("fit")
    start = time.perf_counter()
    with joblib.parallel_config(n_jobs=-1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    notify("predict")
    y_pred = np.asarray(model.predict(X_test), dtype=np.int64)
    scores, score_kind = model_scores(model, X_test, n_classes=n_classes)
    temperature = 1.0
    if score_kind == "decision":
        notify("calibrate")
        temperature = held_out_temperature(unfitted, X_train, y_train, seed=seed)
    cv_scores = None
    if cv:
        notify("cv")
        folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
        cv_scores = cross_val_score(clone(unfitted), X_train, y_train, cv=folds, n_jobs=-1)
    return Trained(model=without_memory(model), fit_seconds=fit_seconds,
                   fit_warnings=sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
                   y_pred=y_pred, scores=scores, score_kind=score_kind, temperature=temperature,
                   cv_scores=cv_scores)


def held_out_temperature(model, X_train, y_train: np.ndarray, *, seed: int) -> float:
    """Softmax temperature for the decision values of (unfitted) ``model``, fitted on rows it did not train on.

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
        scores = cross_val_predict(clone(model), X_train[rows], y_train[rows], cv=folds,
                                   method="decision_function", n_jobs=-1)
    labels = y_train[rows]
    return evaluation.fit_temperature(class_columns(scores), np.searchsorted(np.unique(labels), labels))


def model_metrics(y_test, y_pred, *, fit_seconds: float, predict_ms: float, size_bytes: int, n_train: int,
                  cv_scores) -> dict:
    """A classifier's ``metrics`` in the manifest: test accuracy and macro F1, costs, CV accuracy (None without)."""
    return {
        "test_accuracy": float(accuracy_score(y_test, y_pred)),
        "macro_f1": float(f1_score(y_test, y_pred, average="macro")),
        "fit_seconds": round(fit_seconds, 3), "predict_ms": round(predict_ms, 3),
        "size_bytes": int(size_bytes), "n_train": int(n_train),
        "cv_mean": None if cv_scores is None else float(cv_scores.mean()),
        "cv_std": None if cv_scores is None else float(cv_scores.std()),
    }
