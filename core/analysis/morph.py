"""The edit that flips an answer: blend an image towards a training image of another class and find the first
step where the model's answer becomes that class.

The path is the straight line between the two images' pixels, ``(1 - a) * image
+ a * toward`` for ``a`` in ``steps`` equal steps, rounded to whole pixel values
as every image is stored. With ``toward`` the nearest training image of the true
label (:func:`core.analysis.embedding.nearest_of_class`), the flip step is the
smallest change in that direction that makes the model right.

Examples
--------
>>> def proba(X):  # says class 1 once the mean pixel passes 100
...     p = (X.mean(axis=1) > 100).astype(float)
...     return np.column_stack([1 - p, p])
>>> found = morph(proba, np.zeros(4), np.full(4, 255), target=1, steps=10)
>>> found.flip, float(found.alphas[found.flip])
(4, 0.4)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

STEPS = 20


@dataclass(frozen=True, eq=False)
class Morph:
    """The blended images, the model's probabilities along them and the first step answering ``target``.

    Attributes
    ----------
    alphas : (steps + 1,) share of the way to the other image, 0 to 1
    images : (steps + 1, h*w) uint8, the blended images
    probabilities : (steps + 1, classes)
    predicted : (steps + 1,) the model's answer at each step (the most probable class)
    target : the class the path leads to
    flip : the first step whose answer is ``target`` (None when none is; 0 when the image already is)
    """

    alphas: np.ndarray
    images: np.ndarray
    probabilities: np.ndarray
    predicted: np.ndarray
    target: int
    flip: int | None


def morph(proba: Callable[[np.ndarray], np.ndarray], row, toward, *, target: int, steps: int = STEPS) -> Morph:
    """Blend the raw pixel ``row`` towards ``toward`` in ``steps`` steps and score every step with ``proba``."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    start = np.asarray(row, dtype=np.float64).ravel()
    end = np.asarray(toward, dtype=np.float64).ravel()
    if start.shape != end.shape:
        raise ValueError(f"the two images differ in size: {start.size} and {end.size} pixels")
    alphas = np.linspace(0.0, 1.0, steps + 1)
    images = np.clip(np.rint((1 - alphas[:, None]) * start + alphas[:, None] * end), 0, 255).astype(np.uint8)
    probabilities = np.asarray(proba(images), dtype=np.float64)
    predicted = probabilities.argmax(axis=1)
    hits = np.flatnonzero(predicted == target)
    return Morph(alphas=np.round(alphas, 10), images=images, probabilities=probabilities, predicted=predicted,
                 target=int(target), flip=int(hits[0]) if hits.size else None)
