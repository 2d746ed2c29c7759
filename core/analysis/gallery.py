"""Gallery pages: paging, display order and captions of test images, computed from stored predictions.

Examples
--------
>>> import numpy as np
>>> paginate(np.arange(25), page=3, per_page=10).rows
array([20, 21, 22, 23, 24])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import evaluation


@dataclass(frozen=True, eq=False)
class Page:
    """One page of a long list: its ``rows``, 1-based ``page`` and ``n_pages`` (at least 1)."""

    rows: np.ndarray
    page: int
    n_pages: int


def paginate(rows, *, page: int, per_page: int) -> Page:
    """The ``page``-th slice of ``per_page`` rows; ``page`` is clipped to the valid range."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}.")
    rows = np.asarray(rows)
    n_pages = max(1, -(-rows.size // per_page))
    page = int(min(max(page, 1), n_pages))
    return Page(rows=rows[(page - 1) * per_page: page * per_page], page=page, n_pages=n_pages)


def by_confidence(rows, confidence) -> np.ndarray:
    """``rows`` reordered by decreasing ``confidence[rows]``; ties keep their order."""
    rows = np.asarray(rows, dtype=np.int64)
    return rows[np.argsort(-np.asarray(confidence)[rows], kind="stable")]


def percent(p: float) -> str:
    """A probability as a percentage that never rounds to a false 0% or 100%.

    Examples
    --------
    >>> [percent(p) for p in (0.0004, 0.004, 0.42, 0.987, 0.9962, 0.99996)]
    ['<0.1%', '0.4%', '42%', '98.7%', '99.6%', '>99.9%']
    """
    if p >= 0.9995:
        return ">99.9%"
    if p < 0.0005:
        return "<0.1%"
    return f"{p:.1%}" if p < 0.01 or p >= 0.98 else f"{p:.0%}"


def gallery(rows, *, y_true, y_pred, scores, score_kind: str, class_names, k: int = 3,
            temperature: float = 1.0) -> pd.DataFrame:
    """Caption data for test images ``rows``: labels, confidence and the top-``k`` classes.

    Parameters
    ----------
    rows : array of int
        Test row indices, in display order.
    y_true, y_pred : array of int, shape (n_test,)
    scores : array, shape (n_test, n_classes)
    score_kind : {"proba", "decision"}
    class_names : names of the classes
    k : number of top classes listed
    temperature : softmax temperature of decision values (see :func:`core.analysis.evaluation.fit_temperature`)

    Returns
    -------
    pd.DataFrame
        One row per entry of ``rows`` with columns ``index``, ``true``,
        ``predicted`` (class names), ``confidence`` (largest pseudo-probability)
        and ``top`` (text such as ``"5 91% · 3 6% · 8 0.4%"``, see :func:`percent`).
    """
    rows = np.asarray(rows, dtype=np.int64)
    names = np.asarray([str(name) for name in class_names])
    k = min(k, len(names))
    classes, values = evaluation.top_k(np.asarray(scores)[rows], k=k, score_kind=score_kind,
                                      temperature=temperature)
    top = [" · ".join(f"{names[c]} {percent(v)}" for c, v in zip(cs, vs)) for cs, vs in zip(classes, values)]
    return pd.DataFrame({
        "index": rows,
        "true": names[np.asarray(y_true)[rows]],
        "predicted": names[np.asarray(y_pred)[rows]],
        "confidence": values[:, 0] if rows.size else np.zeros(0),
        "top": top,
    })
