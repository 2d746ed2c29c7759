"""What the Explore page draws from the stored map: grid coordinates, colours, regions and their images.

The map travels to the browser on a square integer grid (:data:`GRID` units a
side, two bytes a coordinate), so 10,000 points cost about 53 KiB as base64; a
region a user draws on it (a box or a lasso) comes back in the same units, is
written into the page's link, and selects the same images again on the server.

Examples
--------
>>> import numpy as np
>>> grid = grid_coords(np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 2.0]]))
>>> grid.tolist()
[[0, 0], [10000, 5000], [5000, 10000]]
>>> region = parse_region("b:4000_10000_0_6000")
>>> select_region(grid, region).tolist()
[1]
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Grid units per side of the map.
GRID = 10_000
#: Dot diameters in pixels: a right answer, a mistake (drawn larger, on top).
DOT, LARGE_DOT = 4, 7
#: Most vertices a lasso keeps (a longer one is thinned to this many).
MAX_VERTICES = 100
COLOUR_BY = {"true": "true digit", "predicted": "prediction", "outcome": "right / wrong", "confidence": "confidence"}
_NUMBER = r"-?[0-9]{1,6}"
_REGION = re.compile(rf"([bl]):((?:{_NUMBER}_){{3,{2 * MAX_VERTICES - 1}}}{_NUMBER})")


def dot_sizes(*, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Every test row's dot diameter on the map: :data:`LARGE_DOT` for a mistake, :data:`DOT` otherwise (uint8).

    Examples
    --------
    >>> dot_sizes(y_true=np.array([1, 2]), y_pred=np.array([1, 3])).tolist()
    [4, 7]
    """
    return np.where(np.asarray(y_true) != np.asarray(y_pred), LARGE_DOT, DOT).astype(np.uint8)


def grid_coords(coords: np.ndarray, *, size: int = GRID) -> np.ndarray:
    """``coords`` scaled to integers in ``[0, size]``, the same scale on both axes (shapes keep their aspect)."""
    coords = np.asarray(coords, dtype=np.float64)
    low = coords.min(axis=0)
    span = float((coords.max(axis=0) - low).max()) or 1.0
    return np.round((coords - low) / span * size).astype(np.uint16)


@dataclass(frozen=True)
class Region:
    """A box (``kind="b"``, ``points`` = x0, x1, y0, y1) or a lasso (``"l"``, polygon vertices) in grid units."""

    kind: str
    points: tuple[int, ...]

    def url(self) -> str:
        """The link form, e.g. ``"b:10_200_30_400"``."""
        return f"{self.kind}:{'_'.join(str(v) for v in self.points)}"


def parse_region(text: str | None) -> Region | None:
    """The :class:`Region` a link names, or None for anything else (an edited link is ignored, not an error)."""
    match = _REGION.fullmatch(text or "")
    if match is None:
        return None
    values = tuple(int(v) for v in match[2].split("_"))
    if match[1] == "b" and len(values) != 4 or match[1] == "l" and (len(values) % 2 or len(values) < 6):
        return None
    return Region(match[1], values)


def region_from_browser(value) -> Region | None:
    """The region a map component reported (``{"kind": "b"|"l", "points": [ints]}``), checked like a link:
    anything else (a forged or damaged message) is None."""
    if not isinstance(value, dict) or not isinstance(value.get("points"), list):
        return None
    points = value["points"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in points):
        return None
    return parse_region(f"{value.get('kind')}:{'_'.join(str(v) for v in points)}")


def encode(array: np.ndarray) -> str:
    """An array's little-endian bytes as base64 text (how the map component receives typed arrays)."""
    array = np.ascontiguousarray(array)
    return base64.b64encode(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()).decode("ascii")


def select_region(grid: np.ndarray, region: Region) -> np.ndarray:
    """Rows of the points inside ``region`` (box edges included; a lasso by the even-odd rule), ascending."""
    x, y = grid[:, 0].astype(np.float64), grid[:, 1].astype(np.float64)
    if region.kind == "b":
        x0, x1, y0, y1 = region.points
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    else:
        vertices = np.asarray(region.points, dtype=np.float64).reshape(-1, 2)
        inside = np.zeros(len(grid), dtype=bool)
        for (ax, ay), (bx, by) in zip(vertices, np.roll(vertices, -1, axis=0)):
            crosses = (ay > y) != (by > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = ax + (y - ay) * (bx - ax) / (by - ay)
            inside ^= crosses & (x < at)
    return np.flatnonzero(inside)


def colour_values(by: str, *, y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Per-point colour values: class index, 1 for a mistake, or confidence in percent, as uint8."""
    if by == "true":
        return np.asarray(y_true, dtype=np.uint8)
    if by == "predicted":
        return np.asarray(y_pred, dtype=np.uint8)
    if by == "outcome":
        return (np.asarray(y_true) != np.asarray(y_pred)).astype(np.uint8)
    if by == "confidence":
        return np.round(np.asarray(confidence) * 100).astype(np.uint8)
    raise ValueError(f"colour by one of {', '.join(COLOUR_BY)}, not {by!r}")


def gallery_order(rows: np.ndarray, *, y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """``rows`` with mistakes first, most confident first within mistakes and within correct ones."""
    rows = np.asarray(rows)
    wrong = y_true[rows] != y_pred[rows]
    return rows[np.lexsort((-confidence[rows], ~wrong))]


def selection_counts(rows: np.ndarray, *, y_true: np.ndarray, y_pred: np.ndarray,
                     class_names: list[str]) -> pd.DataFrame:
    """Images per (true, predicted) pair among ``rows``: mistakes first, then by count.

    >>> selection_counts(np.array([0, 1, 2]), y_true=np.array([4, 4, 9]), y_pred=np.array([9, 9, 9]),
    ...                  class_names=[str(d) for d in range(10)]).to_dict("records")[0]
    {'true': '4', 'predicted': '9', 'images': 2, 'mistake': True}
    """
    n = len(class_names)
    pairs = np.bincount(np.asarray(y_true)[rows] * n + np.asarray(y_pred)[rows], minlength=n * n)
    found = np.flatnonzero(pairs)
    true, predicted, images = found // n, found % n, pairs[found]
    mistake = true != predicted
    order = np.lexsort((predicted, true, -images, ~mistake))
    names = np.asarray(class_names, dtype=object)
    return pd.DataFrame({"true": names[true[order]], "predicted": names[predicted[order]],
                         "images": images[order], "mistake": mistake[order]})
