"""Server-side figures of the Explore analyses on a built artifact set.

Prints what the build recorded (feature, map and neighbour seconds, the map's
trustworthiness on its sample), then times one neighbour query the way the Draw
page and the image dialog make it: a new image through the stored feature space
and the exact index, and a stored test image's neighbours read from the arrays.
``--full-trust`` also measures the trustworthiness on every test image (needs
about 2 x n_test^2 x 8 bytes of memory).

Usage::

    python -m bench.explore --artifacts DIR [--queries 200] [--full-trust]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.manifold import trustworthiness

from core.analysis import embedding, map_selection
from core.artifacts import ArtifactError, open_artifacts


def _times(fn, n: int) -> np.ndarray:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return np.array(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--full-trust", action="store_true")
    args = parser.parse_args(argv)
    try:
        aset = open_artifacts(args.artifacts)
        arrays, space, data = aset.explore(), aset.load_feature_space(), aset.data()
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    entry = aset.manifest["explore"]
    print(f"{aset.dataset['id']}: {aset.dataset['n_train']:,} train / {aset.dataset['n_test']:,} test images")
    seconds = entry["seconds"]
    print(f"build: features {seconds['features']:.1f} s, map ({entry['method']}) {seconds['map']:.1f} s,"
          f" neighbours {seconds['neighbours']:.1f} s; trustworthiness {entry['trustworthiness']:.4f} "
          f"(k={entry['trust_k']}, {entry['trust_points']:,} points)")
    start = time.perf_counter()
    index = embedding.NeighbourIndex(arrays["train_features"], data.y_train)
    print(f"index load: {(time.perf_counter() - start) * 1000:.0f} ms")
    n = min(args.queries, len(data.X_test))
    new = _times(lambda i: embedding.nearest_training(space, index, data.X_test[i:i + 1]), n)
    stored = _times(lambda i: (arrays["neighbours"][i], arrays["distances"][i]), n)
    grid = map_selection.grid_coords(arrays["coords"])
    region = map_selection.Region("b", (2000, 5000, 2000, 5000))
    select = _times(lambda i: map_selection.select_region(grid, region), n)
    for name, values in [("new image: features + exact query", new), ("test image: stored neighbours", stored),
                         ("map box selection (select_region)", select)]:
        print(f"{name:<38} p50 {np.median(values):7.2f} ms   p95 {np.percentile(values, 95):7.2f} ms")
    if args.full_trust:
        start = time.perf_counter()
        features = space.transform(data.X_test)
        value = trustworthiness(features, arrays["coords"], n_neighbors=entry["trust_k"])
        print(f"trustworthiness on all {len(features):,} test images: {value:.4f} "
              f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
