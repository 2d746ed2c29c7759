"""Server-side time of label issues and error slices on a built artifact set (read only), and the top of the ranking.

Usage::

    .venv/bin/python -m bench.labels --artifacts /work/art/all [--sheet top20.png] [--repeat 5]

Prints, as the dashboard's loader computes them (without Streamlit's cache):
label issues on the test set from stored scores (cleanlab, the strongest models
together and each model alone), the per-image properties of the test images
(the build's step, computed here in memory), and the error slices and binned
error rates of every multiclass model. With ``--sheet`` it writes the top 20 of
the ranking as a PNG contact sheet (given -> suggested label under each image)
for a visual review. Nothing is written into the artifact folder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from core.analysis import evaluation, label_quality, slices
from core.data import properties
from core.artifacts import open_artifacts

ROOT = Path(__file__).resolve().parents[1]

SCALE = 4


def _best_of(repeat: int, work) -> tuple[float, object]:
    """The fastest of ``repeat`` runs (ms) and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), result


def contact_sheet(images: np.ndarray, captions: list[str], path: Path, *, image_shape, columns: int = 5) -> None:
    """Images enlarged :data:`SCALE` times in a grid, a caption under each, saved as PNG."""
    h, w = image_shape[0] * SCALE, image_shape[1] * SCALE
    cell_w, cell_h = max(w, 150), h + 30
    rows = -(-len(images) // columns)
    sheet = Image.new("L", (columns * cell_w, rows * cell_h), 255)
    draw = ImageDraw.Draw(sheet)
    for i, (image, caption) in enumerate(zip(images, captions)):
        x, y = (i % columns) * cell_w, (i // columns) * cell_h
        big = Image.fromarray(255 - image.reshape(image_shape)).resize((w, h), Image.NEAREST)
        sheet.paste(big, (x + (cell_w - w) // 2, y))
        draw.text((x + 4, y + h + 4), caption, fill=0)
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", default="/work/art/all")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sheet", type=Path, help="write the top 20 of the ranking as a PNG contact sheet")
    args = parser.parse_args()
    aset = open_artifacts(args.artifacts, strict=False)
    data = aset.data()
    names = [n for n in aset.model_names if aset.model_info(n)["task"] == "multiclass"]
    proba = {}
    for name in names:
        pred = aset.predictions(name)
        proba[name] = evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
    print(f"{args.artifacts}: {len(data.y_test):,} test images, {len(names)} multiclass models; best of {args.repeat}")
    start = time.perf_counter()
    import cleanlab.filter  # noqa: F401  (imported once per server, timed apart)
    print(f"import cleanlab: {(time.perf_counter() - start) * 1000:.0f} ms (once per server)")

    top = label_quality.strongest({n: aset.model_info(n)["metrics"]["test_accuracy"] for n in names})

    def from_scores():
        chosen = {n: aset.predictions(n) for n in top}
        return label_quality.label_issues(data.y_test, label_quality.combine({n: evaluation.probabilities(
            p.scores, score_kind=p.score_kind, temperature=p.temperature) for n, p in chosen.items()}))

    ms, issues = _best_of(args.repeat, from_scores)
    print(f"label issues from stored scores (softmax, mean of {', '.join(top)}, cleanlab): {ms:.0f} ms, "
          f"{issues.n_flagged} flagged")
    for name in names:
        ms, alone = _best_of(args.repeat, lambda: label_quality.label_issues(data.y_test, proba[name]))
        print(f"  label issues from {name}: {ms:.0f} ms, {alone.n_flagged} flagged")

    ms, props = _best_of(1, lambda: properties.image_properties(data.X_test, image_shape=data.image_shape))
    print(f"image properties (the build's step): {ms:.0f} ms")
    for name in names:
        pred = aset.predictions(name)
        wrong = pred.y_true != pred.y_pred
        ms, report = _best_of(args.repeat, lambda: slices.find_slices(props, y_true=pred.y_true, wrong=wrong,
                                                                      class_names=data.class_names))
        bins_ms, _ = _best_of(args.repeat, lambda: {c: slices.error_by_bins(props[c], wrong) for c in props})
        first = report.slices[0].describe() if report.slices else "none"
        print(f"  slices of {name}: {ms:.0f} ms + binned rates {bins_ms:.0f} ms, {len(report.slices)} slices "
              f"(overall {report.overall_rate:.2%}); first: {first}")

    if args.sheet:
        rows = issues.ranking[:20]
        captions = [f"#{r} given {data.y_test[r]} -> {issues.suggested[r]} q {issues.quality[r]:.3f}" for r in rows]
        contact_sheet(data.X_test[rows], captions, args.sheet, image_shape=data.image_shape)
        print(f"top 20 written to {args.sheet}: {', '.join(map(str, rows))}")


if __name__ == "__main__":
    main()
