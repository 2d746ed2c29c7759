"""Time importing your own model on the full MNIST test set (10,000 images): predictions files and ONNX models.

Usage::

    .venv/bin/python -m bench.imports

Builds ``sgd`` on 2,000 training images (the full test set) in a temporary folder, fits a
logistic regression and a PCA pipeline on 10,000 training images, then times
``core.artifacts.imports`` on a 10,000-row predictions file as CSV, Parquet and NPZ, and on the
regression as a convolutional ONNX graph and the pipeline exported by skl2onnx (needs
requirements-dev.txt): the whole import, one pass over the test set, and the stored
one-image latency. MNIST is read from ``$MNIST_DIR`` (default ``../shared/data/mnist``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data import load_dataset, subset
from core.artifacts.imports import import_model, import_predictions
from tests.onnx_graphs import conv_graph, sklearn_onnx

ROOT = Path(__file__).resolve().parents[1]

MNIST_DIR = os.environ.get("MNIST_DIR") or str(ROOT.parent / "shared" / "data" / "mnist")


def _best_of(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    mnist = load_dataset("mnist", data_dir=MNIST_DIR)
    train = subset(mnist, train_size=10_000, seed=0)
    logreg = LogisticRegression(max_iter=300).fit(train.X_train / 255.0, train.y_train)
    pipeline = make_pipeline(StandardScaler(), PCA(50, random_state=0), LogisticRegression(max_iter=500)).fit(
        train.X_train.astype(np.float32), train.y_train)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = tmp / "artifacts"
        build(dataset=subset(mnist, train_size=2000, seed=0), artifacts_dir=root, models="sgd")
        proba = pd.DataFrame(logreg.predict_proba(mnist.X_test / 255.0), columns=[str(d) for d in range(10)])
        proba.to_csv(tmp / "p.csv", index=False)
        proba.to_parquet(tmp / "p.parquet", index=False)
        np.savez(tmp / "p.npz", scores=proba.to_numpy())
        for suffix in ("csv", "parquet", "npz"):
            result = import_predictions(root, f"p_{suffix}", tmp / f"p.{suffix}")
            size = (tmp / f"p.{suffix}").stat().st_size / 1e6
            print(f"predictions {suffix:8s} {size:5.2f} MB, {len(proba):,} rows: import {result.seconds:.2f} s")
        (tmp / "conv.onnx").write_bytes(conv_graph(logreg.coef_, logreg.intercept_))
        (tmp / "pca.onnx").write_bytes(sklearn_onnx(pipeline, mnist.X_test.shape[1]))
        originals = {"conv": logreg.predict(mnist.X_test / 255.0),
                     "pca": pipeline.predict(mnist.X_test.astype(np.float32))}
        for name, scale in (("conv", None), ("pca", "byte")):
            result = import_model(root, name, tmp / f"{name}.onnx", scale=scale)
            model = open_artifacts(root).load_model(name)
            seconds = _best_of(lambda: model.predict_proba(mnist.X_test))
            same = np.mean(open_artifacts(root).predictions(name).y_pred == originals[name])
            metrics = result.entry["metrics"]
            print(f"onnx {name:4s} ({result.entry['imported']['input']['layout']}): import {result.seconds:.2f} s; "
                  f"test set {seconds * 1000:.0f} ms ({seconds / len(mnist.X_test) * 1e6:.1f} us/image); latency "
                  f"{metrics['predict_ms']:.3f} ms/image; accuracy {metrics['test_accuracy']:.4f}; "
                  f"same predictions as the original {same:.2%}; {metrics['size_bytes'] / 1e3:.0f} kB")
    print(f"({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
