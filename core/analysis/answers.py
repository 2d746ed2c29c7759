"""Every model's answer for one drawn or uploaded digit: the input row and the models' votes.

The Draw page turns a canvas or a picture into one model input row
(:func:`digit_row`) and asks every fitted model about it
(:func:`predict_all`); :func:`scores_decide` says, from a model's stored test
predictions, whether one scoring call gives its prediction too.

Examples
--------
>>> import numpy as np
>>> canvas = np.zeros((280, 280, 4), dtype=np.uint8)
>>> canvas[..., 3] = 255
>>> digit_row(canvas, image_shape=(28, 28)) is None
True
>>> canvas[60:220, 130:150, :3] = 255
>>> digit_row(canvas, image_shape=(28, 28)).shape
(1, 784)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis import evaluation
from core.data.pictures import MNIST_BOX, MNIST_SIZE, canvas_to_mnist
from core.models.quick import one_thread
from core.models.training import model_scores


def digit_row(image, *, image_shape) -> np.ndarray | None:
    """A drawing or picture as one model input row for images of ``image_shape``.

    ``image`` is anything :func:`core.data.pictures.canvas_to_mnist` accepts (an
    RGBA canvas, or the 28x28 output of ``image_to_mnist``). MNIST-sized
    models get the digit fitted into a 20-pixel box as MNIST was made; smaller
    images (the 8x8 digits) get it fitted into the whole square.

    Returns
    -------
    ndarray of uint8, shape (1, h*w), or None when nothing is drawn.
    """
    height, width = image_shape
    if height != width:
        raise ValueError(f"drawings can only feed square images, not {height}x{width}.")
    box = MNIST_BOX if height == MNIST_SIZE else height
    digit = canvas_to_mnist(image, size=height, box=box)
    return None if digit is None else digit.reshape(1, -1)


@dataclass(frozen=True, eq=False)
class Votes:
    """Every model's answer for one image.

    Attributes
    ----------
    probabilities : pd.DataFrame
        Index: model names; columns: class names; pseudo-probabilities.
    summary : pd.DataFrame
        Index: model names; columns ``predicted`` (class name) and
        ``confidence`` (the largest pseudo-probability).
    agree : bool
        True when all models predict the same class.
    """

    probabilities: pd.DataFrame
    summary: pd.DataFrame
    agree: bool


def scores_decide(y_pred, scores) -> bool:
    """True when the argmax of every row of ``scores`` is that row's ``y_pred``.

    Checked on a model's stored test predictions, it says whether the model's
    ``predict`` is the argmax of its scores (probabilities, decision values
    with ``break_ties=True``...), so one scoring call gives both.

    Examples
    --------
    >>> scores_decide(np.array([1, 0]), np.array([[0.2, 0.8], [0.9, 0.1]]))
    True
    """
    scores = np.asarray(scores)
    return scores.ndim == 2 and len(scores) > 0 and bool(np.array_equal(scores.argmax(axis=1), np.asarray(y_pred)))


def predict_all(models: Mapping, row, *, class_names, temperatures: Mapping | None = None,
                from_scores: Collection[str] = (), scorers: Mapping | None = None) -> Votes:
    """Ask every fitted model about one input row (``(1, n_pixels)``).

    Decision values are turned into probabilities by a softmax at each model's
    stored temperature (``temperatures[name]``, default 1), as in
    :func:`core.analysis.evaluation.probabilities`. Models named in ``from_scores``
    (see :func:`scores_decide`) predict the argmax of their scores instead of
    being asked a second time through ``predict``; for an SVM or k-NN that
    halves the time. ``scorers[name]`` (see :func:`core.models.quick.quick_scorer`)
    gives a model's scores in place of asking the model. Numeric libraries use one
    thread meanwhile (:func:`core.models.quick.one_thread`).
    """
    temperatures, scorers = temperatures or {}, scorers or {}
    names = [str(name) for name in class_names]
    probabilities, predicted = {}, {}
    with one_thread():
        for name, model in models.items():
            scores, kind = scorers[name](row) if name in scorers else model_scores(model, row, n_classes=len(names))
            probabilities[name] = evaluation.probabilities(scores, score_kind=kind,
                                                           temperature=temperatures.get(name, 1.0))[0]
            label = scores[0].argmax() if name in from_scores else np.asarray(model.predict(row))[0]
            predicted[name] = names[int(label)]
    table = pd.DataFrame.from_dict(probabilities, orient="index", columns=names)
    summary = pd.DataFrame({"predicted": pd.Series(predicted, dtype=object), "confidence": table.max(axis=1)})
    return Votes(probabilities=table, summary=summary, agree=summary["predicted"].nunique() <= 1)


__all__ = ["Votes", "digit_row", "predict_all", "scores_decide"]
