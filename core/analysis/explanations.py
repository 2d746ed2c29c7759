"""Attribution maps of stored test images for scripts: ``python -m core explain NAME --image N``.

Loads the model from the artifact set, scores as the pages do (decision values
through the stored temperature) and explains the model's answer
(:func:`core.analysis.attribution.explain`), contrasted with the true label when
the answer is wrong and with the runner-up when it is right, unless the caller
names the classes.

Examples
--------
>>> from core.artifacts import open_artifacts                                     # doctest: +SKIP
>>> found = explain_test_image(open_artifacts("artifacts"), "rf", row=8)          # doctest: +SKIP
>>> found["deletion"]["beats_ink"]                                               # doctest: +SKIP
True
"""

from __future__ import annotations

import json
import time

import numpy as np

from core.analysis import attribution
from core.artifacts import ArtifactSet
from core.models.training import model_scores


def class_index(class_names, text: str | None) -> int | None:
    """The index of class ``text`` (a class name, e.g. ``"9"``); ``ValueError`` naming the classes otherwise."""
    if text is None:
        return None
    names = [str(name) for name in class_names]
    if text not in names:
        raise ValueError(f"unknown class {text!r}; choose from {', '.join(names)}")
    return names.index(text)


def explain_test_image(artifacts: ArtifactSet, name: str, *, row: int, target: str | None = None,
                       other: str | None = None) -> dict:
    """The map of test image ``row`` for model ``name`` as one JSON-ready dict.

    Keys: ``model``, ``image``, ``label``, ``predicted``, ``target``, ``other`` (class names), ``method`` (one line),
    ``patch``, ``stride``, ``baseline``, ``score``, ``map`` (``h`` lists of ``w`` floats), ``deletion``
    (``area_map``, ``area_ink``, ``area_random``, ``beats_ink``, ``beats_random``) and ``seconds``.
    """
    data = artifacts.data()
    if not 0 <= row < len(data.y_test):
        raise ValueError(f"--image must be a test row from 0 to {len(data.y_test) - 1}, got {row}")
    if artifacts.model_info(name)["task"] != "multiclass":
        raise ValueError(f"{name} is not a multiclass model; maps explain a class among all digits")
    classes = list(data.class_names)
    model = artifacts.load_model(name)
    temperature = artifacts.predictions(name).temperature
    proba = attribution.scorer_proba(lambda X: model_scores(model, X, n_classes=len(classes)),
                                     temperature=temperature)
    pixels = data.X_test[row]
    start = time.perf_counter()
    first = proba(pixels[None])[0]
    predicted = int(np.argmax(first))
    chosen = class_index(classes, target)
    chosen = predicted if chosen is None else chosen
    against = class_index(classes, other)
    if against is None:
        against = attribution.contrast_class(first, predicted=chosen, true=int(data.y_test[row]))
    if against == chosen:
        raise ValueError(f"--other must differ from the explained class {classes[chosen]}")
    found = attribution.explain(proba, pixels, image_shape=data.image_shape, target=chosen, other=against)
    seconds = time.perf_counter() - start
    a, d = found.attribution, found.deletion
    return {
        "model": name, "image": int(row), "label": classes[int(data.y_test[row])], "predicted": classes[predicted],
        "target": classes[chosen], "other": classes[against], "method": a.describe(classes), "patch": a.patch,
        "stride": a.stride, "baseline": a.baseline, "score": round(a.score, 6),
        "map": np.round(a.values.astype(np.float64), 6).tolist(),
        "deletion": {"area_map": round(d.area_map, 6), "area_ink": round(d.area_ink, 6),
                     "area_random": round(d.area_random, 6), "beats_ink": d.beats_ink,
                     "beats_random": d.beats_random},
        "seconds": round(seconds, 4),
    }


def explanation_text(found: dict) -> str:
    """The map as signed characters (``+`` supports, ``-`` speaks against, ``.`` neither) with the settings and
    the deletion areas."""
    values = np.asarray(found["map"])
    scale = float(np.abs(values).max()) or 1.0
    marks = np.where(values > scale / 4, "+", np.where(values < -scale / 4, "-", "."))
    d = found["deletion"]
    verdict = ("beats" if d["beats_ink"] else "does NOT beat") + " removing the brightest ink first"
    lines = [f"{found['model']} on test image #{found['image']} (label {found['label']}, says {found['predicted']}): "
             f"why {found['target']} and not {found['other']}",
             found["method"], *("".join(row) for row in marks),
             f"deletion area (smaller is better): map {d['area_map']:.3f}, brightest ink first {d['area_ink']:.3f}, "
             f"random {d['area_random']:.3f}; the map {verdict}", f"{found['seconds'] * 1000:.0f} ms"]
    return "\n".join(lines)


def explanation_json(found: dict) -> str:
    """:func:`explain_test_image`'s dict as one JSON object."""
    return json.dumps(found)
