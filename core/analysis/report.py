"""The model comparison table, read from a built artifact set.

Examples
--------
>>> from core.artifacts import open_artifacts                # doctest: +SKIP
>>> comparison(open_artifacts("artifacts"))[["model", "test_accuracy"]]  # doctest: +SKIP
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.models.ablation import ABLATION
from core.artifacts import ArtifactSet

#: The study's most confused pairs, as (true, predicted) digit labels.
STUDY_PAIRS = (("9", "4"), ("5", "3"), ("7", "1"))
COLUMNS = ["model", "title", "task", "test_accuracy", "macro_f1", "cv_mean", "cv_std",
           "fit_seconds", "predict_ms", "size_bytes", "n_train"]


def pair_errors(y_true: np.ndarray, y_pred: np.ndarray, class_names) -> dict[str, int | None]:
    """Counts of the study's confusions (``"9->4"``...), None where a label is not a class."""
    index = {name: i for i, name in enumerate(class_names)}
    out = {}
    for true, predicted in STUDY_PAIRS:
        key = f"{true}->{predicted}"
        if true in index and predicted in index:
            out[key] = int(np.count_nonzero((y_true == index[true]) & (y_pred == index[predicted])))
        else:
            out[key] = None
    return out


def comparison(artifacts: ArtifactSet) -> pd.DataFrame:
    """One row per model: manifest metrics plus the study's pair-error counts (multiclass models)."""
    rows = []
    for name in artifacts.model_names:
        info = artifacts.model_info(name)
        row = {"model": name, "title": info["title"], "task": info["task"], **info["metrics"]}
        if info["task"] == "multiclass":
            pred = artifacts.predictions(name)
            row.update(pair_errors(pred.y_true, pred.y_pred, pred.class_names))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("cv_mean", "cv_std"):
        frame[column] = frame[column].astype(float)
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame.reindex(columns=COLUMNS + extra)


def ablation_table(artifacts: ArtifactSet) -> pd.DataFrame:
    """The ablation steps that were built, in order, with what each adds and its gain in accuracy.

    Build them with ``python -m core build --models ablation``.
    """
    frame = comparison(artifacts).set_index("model")
    steps = [step for step in ABLATION if step.name in frame.index]
    table = frame.loc[[s.name for s in steps]].reset_index()
    table.insert(2, "change", [s.change for s in steps])
    table.insert(4, "gain", table["test_accuracy"].diff())
    keep = ["model", "title", "change", "test_accuracy", "gain", *[f"{t}->{p}" for t, p in STUDY_PAIRS],
            "fit_seconds", "predict_ms", "size_bytes"]
    return table.reindex(columns=keep)


def report_json(artifacts: ArtifactSet) -> str:
    """The comparison as one JSON object for scripts.

    ``{"dataset": ..., "models": [{"name": ..., "test_accuracy": ...}, ...], "ablation": [...]}``;
    ``ablation`` lists the built ablation steps in order (see :func:`ablation_table`).
    """
    def records(frame: pd.DataFrame) -> list[dict]:
        frame = frame.rename(columns={"model": "name"}).astype(object)
        return frame.where(frame.notna(), None).to_dict(orient="records")

    return json.dumps({"dataset": artifacts.dataset, "models": records(comparison(artifacts)),
                       "ablation": records(ablation_table(artifacts))}, indent=2)


def report_text(artifacts: ArtifactSet, *, ablation: bool = False) -> str:
    """The comparison (or with ``ablation`` the ablation steps) as an aligned text table."""
    ds = artifacts.dataset
    frame = ablation_table(artifacts) if ablation else comparison(artifacts)
    frame = frame.drop(columns=["title", "change"], errors="ignore")
    frame["size_mb"] = frame.pop("size_bytes") / 1e6
    header = (f"{ds['id']} ({ds['name']}): {ds['n_train']} train / {ds['n_test']} test images, "
              f"built {artifacts.manifest['created']}")
    table = frame.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
    return f"{header}\n{table}"
