"""Benchmark the accuracy ablation on full MNIST: accuracy, typical confusions, fit time, latency, memory.

Usage::

    .venv/bin/python -m bench.accuracy                          # every step, 60,000 train / 10,000 test
    .venv/bin/python -m bench.accuracy --steps svc_hog,svc_virtual --train-size 10000

MNIST is read from ``$MNIST_DIR`` (default ``../shared/data/mnist``). Each step runs
in its own child process, so the peak resident memory it reports (``ru_maxrss``
of that process: data loading, fit and predictions) belongs to that step alone.
Latency is the median wall time of single-image ``predict`` calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from core.models.ablation import ABLATION
from core.data import load_dataset, subset
from core.models import REGISTRY
from core.analysis.report import pair_errors

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = os.environ.get("MNIST_DIR") or str(ROOT.parent / "shared" / "data" / "mnist")

LATENCY_SAMPLES = 200


def run_step(name: str, *, train_size: int | None, seed: int) -> dict:
    """Fit one ablation step and measure it; runs inside the child process."""
    dataset = load_dataset("mnist", data_dir=MNIST_DIR)
    if train_size:
        dataset = subset(dataset, train_size=train_size, seed=seed)
    model = REGISTRY[name].make(image_shape=dataset.image_shape, seed=seed)
    start = time.perf_counter()
    model.fit(dataset.X_train, dataset.y_train)
    fit_seconds = time.perf_counter() - start
    y_pred = model.predict(dataset.X_test)
    latencies = []
    for row in dataset.X_test[:LATENCY_SAMPLES]:
        start = time.perf_counter()
        model.predict(row[None, :])
        latencies.append(time.perf_counter() - start)
    return {
        "step": name,
        "n_train": len(dataset.y_train),
        "accuracy": float(np.mean(y_pred == dataset.y_test)),
        **pair_errors(dataset.y_test, y_pred, dataset.class_names),
        "fit_s": round(fit_seconds, 1),
        "predict_ms": round(1000 * float(np.median(latencies)), 2),
        "peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default=",".join(step.name for step in ABLATION),
                        help="comma-separated ablation steps (default: all, in order)")
    parser.add_argument("--train-size", type=int, help="stratified training subset (default: all 60,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_step(args.worker, train_size=args.train_size, seed=args.seed)))
        return 0
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    known = [step.name for step in ABLATION]
    unknown = [s for s in steps if s not in known]
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {', '.join(known)}")
    header = f"{'step':<11}{'n_train':>8}{'accuracy':>10}{'9->4':>6}{'5->3':>6}{'7->1':>6}" \
             f"{'fit_s':>8}{'predict_ms':>12}{'peak_gb':>9}"
    print(header, flush=True)
    for name in steps:
        command = [sys.executable, __file__, "--worker", name, "--seed", str(args.seed)]
        if args.train_size:
            command += ["--train-size", str(args.train_size)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{r['step']:<11}{r['n_train']:>8}{r['accuracy']:>10.4f}{r['9->4']:>6}{r['5->3']:>6}{r['7->1']:>6}"
              f"{r['fit_s']:>8.1f}{r['predict_ms']:>12.2f}{r['peak_gb']:>9.2f}", flush=True)
    print(f"MNIST from {MNIST_DIR}; {os.cpu_count()} cores; latency = median of {LATENCY_SAMPLES} "
          "single-image predicts; peak_gb = the step's own max resident memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
