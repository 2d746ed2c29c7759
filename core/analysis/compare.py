"""Two models' confusion difference: where model A puts more images than model B, and the reverse.

Cell ``(t, p)`` of ``A − B`` is A's count of true-``t`` images predicted ``p``
minus B's. Off the diagonal a negative cell is a confusion B makes more often
than A (B errs more there); on the diagonal a positive cell is a digit A gets
right more often. The images behind a cell are those in A's cell and not B's
(:attr:`CellImages.only_a`) and those in B's cell and not A's (``only_b``);
their counts differ by the cell's value.

Examples
--------
>>> import numpy as np
>>> y, a, b = np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), np.array([0, 2, 1, 2])
>>> confusion_difference(y, a, b, n_classes=3)[1].tolist()
[0, 0, 0]
>>> cell_images(y, a, b, true=1, predicted=2).only_a.tolist()
[2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis import evaluation


def confusion_difference(y_true, pred_a, pred_b, *, n_classes: int) -> np.ndarray:
    """The ``(n_classes, n_classes)`` integer matrix ``confusion(A) − confusion(B)`` (rows true, columns predicted)."""
    a = evaluation.confusion(y_true, pred_a, n_classes=n_classes).astype(np.int64)
    b = evaluation.confusion(y_true, pred_b, n_classes=n_classes).astype(np.int64)
    return a - b


@dataclass(frozen=True, eq=False)
class CellImages:
    """Test rows of one cell: in A's cell only (``only_a``) and in B's cell only (``only_b``)."""

    only_a: np.ndarray
    only_b: np.ndarray


def cell_images(y_true, pred_a, pred_b, *, true: int, predicted: int) -> CellImages:
    """The images of cell ``(true, predicted)`` that one model puts there and the other does not."""
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    row = y_true == true
    in_a, in_b = row & (pred_a == predicted), row & (pred_b == predicted)
    return CellImages(only_a=np.flatnonzero(in_a & ~in_b), only_b=np.flatnonzero(in_b & ~in_a))
