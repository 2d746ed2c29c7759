"""Benchmark the CNN on full MNIST: test accuracy after every epoch, seconds per epoch, by architecture and threads.

Usage::

    .venv/bin/python -m bench.cnn                                   # the build's settings (wide, 10 epochs)
    .venv/bin/python -m bench.cnn --architecture small --epochs 15  # a cheaper alternative
    .venv/bin/python -m bench.cnn --threads 2 --epochs 2 --busy     # 2 threads with the other core loaded

``--busy`` keeps one core busy with a spinning child process, as on a machine
that does other work. It prints one JSON line per epoch and a summary line,
and one-image scoring time of the exported graph through onnxruntime.
MNIST is read from ``$MNIST_DIR`` (default ``../shared/data/mnist``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from pathlib import Path

from core.data import load_dataset
from core.models import cnn, onnx_model
from core.models.deep import ARCHITECTURES, CnnSettings
from core.models.training import median_latency_ms

MNIST_DIR = os.environ.get("MNIST_DIR") or str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


def _spin() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", choices=list(ARCHITECTURES), default=CnnSettings.architecture)
    parser.add_argument("--epochs", type=int, default=CnnSettings.epochs)
    parser.add_argument("--threads", type=int, default=CnnSettings.threads)
    parser.add_argument("--busy", action="store_true", help="keep one core busy while training")
    args = parser.parse_args()
    ds = load_dataset("mnist", data_dir=MNIST_DIR)
    settings = CnnSettings(architecture=args.architecture, epochs=args.epochs, threads=args.threads)

    def epoch_done(epoch, net):
        test = cnn.probabilities(net, ds.X_test, image_shape=ds.image_shape).argmax(1)
        print(json.dumps({"epoch": epoch, "test_accuracy": float((test == ds.y_test).mean())}), flush=True)

    spinner = multiprocessing.Process(target=_spin, daemon=True) if args.busy else None
    if spinner is not None:
        spinner.start()
    try:
        trained = cnn.train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=0,
                                settings=settings, epoch_done=epoch_done)
    finally:
        if spinner is not None:
            spinner.terminate()
    model = onnx_model.OnnxClassifier(trained.onnx, spec=onnx_model.inspect(trained.onnx, image_shape=(28, 28),
                                                                            n_classes=10), n_classes=10)
    accuracy = float((model.predict(ds.X_test) == ds.y_test).mean())
    start = time.perf_counter()
    print(json.dumps({"architecture": args.architecture, "threads": args.threads, "busy": args.busy,
                      "epochs": args.epochs, "fit_seconds": round(trained.fit_seconds, 1),
                      "seconds_per_epoch": [round(s, 1) for s in trained.history["seconds"]],
                      "held_out_accuracy": trained.history["held_out_accuracy"], "onnx_test_accuracy": accuracy,
                      "onnx_bytes": len(trained.onnx),
                      "one_image_ms": round(median_latency_ms(model, ds.X_test, rows=200), 3),
                      "scoring_seconds": round(time.perf_counter() - start, 2)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
