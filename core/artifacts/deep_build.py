"""Build step of the network models (``runtime="torch"``), called by :func:`core.artifacts.build.build`.

Trains the CNN with PyTorch (:mod:`core.models.cnn`), exports it to ONNX and
stores it as an imported ONNX model is stored: the graph's bytes (checksummed,
never pickled) with its declared input in the entry (``onnx_input``), and its
test predictions and scores computed by onnxruntime, which is what the
dashboard runs. The entry also holds the training curve (``training_curve``:
loss and accuracy per epoch on the training batches and on held-out images).

Examples
--------
>>> from core.artifacts.build import build
>>> build(dataset="digits", models="cnn", epochs=1, artifacts_dir="/tmp/dl-cnn").built  # doctest: +SKIP
['cnn']
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from core import artifacts as art
from core.data import Dataset
from core.models import REGISTRY, ModelSpec, deep, onnx_model, resolve_models
from core.models.training import median_latency_ms, model_metrics


def buildable(models: str | list[str]) -> tuple[list[str], dict[str, str]]:
    """The model names to build, and the network models left out because PyTorch is not installed.

    Raises ``ValueError`` (:data:`core.models.deep.MISSING`) when such a model was named on its own.
    """
    names = resolve_models(models) if isinstance(models, str) else list(models)
    if deep.torch_version() is not None:
        return names, {}
    named = set(models) if not isinstance(models, str) else {token.strip() for token in models.split(",")}
    networks = [name for name in names if REGISTRY[name].runtime == "torch"]
    rest = [name for name in names if name not in networks]
    if named & set(networks) or not rest:
        raise ValueError(deep.MISSING)
    return rest, {name: deep.MISSING for name in networks}


def settings(spec: ModelSpec, ds: Dataset, *, seed: int, epochs: int | None = None,
             threads: int | None = None) -> deep.CnnSettings:
    """The settings ``spec`` is trained with (``epochs`` and ``threads`` override the defaults)."""
    return spec.make(image_shape=ds.image_shape, seed=seed).overridden(epochs=epochs, threads=threads)


def build_network(root: Path, spec: ModelSpec, ds: Dataset, *, key: str, seed: int, epochs: int | None,
                  threads: int | None, notify) -> dict:
    """Train ``spec``'s network on ``ds``, write its ONNX graph and test outputs, and return its manifest entry."""
    from core.models import cnn  # PyTorch is imported only when a network is trained

    chosen = settings(spec, ds, seed=seed, epochs=epochs, threads=threads)
    notify("fit")
    trained = cnn.train_cnn(ds.X_train, ds.y_train, n_classes=len(ds.class_names), image_shape=ds.image_shape,
                            seed=seed, settings=chosen)
    notify("predict")
    spec_in = onnx_model.inspect(trained.onnx, image_shape=ds.image_shape, n_classes=len(ds.class_names))
    model = onnx_model.OnnxClassifier(trained.onnx, spec=spec_in, n_classes=len(ds.class_names))
    raw = model.raw_output(ds.X_test)
    spec_in = replace(spec_in, output=onnx_model.resolve_output(raw, "proba"))
    scores = onnx_model.to_proba(raw, spec_in.output)
    y_pred = scores.argmax(axis=1).astype(np.int64)
    notify("latency")
    predict_ms = median_latency_ms(model, ds.X_test)
    notify("save")
    stem = f"models/{spec.name}-{key[:12]}"
    model_path, pred_path = root / f"{stem}.onnx", root / f"{stem}.npz"
    art.atomic_write(model_path, lambda tmp: tmp.write_bytes(trained.onnx))
    art.write_npz(pred_path, {"y_true": ds.y_test, "y_pred": y_pred, "scores": scores})
    params = {name: repr(value) for name, value in chosen.get_params().items()}
    return {
        "title": spec.title, "description": spec.description, "task": spec.task, "positive_class": None,
        "class_names": list(ds.class_names), "score_kind": "proba", "temperature": 1.0, "key": key,
        "params": {**params, "device": repr(trained.device), "torch": repr(deep.torch_version())},
        "fit_warnings": [], "onnx_input": spec_in.to_dict(), "training_curve": trained.history,
        "files": {"model": f"{stem}.onnx", "predictions": f"{stem}.npz"},
        "sha256": {f"{stem}.onnx": art.sha256_file(model_path), f"{stem}.npz": art.sha256_file(pred_path)},
        "metrics": {**model_metrics(ds.y_test, y_pred, fit_seconds=trained.fit_seconds,
                                 predict_ms=predict_ms, size_bytes=len(trained.onnx), n_train=trained.n_train,
                                 cv_scores=None), "n_held_out": trained.n_held_out},
    }
