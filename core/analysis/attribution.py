"""Why, in the image: which ink pushes a model towards a class, for any model that gives probabilities.

:func:`occlusion` covers the image with square patches, one at a time, set to
a baseline (by default the background, 0: "as if that ink were not there"),
and records how much the explained score falls. The score is the probability
of the ``target`` class, or, for a contrastive map ("why 9 and not 4?"),
``p(target) - p(other)``. A pixel's value is the mean fall over the patches
that cover it, so positive values mark ink that supports the target and
negative values ink that speaks against it. Only calls to the model are used
(model-agnostic): pipelines with deskewing, gradient histograms, PCA, SVMs,
forests, k-NN and imported ONNX graphs all work the same way. Patches that
are already the baseline change nothing and are not scored.

:func:`deletion_curve` measures how faithful a map is: remove the ink pixels
the map ranks highest, in steps, and watch the target's probability fall,
against removing them in random order and brightest first. A smaller area
under the curve is a better map; one that does not beat the ink order says
little beyond "the model looks at the ink".

Examples
--------
>>> import numpy as np
>>> def proba(X):  # a toy model: the more ink in the left half, the more it says class 0
...     left = X.reshape(-1, 4, 4)[:, :, :2].sum(axis=(1, 2)) / 2040
...     return np.column_stack([left, 1 - left])
>>> row = np.full(16, 255, dtype=np.uint8)
>>> found = occlusion(proba, row, image_shape=(4, 4), target=0, patch=2, stride=2)
>>> bool((found.values[:, :2] > 0).all() and (found.values[:, 2:] == 0).all())
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.analysis.evaluation import probabilities

#: A model as the maps see it: raw 0-255 pixel rows ``(n, h*w)`` to class probabilities ``(n, classes)``.
Proba = Callable[[np.ndarray], np.ndarray]
#: Steps of the deletion curve, and the random orders it averages.
DELETION_STEPS, RANDOM_ORDERS = 20, 3


@dataclass(frozen=True, eq=False)
class Attribution:
    """An occlusion map of one image for one model.

    Attributes
    ----------
    values : (h, w) float32, the mean fall of the explained score when a patch covering the pixel is the baseline
    target, other : the explained class, and the class it is contrasted with (None: ``p(target)`` alone)
    score : the explained score of the image itself
    patch, stride : patch side and step, in pixels
    baseline : ``"background"`` (0) or ``"given"`` (an image passed as the baseline)
    """

    values: np.ndarray
    target: int
    other: int | None
    score: float
    patch: int
    stride: int
    baseline: str

    def describe(self, class_names=None) -> str:
        """The method and its settings in one line, e.g. ``occlusion: 4x4 patches every 2 px ...``."""
        name = (lambda c: str(c)) if class_names is None else (lambda c: str(class_names[c]))
        score = f"p({name(self.target)})" + ("" if self.other is None else f" - p({name(self.other)})")
        fill = "the background (0)" if self.baseline == "background" else "the given baseline image"
        return (f"occlusion: {self.patch}x{self.patch} patches every {self.stride} px set to {fill}; "
                f"a pixel's value is the mean fall of {score} over the patches covering it")


def default_patch(image_shape) -> tuple[int, int]:
    """Patch side and stride for images of ``image_shape``: 4 and 2 for 28x28 (a stroke's width), 2 and 1 for 8x8.

    Examples
    --------
    >>> default_patch((28, 28)), default_patch((8, 8))
    ((4, 2), (2, 1))
    """
    patch = max(2, round(min(image_shape) / 7))
    return patch, max(1, patch // 2)


def occlusion(proba: Proba, row, *, image_shape, target: int, other: int | None = None, patch: int | None = None,
              stride: int | None = None, baseline=None) -> Attribution:
    """The occlusion map of ``row`` (raw 0-255 pixels) for ``target`` (contrasted with ``other`` when given).

    Parameters
    ----------
    proba : the model, rows to probabilities
    row : array of shape (h*w,) or (1, h*w)
    image_shape : (h, w)
    target, other : class indices
    patch, stride : patch side and step (default :func:`default_patch`); the last patch of a row or column
        is moved in to end at the image's edge, so every pixel is covered
    baseline : an image of the same size to fill patches from (default: the background, 0)
    """
    h, w = image_shape
    image = np.asarray(row, dtype=np.float64).reshape(h, w)
    fill = np.zeros_like(image) if baseline is None else np.asarray(baseline, dtype=np.float64).reshape(h, w)
    default = default_patch(image_shape)
    patch, stride = patch or default[0], stride or default[1]
    corners = [(i, j) for i in _starts(h, patch, stride) for j in _starts(w, patch, stride)
               if not np.array_equal(image[i:i + patch, j:j + patch], fill[i:i + patch, j:j + patch])]
    batch = np.repeat(image[None], len(corners) + 1, axis=0)
    for k, (i, j) in enumerate(corners, start=1):
        batch[k, i:i + patch, j:j + patch] = fill[i:i + patch, j:j + patch]
    scores = _explained(proba(batch.reshape(len(batch), -1)), target, other)
    falls, covered = np.zeros((h, w)), np.zeros((h, w))
    for (i, j), occluded in zip(corners, scores[1:]):
        falls[i:i + patch, j:j + patch] += scores[0] - occluded
    for i in _starts(h, patch, stride):
        for j in _starts(w, patch, stride):
            covered[i:i + patch, j:j + patch] += 1
    return Attribution(values=(falls / covered).astype(np.float32), target=int(target),
                       other=None if other is None else int(other), score=float(scores[0]), patch=patch,
                       stride=stride, baseline="background" if baseline is None else "given")


def _starts(size: int, patch: int, stride: int) -> list[int]:
    """Top (or left) edges of the patches along a side of ``size`` pixels, the last one ending at the edge."""
    starts = list(range(0, max(size - patch, 0) + 1, stride))
    if starts[-1] + patch < size:
        starts.append(size - patch)
    return starts


def _explained(probabilities: np.ndarray, target: int, other: int | None) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return probabilities[:, target] - (0.0 if other is None else probabilities[:, other])


@dataclass(frozen=True, eq=False)
class Deletion:
    """The target's probability as ink is removed in three orders, and the areas under those curves.

    Attributes
    ----------
    fractions : (steps + 1,) share of the ink pixels removed, 0 to 1
    by_map, by_ink, by_random : (steps + 1,) probability of the target class after each step, removing the pixels
        the map ranks highest first, the brightest first, and in random order (mean of :data:`RANDOM_ORDERS`)
    area_map, area_ink, area_random : the mean over the steps of each curve (trapezoidal, 0 to 1): smaller is faster
    """

    fractions: np.ndarray
    by_map: np.ndarray
    by_ink: np.ndarray
    by_random: np.ndarray
    area_map: float
    area_ink: float
    area_random: float

    @property
    def beats_ink(self) -> bool:
        """Whether the map's order removes the target faster than the brightest-first order."""
        return self.area_map < self.area_ink

    @property
    def beats_random(self) -> bool:
        return self.area_map < self.area_random


def deletion_curve(proba: Proba, row, values, *, target: int, steps: int = DELETION_STEPS, seed: int = 0
                   ) -> Deletion:
    """Remove the ink of ``row`` (pixels above 0) in ``steps`` steps in the order of ``values`` (highest first),
    of brightness and at random, scoring ``p(target)`` after each step.

    Examples
    --------
    >>> def proba(X):
    ...     p = X[:, :2].sum(axis=1) / 510
    ...     return np.column_stack([p, 1 - p])
    >>> row = np.array([255, 255, 200, 200], dtype=np.uint8)
    >>> curve = deletion_curve(proba, row, np.array([1.0, 1.0, 0.0, 0.0]), target=0, steps=2)
    >>> curve.by_map.tolist(), curve.beats_random
    ([1.0, 0.0, 0.0], True)
    """
    image = np.asarray(row, dtype=np.float64).ravel()
    ink = np.flatnonzero(image > 0)
    ranked = ink[np.argsort(-np.asarray(values, dtype=np.float64).ravel()[ink], kind="stable")]
    brightest = ink[np.argsort(-image[ink], kind="stable")]
    rng = np.random.default_rng(seed)
    orders = [ranked, brightest, *(rng.permutation(ink) for _ in range(RANDOM_ORDERS))]
    cuts = np.rint(np.linspace(0, ink.size, steps + 1)).astype(int)
    batch = np.repeat(image[None], len(orders) * len(cuts), axis=0)
    for o, order in enumerate(orders):
        for c, cut in enumerate(cuts):
            batch[o * len(cuts) + c, order[:cut]] = 0
    curves = np.asarray(proba(batch), dtype=np.float64)[:, target].reshape(len(orders), len(cuts))
    by_random = curves[2:].mean(axis=0)
    fractions = cuts / max(ink.size, 1)
    return Deletion(fractions=fractions, by_map=curves[0], by_ink=curves[1], by_random=by_random,
                    area_map=_area(curves[0]), area_ink=_area(curves[1]), area_random=_area(by_random))


def _area(curve: np.ndarray) -> float:
    """Trapezoidal mean of a curve sampled at equal steps."""
    return float((curve[:-1] + curve[1:]).sum() / (2 * (curve.size - 1))) if curve.size > 1 else float(curve[0])


@dataclass(frozen=True, eq=False)
class Explanation:
    """An occlusion map and the deletion curve of its target (what the dialog, the Draw page and the CLI show)."""

    attribution: Attribution
    deletion: Deletion


def explain(proba: Proba, row, *, image_shape, target: int, other: int | None = None, seed: int = 0) -> Explanation:
    """:func:`occlusion` for ``target`` (against ``other``) with default patches, and the :func:`deletion_curve`
    of ``p(target)`` in the order of that map."""
    found = occlusion(proba, row, image_shape=image_shape, target=target, other=other)
    return Explanation(attribution=found, deletion=deletion_curve(proba, row, found.values, target=target, seed=seed))


def scorer_proba(scorer: Callable[[np.ndarray], tuple[np.ndarray, str]], *, temperature: float) -> Proba:
    """A model's scorer (rows to ``(scores, kind)``, :func:`core.models.training.model_scores`) as probabilities,
    decision values through the softmax at ``temperature`` the pages use."""

    def proba(X: np.ndarray) -> np.ndarray:
        scores, kind = scorer(np.asarray(X))
        return probabilities(scores, score_kind=kind, temperature=temperature)

    return proba


def contrast_class(probabilities_row, *, predicted: int, true: int | None) -> int:
    """The class a map of ``predicted`` is contrasted with by default: the true label when the answer is wrong,
    else the runner-up.

    Examples
    --------
    >>> contrast_class(np.array([0.1, 0.6, 0.3]), predicted=1, true=1), contrast_class([0.1, 0.6, 0.3], predicted=1,
    ...                                                                                true=0)
    (2, 0)
    """
    if true is not None and true != predicted:
        return int(true)
    order = np.argsort(-np.asarray(probabilities_row, dtype=np.float64), kind="stable")
    return int(next(c for c in order if c != predicted))
