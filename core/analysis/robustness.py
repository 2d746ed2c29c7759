"""Robustness to how digits are written: a model's accuracy on a fixed stratified subset of test images when they
are rotated, shifted, scaled, written thinner or thicker, elastically distorted or noisy, each at several strengths.

Every perturbation is seeded (the same images for every model and build) and works on any image size: lengths are
stated in pixels of a 28×28 MNIST digit and scaled to the image's side, so 1 px on an 8×8 digit is 8/28 px. The
images stay in the stored domain (uint8, 0-255), so a model's own Pipeline sees them as it sees a test image.

Examples
--------
>>> import numpy as np
>>> image = np.zeros((1, 5, 5), dtype=np.uint8)
>>> image[0, 1, 2] = 255
>>> rotate(image, np.array([90.0]))[0].nonzero()
(array([2]), array([1]))
>>> bool((perturb(image, "shift", 0.0, seed=0) == image).all())
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage
from sklearn.model_selection import train_test_split

from core.analysis.intervals import wilson

#: Test images every model is measured on (stratified by label, seeded).
SUBSET = 1000
#: Side of the images the strengths are stated for (MNIST).
REFERENCE_SIDE = 28
#: Smoothing of Simard et al.'s elastic displacement field, in MNIST pixels.
ELASTIC_SIGMA = 4.0
CLEAN = "clean"


@dataclass(frozen=True)
class Perturbation:
    """One kind of perturbation: its name, axis title, strengths and the strength that leaves an image as it is."""

    name: str
    title: str
    strengths: tuple[float, ...]
    identity: float = 0.0

    @property
    def extremes(self) -> tuple[float, ...]:
        """The strengths farthest from the identity (both ends of a two-sided kind when they tie).

        Examples
        --------
        >>> PERTURBATIONS["scale"].extremes, PERTURBATIONS["rotation"].extremes
        ((0.7, 1.3), (30.0,))
        """
        reach = [abs(s - self.identity) for s in self.strengths]
        return tuple(s for s, r in zip(self.strengths, reach) if np.isclose(r, max(reach)))

    def describe(self, strength: float) -> str:
        """The condition in words, e.g. ``"rotation 15°"``.

        Examples
        --------
        >>> PERTURBATIONS["scale"].describe(0.8), PERTURBATIONS["stroke"].describe(-1.0)
        ('scale ×0.8', 'stroke -1 px (thinner)')
        """
        return _DESCRIBE[self.name](strength)


_DESCRIBE: dict[str, Callable[[float], str]] = {
    "rotation": lambda s: f"rotation {s:g}°",
    "shift": lambda s: f"shift {s:g} px",
    "scale": lambda s: f"scale ×{s:g}",
    "stroke": lambda s: f"stroke {s:+g} px ({'thinner' if s < 0 else 'thicker'})",
    "elastic": lambda s: f"elastic α {s:g}",
    "noise": lambda s: f"noise σ {s:g}",
}

#: The perturbations, in the order the page draws them.
PERTURBATIONS = {p.name: p for p in (
    Perturbation("rotation", "rotation (degrees, either way)", (5.0, 10.0, 15.0, 20.0, 30.0)),
    Perturbation("shift", "shift (px, any direction)", (1.0, 2.0, 3.0, 4.0)),
    Perturbation("scale", "scale (× about the centre)", (0.7, 0.8, 0.9, 1.1, 1.2, 1.3), identity=1.0),
    Perturbation("stroke", "stroke width change (px)", (-1.5, -1.0, 1.0, 2.0)),
    Perturbation("elastic", f"elastic distortion α (σ {ELASTIC_SIGMA:g} px)", (8.0, 16.0, 24.0, 34.0)),
    Perturbation("noise", "Gaussian noise σ (of 255)", (25.0, 50.0, 75.0, 100.0)),
)}


def conditions() -> list[tuple[str, float]]:
    """Every measured condition as ``(kind, strength)``, the unperturbed images first as ``("clean", 0.0)``.

    Examples
    --------
    >>> conditions()[:3]
    [('clean', 0.0), ('rotation', 5.0), ('rotation', 10.0)]
    """
    return [(CLEAN, 0.0), *[(p.name, s) for p in PERTURBATIONS.values() for s in p.strengths]]


def subset_rows(y: np.ndarray, *, n: int = SUBSET, seed: int = 0) -> np.ndarray:
    """Sorted rows of a stratified random subset of ``n`` labels ``y`` (all rows when there are no more).

    Examples
    --------
    >>> rows = subset_rows(np.repeat([0, 1], 50), n=10)
    >>> len(rows), int((rows < 50).sum())
    (10, 5)
    """
    rows = np.arange(len(y))
    if n >= len(y):
        return rows
    picked, _ = train_test_split(rows, train_size=n, stratify=y, random_state=seed)
    return np.sort(picked)


def _rng(seed: int, kind: str, strength: float) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(kind.encode()), int(round(strength * 1000)) & 0xFFFFFFFF])


def _warp(images: np.ndarray, matrices: np.ndarray, offsets: np.ndarray, field: np.ndarray | None = None):
    """Each image resampled (bilinear, zero outside) at ``A @ (p - c) + c + t (+ field)`` for every output pixel
    ``p``, ``c`` the image centre, ``A`` its 2×2 matrix, ``t`` its offset (row, column)."""
    n, h, w = images.shape
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    gr, gc = (axis[None].astype(np.float32) for axis in np.meshgrid(np.arange(h) - centre[0],
                                                                    np.arange(w) - centre[1], indexing="ij"))
    a = np.asarray(matrices, dtype=np.float32)[:, :, :, None, None]
    r = a[:, 0, 0] * gr + a[:, 0, 1] * gc + np.float32(centre[0]) + offsets[:, 0, None, None].astype(np.float32)
    c = a[:, 1, 0] * gr + a[:, 1, 1] * gc + np.float32(centre[1]) + offsets[:, 1, None, None].astype(np.float32)
    if field is not None:
        r, c = r + field[..., 0], c + field[..., 1]
    return _bilinear(images, r, c)


def _bilinear(images: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``images`` (n, h, w) read at fractional rows ``r`` and columns ``c`` (n, h, w each), zero outside."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    r = np.clip(r + 1, 0, h + 1)
    c = np.clip(c + 1, 0, w + 1)
    r0 = np.minimum(np.floor(r).astype(np.intp), h)
    c0 = np.minimum(np.floor(c).astype(np.intp), w)
    fr, fc = (r - r0).astype(np.float32), (c - c0).astype(np.float32)
    flat = padded.ravel()
    base = r0 * (w + 2) + c0 + (np.arange(n) * (h + 2) * (w + 2))[:, None, None]

    def at(offset: int) -> np.ndarray:
        return flat[base + offset]

    top = at(0) * (1 - fc) + at(1) * fc
    bottom = at(w + 2) * (1 - fc) + at(w + 3) * fc
    return top * (1 - fr) + bottom * fr


def rotate(images: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """``images`` (n, h, w) each turned by its angle in ``degrees`` (counter-clockwise as drawn) about the centre."""
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    cos, sin = np.cos(theta), np.sin(theta)
    matrices = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], 1)
    return _to_pixels(_warp(images, matrices, np.zeros((len(images), 2))))


def _to_pixels(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _morph(images: np.ndarray, width: float) -> np.ndarray:
    """Strokes ``width`` px thicker (grey dilation) or thinner (erosion, for a negative width); a fractional
    width blends the two nearest whole footprints."""
    grow = ndimage.grey_dilation if width > 0 else ndimage.grey_erosion
    size = abs(width)
    low, frac = int(np.floor(size)), size - np.floor(size)

    def by(k: int) -> np.ndarray:
        return images.astype(np.float32) if k == 0 else grow(images, size=(1, k + 1, k + 1)).astype(np.float32)

    return _to_pixels((1 - frac) * by(low) + frac * by(low + 1) if frac else by(low))


def perturb(images: np.ndarray, kind: str, strength: float, *, seed: int = 0) -> np.ndarray:
    """``images`` (n, h, w) uint8 under perturbation ``kind`` at ``strength`` (see :data:`PERTURBATIONS`).

    Random parts (the direction of a rotation or shift, the elastic field, the noise) are drawn per image from a
    generator seeded by ``seed``, ``kind`` and ``strength``: the same call gives the same images. At the kind's
    identity strength (0, or 1 for ``scale``) and for ``"clean"`` the images come back unchanged.
    """
    images = np.asarray(images, dtype=np.uint8)
    if kind == CLEAN or strength == PERTURBATIONS[kind].identity:
        return images.copy()
    n, h, w = images.shape
    unit = h / REFERENCE_SIDE
    rng = _rng(seed, kind, strength)
    if kind == "rotation":
        return rotate(images, strength * rng.choice([-1.0, 1.0], size=n))
    if kind == "shift":
        angle = rng.uniform(0, 2 * np.pi, size=n)
        offsets = -strength * unit * np.stack([np.sin(angle), np.cos(angle)], -1)
        return _to_pixels(_warp(images, np.broadcast_to(np.eye(2), (n, 2, 2)), offsets))
    if kind == "scale":
        return _to_pixels(_warp(images, np.broadcast_to(np.eye(2) / strength, (n, 2, 2)), np.zeros((n, 2))))
    if kind == "stroke":
        return _morph(images, strength * unit)
    if kind == "elastic":
        noise = rng.uniform(-1, 1, size=(n, h, w, 2))
        field = ndimage.gaussian_filter(noise, sigma=(0, ELASTIC_SIGMA * unit, ELASTIC_SIGMA * unit, 0))
        field *= strength * unit
        return _to_pixels(_warp(images, np.broadcast_to(np.eye(2), (n, 2, 2)), np.zeros((n, 2)), field))
    if kind == "noise":
        return _to_pixels(images + rng.normal(0.0, strength, size=images.shape))
    raise ValueError(f"unknown perturbation {kind!r}; use one of {', '.join(PERTURBATIONS)}")


@dataclass(frozen=True, eq=False)
class Robustness:
    """One model's answers on the subset under every condition.

    Attributes
    ----------
    rows : (m,) test rows of the subset
    y_true : (m,) their labels (class indices)
    kinds, strengths : (k,) each condition (:func:`conditions`, ``"clean"`` first)
    predicted : (k, m) int16, the model's answer to each image under each condition
    """

    rows: np.ndarray
    y_true: np.ndarray
    kinds: np.ndarray
    strengths: np.ndarray
    predicted: np.ndarray

    def condition(self, kind: str, strength: float) -> int:
        """The position of condition (``kind``, ``strength``); ``KeyError`` when it was not measured."""
        hits = np.flatnonzero((self.kinds == kind) & np.isclose(self.strengths, strength))
        if not hits.size:
            raise KeyError(f"{kind} at {strength:g} was not measured")
        return int(hits[0])

    def flipped(self, index: int) -> np.ndarray:
        """Positions in the subset right when clean and wrong under condition ``index``."""
        right = self.predicted == self.y_true
        return np.flatnonzero(right[0] & ~right[index])

    def table(self) -> pd.DataFrame:
        """A row per condition: ``kind``, ``strength``, ``accuracy`` with its 95% Wilson ``low`` and ``high``,
        ``flipped`` (right when clean, wrong here), ``fixed`` (the reverse) and ``n``."""
        right = self.predicted == self.y_true
        hits, n = right.sum(axis=1), right.shape[1]
        interval = wilson(hits, n)
        return pd.DataFrame({"kind": self.kinds, "strength": self.strengths, "accuracy": hits / n,
                             "low": interval.low, "high": interval.high, "flipped": (right[0] & ~right).sum(axis=1),
                             "fixed": (~right[0] & right).sum(axis=1), "n": n})

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"rows": self.rows, "y_true": self.y_true, "kinds": self.kinds.astype(str),
                "strengths": self.strengths, "predicted": self.predicted}

    @classmethod
    def from_arrays(cls, arrays) -> Robustness:
        return cls(rows=arrays["rows"], y_true=arrays["y_true"], kinds=np.asarray(arrays["kinds"]).astype(str),
                   strengths=arrays["strengths"], predicted=arrays["predicted"])


@dataclass(frozen=True, eq=False)
class Perturbed:
    """The subset under every condition, made once and shared by every model a build measures.

    Attributes
    ----------
    rows, y_true, kinds, strengths : as in :class:`Robustness`
    images : (k, m, h*w) uint8, the subset's raw pixel rows under each condition
    """

    rows: np.ndarray
    y_true: np.ndarray
    kinds: np.ndarray
    strengths: np.ndarray
    images: np.ndarray


def perturbed(X: np.ndarray, y: np.ndarray, *, image_shape: tuple[int, int], n: int = SUBSET,
              seed: int = 0) -> Perturbed:
    """The stratified subset (:func:`subset_rows`) of test images ``X`` (raw pixel rows) with labels ``y`` under
    every condition of :func:`conditions`, seeded by ``seed``."""
    rows = subset_rows(y, n=n, seed=seed)
    images = np.asarray(X)[rows].reshape(len(rows), *image_shape)
    listed = conditions()
    return Perturbed(rows=rows, y_true=np.asarray(y)[rows], kinds=np.array([k for k, _ in listed]),
                     strengths=np.array([s for _, s in listed], dtype=np.float64),
                     images=np.stack([perturb(images, kind, strength, seed=seed).reshape(len(rows), -1)
                                      for kind, strength in listed]))


def measure(predict: Callable[[np.ndarray], np.ndarray], images: Perturbed, *, workers: int = 1) -> Robustness:
    """``predict``'s answers (class indices) to every condition's ``images``.

    ``predict`` takes rows (m, h*w) of 0-255 pixels, the model's own pipeline from raw pixels; it must be safe to
    call from ``workers`` threads at once (a fitted scikit-learn model or an onnxruntime session is). Two threads
    took 0.56-0.65 of one's time for an RBF SVM and k-NN on two cores (``docs/PERFORMANCE.md``).

    Examples
    --------
    >>> X = np.zeros((20, 16), dtype=np.uint8); X[10:, 5] = 255
    >>> y = np.repeat([0, 1], 10)
    >>> found = measure(lambda rows: (rows.sum(axis=1) > 200).astype(int), perturbed(X, y, image_shape=(4, 4), n=10))
    >>> table = found.table()
    >>> float(table["accuracy"][0]), int(table["n"][0])
    (1.0, 10)
    """
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        predicted = np.stack([np.asarray(p) for p in pool.map(predict, images.images)]).astype(np.int16)
    return Robustness(rows=images.rows, y_true=images.y_true, kinds=images.kinds, strengths=images.strengths,
                      predicted=predicted)


def strongest(table: pd.DataFrame) -> pd.Series:
    """Accuracy at each kind's strongest setting (for ``scale``, the lower of its two extremes), by kind, with
    ``clean`` first: the figures a comparison table shows.

    Examples
    --------
    >>> t = pd.DataFrame({"kind": ["clean", "scale", "scale", "scale"], "strength": [0, 0.7, 0.9, 1.3],
    ...                   "accuracy": [0.99, 0.9, 0.97, 0.8]})
    >>> strongest(t).to_dict()
    {'clean': 0.99, 'scale': 0.8}
    """
    out = {CLEAN: float(table.loc[table["kind"] == CLEAN, "accuracy"].iloc[0])}
    for name, part in table[table["kind"] != CLEAN].groupby("kind", sort=False):
        at = np.isclose(part["strength"].to_numpy()[:, None], PERTURBATIONS[name].extremes).any(axis=1)
        out[name] = float(part.loc[at, "accuracy"].min())
    return pd.Series(out, name="accuracy")


def summary(results: dict[str, Robustness]) -> pd.DataFrame:
    """A row per model: accuracy on the clean subset and at each kind's strongest setting (:func:`strongest`),
    and ``worst_drop``, the largest fall from clean over every condition, in points of accuracy."""
    rows = {}
    for name, result in results.items():
        table = result.table()
        row = strongest(table)
        row["worst_drop"] = float(row[CLEAN] - table["accuracy"].min())
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")
