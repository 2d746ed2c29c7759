"""What the browser tests share: opening a page, bounded waits, and expectations computed from the stored arrays.

The expectations here are numpy over what the artifact set stores (predictions, scores, map coordinates), not the
dashboard's own functions, so a test compares the page with an independent answer.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
#: How long a bounded wait outside Playwright waits before it fails the test (seconds).
WAIT_SECONDS = 30.0


def open_page(page, path: str, title: str) -> None:
    """Go to ``path`` and wait until its title is shown and the script run has finished."""
    page.goto(path)
    page.get_by_role("heading", name=title, level=1).wait_for()
    page.wait_for_function(IDLE)


def assert_no_exception(page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.all_inner_texts()


def wait_until(page, done, what: str, *, seconds: float = WAIT_SECONDS):
    """Poll ``done()`` (letting Playwright deliver events between polls) until it is truthy; fail the test with
    ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (value := done()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s for {what}")
        page.wait_for_timeout(20)
    return value


def wait_for_run_end(page, tap, start: int) -> int:
    """Index of the first ``script_finished`` frame ``tap`` saw at or after frame ``start`` (bounded wait)."""
    wait_until(page, lambda: tap.finished_after(start) is not None, f"a script_finished frame after frame {start}")
    return tap.finished_after(start)


def query(page, name: str) -> str | None:
    """The value of URL parameter ``name`` of the page's current address, None when absent."""
    values = parse_qs(urlparse(page.url).query).get(name)
    return values[0] if values else None


def canvas_picture(locator) -> str:
    """The canvas's pixels as a PNG data URL (equal pictures, equal strings)."""
    return locator.evaluate("(canvas) => canvas.toDataURL()")


def tile_rows(locator) -> list[int]:
    """The test rows (``data-index``) of the gallery tiles under ``locator``, in page order."""
    return [int(v) for v in locator.locator("figure[data-index]").evaluate_all(
        "(tiles) => tiles.map((t) => t.dataset.index)")]


# -- expectations from the stored arrays ---------------------------------------------------------------------


def confusion_counts(pred, n_classes: int = 10) -> np.ndarray:
    counts = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(counts, (np.asarray(pred.y_true), np.asarray(pred.y_pred)), 1)
    return counts


def probabilities(pred) -> np.ndarray:
    """Stored probabilities, or decision values through the softmax at the stored temperature."""
    scores = np.asarray(pred.scores, dtype=np.float64)
    if pred.score_kind == "proba":
        return scores
    scaled = scores / pred.temperature
    shifted = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def most_confident_first(rows: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """``rows`` by decreasing confidence, ties in increasing row order."""
    rows = np.sort(np.asarray(rows))
    return rows[np.argsort(-confidence[rows], kind="stable")]


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    scores = []
    for c in np.union1d(y_true, y_pred):
        tp = np.sum((y_true == c) & (y_pred == c))
        fp = np.sum((y_true != c) & (y_pred == c))
        fn = np.sum((y_true == c) & (y_pred != c))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


GRID = 10_000
#: The map's inner margin in pixels (map_canvas.js draws the grid inside it).
PAD = 8


def map_grid(coords: np.ndarray) -> np.ndarray:
    """The stored 2-D map scaled to integers in [0, GRID], one scale for both axes (what the tab draws)."""
    coords = np.asarray(coords, dtype=np.float64)
    low = coords.min(axis=0)
    span = float((coords.max(axis=0) - low).max()) or 1.0
    return np.round((coords - low) / span * GRID).astype(np.int64)


class MapView:
    """Grid <-> canvas pixels of a map view: scale ``k`` pixels per grid unit, origin (``ox``, ``oy``), y up."""

    def __init__(self, k: float, ox: float, oy: float):
        self.k, self.ox, self.oy = k, ox, oy

    @classmethod
    def home(cls, side: int) -> "MapView":
        return cls((side - 2 * PAD) / GRID, PAD, side - PAD)

    def zoomed(self, factor: float, at: tuple[float, float]) -> "MapView":
        mx, my = at
        return MapView(self.k * factor, mx - (mx - self.ox) * factor, my - (my - self.oy) * factor)

    def to_screen(self, grid: np.ndarray) -> np.ndarray:
        grid = np.asarray(grid, dtype=np.float64)
        return np.stack([self.ox + grid[..., 0] * self.k, self.oy - grid[..., 1] * self.k], axis=-1)

    def to_grid(self, sx: float, sy: float) -> tuple[int, int]:
        # JavaScript's Math.round: halves go up.
        return int(np.floor((sx - self.ox) / self.k + 0.5)), int(np.floor((self.oy - sy) / self.k + 0.5))


def lonely_dot(screen: np.ndarray, *, clear: float, inside: tuple[float, float]) -> int:
    """A row whose dot lies within ``inside`` = (low, high) pixels on both axes with no other dot within
    ``clear`` pixels, so a click on it picks that row and no neighbour (the first such row)."""
    low, high = inside
    distance = np.sqrt(((screen[:, None, :] - screen[None, :, :]) ** 2).sum(axis=-1))
    np.fill_diagonal(distance, np.inf)
    ok = (distance.min(axis=1) > clear) & np.all((screen >= low) & (screen <= high), axis=1)
    assert ok.any(), f"no dot stands {clear} px clear of the others"
    return int(np.flatnonzero(ok)[0])


def box_rows(grid: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Rows of the grid points inside the box (x0, x1, y0, y1), edges included."""
    x0, x1, y0, y1 = box
    x, y = grid[:, 0], grid[:, 1]
    return np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))


def url_box(text: str | None) -> tuple[int, int, int, int]:
    match = re.fullmatch(r"b:(-?\d+)_(-?\d+)_(-?\d+)_(-?\d+)", text or "")
    assert match, f"the URL's region is not a box: {text!r}"
    return tuple(int(v) for v in match.groups())
