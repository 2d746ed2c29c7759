"""What the Explore page draws from the stored map: grid coordinates, colours, regions and their images.

The map travels to the browser on a square integer grid (:data:`GRID` units a
side, two bytes a coordinate), so 10,000 points cost about 55 KiB; a region a
user draws on it (a box or a lasso) comes back in the same units, is written
into the page's link, and selects the same images again on the server.

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

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Grid units per side of the map.
GRID = 10_000
#: Most vertices a lasso keeps (a longer one is thinned to this many).
MAX_VERTICES = 100
COLOUR_BY = {"true": "true digit", "predicted": "prediction", "outcome": "right / wrong", "confidence": "confidence"}
_NUMBER = r"-?[0-9]{1,6}"
_REGION = re.compile(rf"([bl]):((?:{_NUMBER}_){{3,{2 * MAX_VERTICES - 1}}}{_NUMBER})")


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


def region_from_selection(selection: dict) -> Region | None:
    """The region of a plotly selection (``box``/``lasso`` as Streamlit returns them), in grid units."""
    for box in selection.get("box") or []:
        xs, ys = box.get("x") or [], box.get("y") or []
        if len(xs) == 2 and len(ys) == 2:
            return Region("b", tuple(int(round(v)) for v in (min(xs), max(xs), min(ys), max(ys))))
    for lasso in selection.get("lasso") or []:
        xs, ys = lasso.get("x") or [], lasso.get("y") or []
        if len(xs) == len(ys) >= 3:
            keep = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), MAX_VERTICES)).round().astype(int))
            return Region("l", tuple(int(round(v)) for i in keep for v in (xs[i], ys[i])))
    return None


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


def drawing_order(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Test rows in the order they are drawn: correct ones first, mistakes last so they sit on top."""
    return np.argsort(np.asarray(y_true) != np.asarray(y_pred), kind="stable")


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
    rows = np.asarray(rows)
    frame = pd.DataFrame({"t": y_true[rows], "p": y_pred[rows]})
    counts = frame.value_counts().rename("images").reset_index()
    counts["mistake"] = counts["t"] != counts["p"]
    counts = counts.sort_values(["mistake", "images", "t", "p"], ascending=[False, False, True, True])
    names = np.asarray(class_names, dtype=object)
    return pd.DataFrame({"true": names[counts["t"].to_numpy()], "predicted": names[counts["p"].to_numpy()],
                         "images": counts["images"].to_numpy(), "mistake": counts["mistake"].to_numpy()})
