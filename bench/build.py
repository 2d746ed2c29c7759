"""Benchmark the artifact build on full MNIST: wall time, peak memory and the comparison table.

Usage::

    .venv/bin/python -m bench.build                      # quick set (target: <= 3 min, <= 4 GB)
    .venv/bin/python -m bench.build --models zoo         # every zoo model's accuracy

MNIST is read from ``$MNIST_DIR`` (default ``../shared/data/mnist``). The build runs in a
child process so its peak resident memory is measured on its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = os.environ.get("MNIST_DIR") or str(ROOT.parent / "shared" / "data" / "mnist")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="quick")
    parser.add_argument("--train-size", type=int)
    parser.add_argument("--artifacts", help="keep the artifacts here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = args.artifacts or tmp
        command = [sys.executable, "-m", "core", "build", "--dataset", "mnist", "--data-dir", MNIST_DIR,
                   "--models", args.models, "--artifacts", target]
        if args.train_size:
            command += ["--train-size", str(args.train_size)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        report = subprocess.run([sys.executable, "-m", "core", "report", "--artifacts", target],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
    print(report)
    print(f"build of {args.models!r} on full MNIST: {seconds:.1f} s wall, peak RSS {peak_gb:.2f} GB "
          f"({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
