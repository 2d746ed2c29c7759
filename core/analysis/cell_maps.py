"""What makes a model call these 4s 9s: the mean contrastive map of every off-diagonal confusion cell.

For each cell (true ``t``, predicted ``p``, ``t != p``) the build explains the
cell's most confident mistakes, at most :data:`CELL_IMAGES` of them, with
:func:`core.analysis.attribution.occlusion` of ``p(p) - p(t)``, and stores the
mean map and the mean of those images beside the model's predictions; the
Errors page shows them beside the mean training images of both digits.

Examples
--------
>>> import numpy as np
>>> def proba(X):
...     p = X[:, :2].mean(axis=1) / 255
...     return np.column_stack([1 - p, p])
>>> X = np.array([[255, 255, 0, 0], [255, 0, 0, 0]], dtype=np.uint8)
>>> found = cell_maps(proba, X, np.array([0, 0]), np.array([1, 1]), confidence=np.array([0.9, 0.6]),
...                   image_shape=(2, 2))
>>> found.cells.tolist(), found.counts.tolist(), found.used.tolist()
([[0, 1]], [2], [2])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis import attribution

#: The most confident mistakes of a cell that its mean map is made of.
CELL_IMAGES = 20


@dataclass(frozen=True, eq=False)
class CellMaps:
    """Mean contrastive maps of a model's off-diagonal confusion cells (those with at least one image).

    Attributes
    ----------
    cells : (m, 2) int, (true, predicted) of each cell
    counts : (m,) images in the cell
    used : (m,) images the mean is made of (the most confident, at most :data:`CELL_IMAGES`)
    maps : (m, h, w) float32, mean occlusion map of p(predicted) - p(true) over those images
    images : (m, h, w) float32, mean of those images (0-255)
    """

    cells: np.ndarray
    counts: np.ndarray
    used: np.ndarray
    maps: np.ndarray
    images: np.ndarray

    def find(self, true: int, predicted: int) -> int | None:
        """The position of cell (``true``, ``predicted``), None when it holds no image."""
        hits = np.flatnonzero((self.cells[:, 0] == true) & (self.cells[:, 1] == predicted))
        return int(hits[0]) if hits.size else None

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"cells": self.cells, "counts": self.counts, "used": self.used, "maps": self.maps,
                "images": self.images}

    @classmethod
    def from_arrays(cls, arrays) -> CellMaps:
        return cls(**{key: np.asarray(arrays[key]) for key in ("cells", "counts", "used", "maps", "images")})


def cell_maps(proba: attribution.Proba, X, y_true, y_pred, *, confidence, image_shape,
              limit: int = CELL_IMAGES) -> CellMaps:
    """The mean contrastive map of every off-diagonal cell of (``y_true``, ``y_pred``) over test rows ``X``.

    ``confidence`` orders a cell's images (most confident first), as the Errors page's gallery does.
    """
    y_true, y_pred, confidence = (np.asarray(a) for a in (y_true, y_pred, confidence))
    wrong = np.flatnonzero(y_true != y_pred)
    pairs = sorted({(int(y_true[i]), int(y_pred[i])) for i in wrong})
    h, w = image_shape
    maps = np.zeros((len(pairs), h, w), dtype=np.float32)
    images = np.zeros_like(maps)
    counts, used = np.zeros(len(pairs), dtype=np.int64), np.zeros(len(pairs), dtype=np.int64)
    for k, (true, predicted) in enumerate(pairs):
        rows = wrong[(y_true[wrong] == true) & (y_pred[wrong] == predicted)]
        chosen = rows[np.argsort(-confidence[rows], kind="stable")][:limit]
        counts[k], used[k] = rows.size, chosen.size
        maps[k] = np.mean([attribution.occlusion(proba, X[i], image_shape=image_shape, target=predicted,
                                                 other=true).values for i in chosen], axis=0)
        images[k] = np.asarray(X[chosen], dtype=np.float32).mean(axis=0).reshape(h, w)
    return CellMaps(cells=np.array(pairs, dtype=np.int64).reshape(-1, 2), counts=counts, used=used, maps=maps,
                    images=images)
