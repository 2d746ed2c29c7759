"""Benchmark the occlusion maps: time per image and faithfulness per model, over its misclassified test images.

Usage::

    .venv/bin/python -m bench.attribution --artifacts DIR [--images 50]

For every multiclass model with a model file: the median time of one
:func:`core.analysis.attribution.explain` (map and deletion curve, the model's
answer against the true label) with the quick scorers the Draw page uses, and
the mean deletion-curve area of the map against brightest-ink-first and random
order (smaller removes the answer faster), and how often the map beats the ink
order. Prints one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from core.analysis import attribution
from core.artifacts import ArtifactError, open_artifacts
from core.models import quick


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--images", type=int, default=50, help="misclassified test images per model (the first)")
    args = parser.parse_args()
    artifacts = open_artifacts(args.artifacts)
    data = artifacts.data()
    for name in artifacts.model_names:
        if artifacts.model_info(name)["task"] != "multiclass":
            continue
        try:
            model = artifacts.load_model(name)
        except ArtifactError:
            continue
        pred = artifacts.predictions(name)
        scorer = quick.quick_scorer(model, n_classes=len(data.class_names), check=data.X_test[:8])
        proba = attribution.scorer_proba(scorer, temperature=pred.temperature)
        rows = np.flatnonzero(pred.y_pred != pred.y_true)[:args.images]
        seconds, areas = [], []
        with quick.one_thread():
            for row in rows:
                start = time.perf_counter()
                found = attribution.explain(proba, data.X_test[row], image_shape=data.image_shape,
                                            target=int(pred.y_pred[row]), other=int(pred.y_true[row]))
                seconds.append(time.perf_counter() - start)
                d = found.deletion
                areas.append((d.area_map, d.area_ink, d.area_random, d.beats_ink))
        areas = np.asarray(areas, dtype=float)
        print(json.dumps({"model": name, "images": int(rows.size), "median_ms": round(np.median(seconds) * 1000, 1),
                          "area_map": round(areas[:, 0].mean(), 3), "area_ink": round(areas[:, 1].mean(), 3),
                          "area_random": round(areas[:, 2].mean(), 3), "beats_ink": round(areas[:, 3].mean(), 3)}),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
