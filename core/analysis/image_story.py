"""One test image's whole story: every model's answer, its nearest training images and what they say.

Examples
--------
>>> import numpy as np
>>> proba = {"a": np.array([[0.1, 0.7, 0.2]]), "b": np.array([[0.6, 0.3, 0.1]])}
>>> answers(0, probabilities=proba, y_true=np.array([1]), class_names=["0", "1", "2"])["predicted"].tolist()
['1', '0']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import embedding
from core.analysis.gallery import percent


def answers(index: int, *, probabilities: Mapping[str, np.ndarray], y_true: np.ndarray, class_names,
            k: int = 3) -> pd.DataFrame:
    """Every model's answer for test image ``index``: prediction, whether it is right, its top ``k``.

    Returns
    -------
    pd.DataFrame
        One row per model (in ``probabilities`` order) with ``model``,
        ``predicted``, ``correct``, ``confidence`` and ``top`` (e.g. ``"4 81% · 9 17% · 7 1.2%"``).
    """
    names = list(class_names)
    rows = []
    for model, proba in probabilities.items():
        row = np.asarray(proba[index], dtype=np.float64)
        best = np.argsort(-row, kind="stable")[:k]
        rows.append({"model": model, "predicted": names[best[0]], "correct": bool(best[0] == y_true[index]),
                     "confidence": float(row[best[0]]),
                     "top": " · ".join(f"{names[c]} {percent(float(row[c]))}" for c in best)})
    return pd.DataFrame(rows, columns=["model", "predicted", "correct", "confidence", "top"])


@dataclass(frozen=True)
class NeighbourStory:
    """The nearest training images of one image and the vote of their labels.

    Attributes
    ----------
    rows : training rows, nearest first
    labels : their labels
    distances : their distances in the explore feature space
    vote : shares carrying the true and the predicted label (:class:`core.analysis.embedding.Vote`)
    """

    rows: np.ndarray
    labels: np.ndarray
    distances: np.ndarray
    vote: embedding.Vote


def neighbour_story(rows: np.ndarray, distances: np.ndarray, *, y_train: np.ndarray, true: int,
                    predicted: int) -> NeighbourStory:
    """The :class:`NeighbourStory` of neighbours ``rows`` (training rows, nearest first) of one image."""
    rows = np.asarray(rows)
    labels = np.asarray(y_train)[rows]
    return NeighbourStory(rows=rows, labels=labels, distances=np.asarray(distances),
                          vote=embedding.neighbour_vote(labels, true=true, predicted=predicted))


def deskewing_models(params: Mapping[str, Mapping[str, str] | None]) -> list[str]:
    """Names of the models whose Pipeline deskews its input first (from the stored parameters; an imported
    model has none)."""
    return [name for name, described in params.items()
            if isinstance(described, Mapping) and "'Deskew'" in str(described.get("steps", ""))]
