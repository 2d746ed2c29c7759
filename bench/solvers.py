"""Benchmark solver and representation choices for the build's slow models on full MNIST: fit seconds, test
accuracy and the iterations a solver used, one JSON line per candidate.

Usage::

    .venv/bin/python -m bench.solvers                      # every candidate of every model
    .venv/bin/python -m bench.solvers --only logreg_pca    # one candidate

Each candidate is one Pipeline from raw pixel rows, as the build stores it. MNIST is read from ``$MNIST_DIR``
(default ``../shared/data/mnist``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from core.data import load_dataset
from core.data.preprocess import PixelScaler
from core.models import REGISTRY

MNIST_DIR = os.environ.get("MNIST_DIR") or str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


def _logreg(**options) -> Pipeline:
    return Pipeline([("scale", PixelScaler()), ("clf", LogisticRegression(C=0.1, random_state=0, **options))])


CANDIDATES = {
    "logreg_build": lambda: REGISTRY["logreg"].make(image_shape=(28, 28), seed=0),
    "logreg_lbfgs_100": lambda: _logreg(max_iter=100),
    "logreg_lbfgs_tol": lambda: _logreg(max_iter=300, tol=1e-3),
    "logreg_pca": lambda: Pipeline([("scale", PixelScaler()), ("pca", PCA(n_components=100, random_state=0)),
                                    ("clf", LogisticRegression(C=0.1, max_iter=300, random_state=0))]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(CANDIDATES), action="append")
    args = parser.parse_args()
    ds = load_dataset("mnist", data_dir=MNIST_DIR)
    for name in args.only or list(CANDIDATES):
        model = CANDIDATES[name]()
        start = time.perf_counter()
        model.fit(ds.X_train, ds.y_train)
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(model.predict(ds.X_test) == ds.y_test))
        iterations = getattr(model[-1], "n_iter_", None)
        print(json.dumps({"candidate": name, "fit_seconds": round(seconds, 1), "test_accuracy": round(accuracy, 4),
                          "n_iter": None if iterations is None else int(np.max(iterations))}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
