"""Time a build here and on a Dask cluster, and check both stored the same predictions.

Usage::

    .venv/bin/python -m bench.cluster                                  # digits, a 2-worker LocalCluster
    .venv/bin/python -m bench.cluster --scheduler tcp://host:8786 --dataset mnist --models zoo

Without ``--scheduler`` it starts a LocalCluster on loopback (2 worker processes, 1 thread each),
which on one machine measures the cluster's overhead, not a speed-up. Needs
``pip install -r requirements-cluster.txt``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from core.artifacts import open_artifacts

ROOT = Path(__file__).resolve().parents[1]

MNIST_DIR = os.environ.get("MNIST_DIR") or str(ROOT.parent / "shared" / "data" / "mnist")


def timed_build(target: Path, args, scheduler: str | None) -> float:
    """Wall time of ``python -m core build`` in a fresh process, as a user runs it."""
    command = [sys.executable, "-m", "core", "build", "--dataset", args.dataset, "--models", args.models,
               "--cv", str(args.cv), "--artifacts", str(target)]
    command += ["--data-dir", MNIST_DIR] if args.dataset == "mnist" else []
    command += ["--train-size", str(args.train_size)] if args.train_size else []
    command += ["--scheduler", scheduler] if scheduler else []
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="a running scheduler (default: start a LocalCluster)")
    parser.add_argument("--dataset", default="digits", choices=("digits", "mnist"))
    parser.add_argument("--models", default="sgd,rf,logreg,knn,svc")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--train-size", type=int)
    args = parser.parse_args()
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        here = timed_build(Path(tmp) / "here", args, None)
        local = nullcontext() if args.scheduler else LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
        with local as started:
            address = args.scheduler or started.scheduler_address
            there = timed_build(Path(tmp) / "there", args, address)
        a, b = open_artifacts(Path(tmp) / "here"), open_artifacts(Path(tmp) / "there")
        same = all(np.array_equal(a.predictions(n).y_pred, b.predictions(n).y_pred) for n in a.model_names)
        print(f"{args.dataset}, models {args.models}, {args.cv}-fold CV ({os.cpu_count()} cores here):")
        print(f"  python -m core build here: {here:.1f} s; with --scheduler {address}: {there:.1f} s "
              f"(both in a fresh process, explore step included); same predictions: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
