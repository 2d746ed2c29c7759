"""Time what the Concepts page computes live: one denoising and one drawn digit's two labels.

Opens a built artifact set (``python -m core build --models concepts``), loads the denoiser and the
multilabel models as the page does, and times, server-side, what one slider step or one drawn stroke runs:
noise added to a test image and the denoiser's answer (:func:`core.analysis.concept_views.denoise`), and both
multilabel models' answers for one image (:func:`core.analysis.concept_views.label_answers`). Prints the median and
95th percentile in ms, and the stored figures beside them (the page's budget is 100 ms per denoising).

Usage::

    python -m bench.concepts --artifacts DIR [--repeat 50]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from core.analysis import concept_views
from core.artifacts import default_artifacts_dir, open_artifacts

MULTILABEL = ("multilabel_knn", "multilabel_chain")


def timed(call, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile of ``call(i)`` for ``i`` in ``range(repeat)``, in ms, after one warm-up."""
    call(0)
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=default_artifacts_dir())
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    aset = open_artifacts(args.artifacts)
    X = aset.data().X_test
    info = aset.model_info("denoise_knn")["metrics"]
    denoiser = aset.load_model("denoise_knn")
    amplitude = int(info["noise_amplitude"])
    p50, p95 = timed(lambda i: concept_views.denoise(denoiser, X[i:i + 1], amplitude=amplitude, seed=i), args.repeat)
    print(f"{aset.dataset['id']}: denoise one image (noise + k-NN query + rounding) p50 {p50:.1f} ms, "
          f"p95 {p95:.1f} ms (budget 100 ms); stored on {info['test_rows']:,} test images: mean absolute error "
          f"noisy {info['mae_noisy']:.1f} -> cleaned {info['mae_clean']:.1f} grey levels")
    models = {name: aset.load_model(name) for name in MULTILABEL if name in aset.model_names}
    if models:
        p50, p95 = timed(lambda i: concept_views.label_answers(models, X[i:i + 1]), args.repeat)
        print(f"both labels from {', '.join(models)}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
