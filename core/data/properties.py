"""Per-image properties of the test images (how much ink, how wide, how slanted, how many loops ...).

The build stores them once (``properties-<key12>.npz``, manifest key
``properties``) so error slices (:mod:`core.analysis.slices`) can say which kinds of
digits a model fails on. Pixels at or above :data:`INK_LEVEL` count as ink for
the shape properties; ``ink`` sums every pixel.

Examples
--------
>>> import numpy as np
>>> ring = np.zeros((1, 9, 9), np.uint8); ring[0, 2:7, 2:7] = 255; ring[0, 3:6, 3:6] = 0
>>> props = image_properties(ring.reshape(1, -1), image_shape=(9, 9))
>>> int(props["loops"][0]), int(props["width"][0]), bool(props["touches_border"][0])
(1, 5, False)
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from core import artifacts as art
from core.data.preprocess import slant

INK_LEVEL = 64
#: Holes smaller than this many pixels are specks, not loops.
MIN_HOLE = 2
#: Property name -> (words, unit) for slice rules and chart titles.
PROPERTIES = {
    "ink": ("ink", "px"), "width": ("width", "px"), "height": ("height", "px"), "aspect": ("aspect w/h", ""),
    "slant": ("slant", ""), "thickness": ("thickness", "px"), "loops": ("loops", ""), "pieces": ("pieces", ""),
    "offset": ("centre offset", "px"), "touches_border": ("touches border", ""),
}
#: Bumped whenever a property's definition changes, so stored ones are recomputed.
VERSION = 1
_CHUNK = 2000
_SEPARATE = np.zeros((3, 3, 3), dtype=bool)  # 4-connected within an image, never across images
_SEPARATE[1] = ndimage.generate_binary_structure(2, 1)


def _extent(mask: np.ndarray) -> np.ndarray:
    any_on = mask.any(axis=1)
    first = mask.argmax(axis=1)
    last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    return np.where(any_on, last - first + 1, 0)


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4-connected components of every image of a stack: ``(labels, image of each label, size of each label)``."""
    labels, count = ndimage.label(mask, structure=_SEPARATE)
    owner = np.zeros(count + 1, dtype=np.int64)
    flat = labels.reshape(len(mask), -1)
    owner[flat] = np.arange(len(mask))[:, None]
    return labels, owner, np.bincount(flat.ravel(), minlength=count + 1)


def _chunk(images: np.ndarray) -> dict[str, np.ndarray]:
    n, height, width = images.shape
    on = images >= INK_LEVEL
    area = on.sum(axis=(1, 2))
    edges = (np.diff(np.pad(on, ((0, 0), (1, 1), (0, 0))).astype(np.int8), axis=1) != 0).sum(axis=(1, 2)) + \
        (np.diff(np.pad(on, ((0, 0), (0, 0), (1, 1))).astype(np.int8), axis=2) != 0).sum(axis=(1, 2))
    background = np.pad(~on, ((0, 0), (1, 1), (1, 1)), constant_values=True)
    labels, owner, sizes = _components(background)
    outer = labels[:, 0, 0]
    hole = sizes >= MIN_HOLE
    hole[0] = False
    hole[outer] = False
    pieces_labels, pieces_owner, _ = _components(on)
    w, h = _extent(on.any(axis=1)), _extent(on.any(axis=2))
    mass = images.sum(axis=(1, 2), dtype=np.float64)
    safe = np.where(mass > 0, mass, 1.0)
    cy = np.where(mass > 0, images.sum(axis=2) @ np.arange(height) / safe, (height - 1) / 2)
    cx = np.where(mass > 0, images.sum(axis=1) @ np.arange(width) / safe, (width - 1) / 2)
    border = on[:, 0, :].any(axis=1) | on[:, -1, :].any(axis=1) | on[:, :, 0].any(axis=1) | on[:, :, -1].any(axis=1)
    return {
        "ink": mass / 255.0, "width": w, "height": h, "aspect": w / np.maximum(h, 1), "slant": slant(images),
        "thickness": 2 * area / np.maximum(edges, 1), "loops": np.bincount(owner[hole], minlength=n),
        "pieces": np.bincount(pieces_owner[1:], minlength=n),
        "offset": np.hypot(cy - (height - 1) / 2, cx - (width - 1) / 2),
        "touches_border": border,
    }


def image_properties(X, *, image_shape) -> pd.DataFrame:
    """The :data:`PROPERTIES` of every image of ``X`` (uint8 rows ``(n, h*w)``), one row per image.

    ``thickness`` is twice the ink area over its outline length (a stroke of
    length L and width w has area L·w and outline about 2·L); ``loops`` counts the
    enclosed background regions; ``pieces`` the separate ink strokes;
    ``offset`` is the distance of the centre of mass from the image centre.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(f"X must be rows of {image_shape[0]}*{image_shape[1]} pixels, got {X.shape}.")
    parts = [_chunk(X[i:i + _CHUNK].reshape(-1, *image_shape).astype(np.float64))
             for i in range(0, max(len(X), 1), _CHUNK)]
    frame = pd.DataFrame({name: np.concatenate([p[name] for p in parts])[:len(X)] for name in PROPERTIES})
    return frame.astype({"ink": "float32", "width": "int16", "height": "int16", "aspect": "float32",
                         "slant": "float32", "thickness": "float32", "loops": "int16", "pieces": "int16",
                         "offset": "float32", "touches_border": "bool"})


def properties_key(ds) -> str:
    """Hash of what the stored properties depend on: the data and :data:`VERSION`."""
    payload = {"data": ds.content_hash, "version": VERSION, "properties": list(PROPERTIES), "ink_level": INK_LEVEL}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def write_properties(root: Path, ds, *, key: str) -> dict:
    """Compute the properties of ``ds``'s test images, write them under ``root`` and return the manifest entry."""
    start = time.perf_counter()
    frame = image_properties(ds.X_test, image_shape=ds.image_shape)
    relative = f"properties-{key[:12]}.npz"
    art.write_npz(Path(root) / relative, {name: frame[name].to_numpy() for name in frame})
    return {"key": key, "version": VERSION, "columns": list(frame), "seconds": round(time.perf_counter() - start, 3),
            "files": {"arrays": relative}, "sha256": {relative: art.sha256_file(Path(root) / relative)}}


def stored_properties(aset) -> pd.DataFrame:
    """The properties an artifact set stores (checked against the manifest), one row per test image.

    Raises
    ------
    core.artifacts.MissingArtifacts
        When the set was built before properties existed (the message says how to rebuild).
    """
    entry = aset.manifest.get("properties")
    relative = entry.get("files", {}).get("arrays") if isinstance(entry, dict) else None
    if relative is None:
        raise art.MissingArtifacts(f"{aset.root} has no image properties (built by an older version). "
                                   f"Rebuild with: {art.build_command(aset.root)}")
    path = aset.path(relative, pattern=r"properties-\w+\.npz")
    try:
        with np.load(path, allow_pickle=False) as npz:
            frame = pd.DataFrame({name: npz[name] for name in PROPERTIES})
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise art.CorruptArtifacts(f"{path} is unreadable ({exc}). Rebuild with: "
                                   f"{art.build_command(aset.root)}") from None
    if len(frame) != aset.dataset["n_test"]:
        raise art.CorruptArtifacts(f"{path} describes {len(frame)} images, the set has {aset.dataset['n_test']}. "
                                   f"Rebuild with: {art.build_command(aset.root)}")
    return frame
