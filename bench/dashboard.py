"""Measure the dashboard's server-side work on a built artifact set (detail; ``bench/browser.py``
times what the user feels).

Four interactions, each timed repeatedly (median and 95th percentile):

* threshold answer: the Thresholds page rerun after the panel reports a new slider position
  (the panel redraws in the browser; this run sends the gallery images it lacks; AppTest reruns
  the whole page, so this bounds the fragment rerun from above);
* cell click to gallery: the Errors page rerun after a confusion cell is picked;
* canvas image to predictions: decoding the canvas PNG the component sends,
  ``core.analysis.answers.digit_row`` and ``core.analysis.answers.predict_all`` over every multiclass model,
  as the Draw page calls it (with each model's median scoring and ``predict`` times);
* first render: a fresh Python process, from its start to the first finished run
  of the default page (imports, artifact load and checks, figures), caches empty.

Usage::

    python -m bench.dashboard [--artifacts DIR] [--repeat 30] [--cold 5]
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from streamlit.testing.v1 import AppTest

from core.analysis import answers, evaluation
from core.models.training import model_scores
from core.artifacts import ArtifactError, default_artifacts_dir, open_artifacts

REPO_ROOT = Path(__file__).resolve().parents[1]

ENTRY = REPO_ROOT / "dashboard" / "streamlit_app.py"
TARGETS_MS = {"threshold answer": 50, "cell click to gallery": 150, "canvas image to predictions": 100,
              "first render after start": 3000}
FIRST_RENDER = """
import time
start = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({entry!r}, default_timeout=120).run()
assert not at.exception, [e.value for e in at.exception]
print((time.perf_counter() - start) * 1000)
"""


def summary(times_ms: list[float]) -> tuple[float, float]:
    return float(np.median(times_ms)), float(np.percentile(times_ms, 95))


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1000
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")
    return elapsed


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=120).run()
    at.switch_page(page).run()
    return at


def bench_threshold(model: str, repeat: int, rng) -> list[float]:
    at = open_page("app_pages/thresholds.py")
    at.selectbox(key="thresholds_model").set_value(model).run()
    times = []
    for _ in range(repeat):
        at.session_state[f"thresholds_panel_{model}_0_probability"] = {"position": int(rng.integers(0, 201))}
        times.append(timed_run(at))
    return times


def bench_cell_click(model: str, cells: np.ndarray, repeat: int, rng) -> list[float]:
    at = open_page("app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value(model).run()
    times = []
    for _ in range(repeat):
        true, predicted = cells[rng.integers(len(cells))]
        at.selectbox(key="errors_true_pick").set_value(str(true))
        at.selectbox(key="errors_pred_pick").set_value(str(predicted))
        times.append(timed_run(at))
    return times


def canvas_data_url(digit: np.ndarray, side: int = 280) -> str:
    """A test digit as the canvas component sends it: a PNG data URL of white ink on black."""
    grey = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decode_canvas(url: str) -> np.ndarray:
    """What ``CanvasResult.image_data`` does with the component's data URL (the package cannot be
    imported outside a running Streamlit server)."""
    _, encoded = url.split(";base64,", 1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))


def bench_canvas(aset, names: list[str], repeat: int, rng) -> tuple[list[float], dict[str, tuple[float, float]]]:
    """Canvas PNG to every model's answer as the Draw page does it, and each model's own median times.

    The per-model figures are the median milliseconds of its scoring call and
    of its ``predict`` call on one row; models whose stored predictions are the
    argmax of their scores skip ``predict`` on the page (``core.analysis.answers.scores_decide``).
    """
    data = aset.data()
    models = {name: aset.load_model(name) for name in names}
    stored = {name: aset.predictions(name) for name in names}
    temperatures = {name: pred.temperature for name, pred in stored.items()}
    from_scores = {name for name, pred in stored.items() if answers.scores_decide(pred.y_pred, pred.scores)}
    side = data.image_shape[0]
    urls = [canvas_data_url(data.X_test[i].reshape(side, side)) for i in rng.permutation(len(data.y_test))[:3 * repeat]]
    # A drawing mostly covered in ink reads as dark on light (some 8x8 digits do); the page shows no answer for it.
    urls = [url for url in urls if answers.digit_row(decode_canvas(url), image_shape=data.image_shape) is not None]
    urls = urls[:repeat]
    answers.predict_all(models, data.X_test[:1], class_names=data.class_names)
    times = []
    for url in urls:
        start = time.perf_counter()
        rgba = decode_canvas(url)
        row = answers.digit_row(rgba, image_shape=data.image_shape)
        answers.predict_all(models, row, class_names=data.class_names, temperatures=temperatures,
                          from_scores=from_scores)
        times.append((time.perf_counter() - start) * 1000)
    per_model = {name: (median_ms(lambda: model_scores(model, row), repeat),
                        median_ms(lambda: model.predict(row), repeat)) for name, model in models.items()}
    skipped = ", ".join(sorted(from_scores)) or "none"
    print(f"models answered from their scores alone (predict not called): {skipped}")
    return times, per_model


def median_ms(call, repeat: int) -> float:
    """Median wall time of ``call()`` in milliseconds over ``repeat`` calls, after a warm-up."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def bench_first_render(cold: int) -> list[float]:
    times = []
    for _ in range(cold):
        result = subprocess.run([sys.executable, "-c", FIRST_RENDER.format(entry=str(ENTRY))], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True, env=os.environ.copy())
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=Path, default=None, help="artifact folder (default: as the app)")
    parser.add_argument("--repeat", type=int, default=30, help="timed repetitions per interaction")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes for the first render")
    args = parser.parse_args(argv)
    root = (args.artifacts or default_artifacts_dir()).resolve()
    os.environ["DIGIT_LENS_ARTIFACTS"] = str(root)
    try:
        aset = open_artifacts(root)
    except ArtifactError as exc:
        print(f"error: {exc}\nBuild first, e.g.: python -m core build --artifacts {root}", file=sys.stderr)
        return 2
    names = [n for n in aset.model_names if aset.model_info(n)["task"] == "multiclass"]
    model = "rf" if "rf" in names else names[0]
    pred = aset.predictions(model)
    n_classes = len(pred.class_names)
    cells = np.argwhere(evaluation.confusion(pred.y_true, pred.y_pred, n_classes=n_classes) > 0)
    rng = np.random.default_rng(0)
    ds = aset.dataset
    print(f"{ds['id']}: {ds['n_test']:,} test images, {len(names)} multiclass models ({', '.join(names)}); "
          f"{args.repeat} repetitions, {args.cold} cold starts")
    canvas, per_model = bench_canvas(aset, names, args.repeat, rng)
    print(f"{'model':<14}{'scores ms':>11}{'predict ms':>12}")
    for name, (scores_ms, predict_ms) in per_model.items():
        print(f"{name:<14}{scores_ms:>11.2f}{predict_ms:>12.2f}")
    results = {
        "threshold answer": bench_threshold(model, args.repeat, rng),
        "cell click to gallery": bench_cell_click(model, cells, args.repeat, rng),
        "canvas image to predictions": canvas,
        "first render after start": bench_first_render(args.cold),
    }
    print(f"{'interaction':<30}{'median ms':>11}{'p95 ms':>10}{'target p95':>12}")
    for name, times in results.items():
        median, p95 = summary(times)
        verdict = "ok" if p95 <= TARGETS_MS[name] else "OVER"
        print(f"{name:<30}{median:>11.1f}{p95:>10.1f}{TARGETS_MS[name]:>10} ms  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
