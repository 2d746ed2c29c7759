"""Review marks: a person's verdict on a test label ("label wrong", "label correct", "unsure"), kept on disk.

Marks live beside the artifacts in ``reviews/<dataset hash[:16]>.json``: they
belong to the data, not to a build, so every rebuild on the same data keeps
them (the build's clean-up never looks into ``reviews/``), and a build on
other data simply shows no marks. Each change is a read-modify-write under an
OS file lock (two browser tabs or processes marking at once lose nothing),
written to a temporary file and renamed over the old one (a crash mid-write
leaves the previous file intact).

Examples
--------
>>> import tempfile
>>> root = tempfile.mkdtemp()
>>> set_mark(root, "ab" * 32, 7, "wrong", given=1, label=7)["7"]["label"]
7
>>> load_marks(root, "ab" * 32)[["row", "mark", "given", "label"]].values.tolist()
[[7, 'wrong', 1, 7]]
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from filelock import FileLock

from core.artifacts import ArtifactError, write_json

FORMAT = 1
FOLDER = "reviews"
#: Mark values and their words.
MARKS = {"wrong": "label wrong", "correct": "label correct", "unsure": "unsure"}
COLUMNS = ["row", "mark", "given", "label", "time"]
LOCK_SECONDS = 10


class ReviewError(ArtifactError):
    """The review file cannot be read or written; the message says what to do."""


def reviews_path(root, dataset_hash: str) -> Path:
    """Where the marks of the data with content hash ``dataset_hash`` live under the artifact folder ``root``."""
    if not isinstance(dataset_hash, str) or not dataset_hash.isalnum() or len(dataset_hash) < 16:
        raise ReviewError(f"{dataset_hash!r} is not a dataset hash; the manifest was edited. Rebuild the artifacts.")
    return Path(root) / FOLDER / f"{dataset_hash[:16]}.json"


def _read(path: Path, dataset_hash: str) -> dict:
    if not path.is_file():
        return {}
    try:
        stored = json.loads(path.read_text())
        marks = stored["marks"]
        ok = stored.get("format") == FORMAT and stored.get("dataset_hash") == dataset_hash and isinstance(marks, dict)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReviewError(f"{path} is unreadable ({exc}); move it aside to start new reviews, or repair it.") from None
    if not ok:
        raise ReviewError(f"{path} is not a review file of this dataset; move it aside to start new reviews.")
    return marks


def load_marks(root, dataset_hash: str) -> pd.DataFrame:
    """Every mark as a frame with :data:`COLUMNS` (``label``: the right label of a "wrong" mark, else NA),
    sorted by row; empty when nothing was reviewed."""
    marks = _read(reviews_path(root, dataset_hash), dataset_hash)
    try:
        frame = pd.DataFrame([{"row": int(row), **{c: entry.get(c) for c in COLUMNS[1:]}}
                              for row, entry in marks.items()], columns=COLUMNS)
        frame = frame.astype({"row": "int64", "given": "int64", "label": "Int64", "mark": "str", "time": "str"})
    except (ValueError, TypeError, AttributeError) as exc:
        raise ReviewError(f"{reviews_path(root, dataset_hash)} holds a malformed mark ({exc}); move it aside "
                          "to start new reviews, or repair it.") from None
    return frame.sort_values("row", ignore_index=True)


def set_mark(root, dataset_hash: str, row: int, mark: str | None, *, given: int, label: int | None = None) -> dict:
    """Record ``mark`` (a key of :data:`MARKS`, or None to clear it) for test ``row`` whose label is ``given``.

    ``label`` is the right label of a "wrong" mark. Returns every mark as stored.
    """
    if mark is not None and mark not in MARKS:
        raise ValueError(f"mark must be one of {', '.join(MARKS)} or None, got {mark!r}.")
    path = reviews_path(root, dataset_hash)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.parent / f".{path.name}.lock", timeout=LOCK_SECONDS):
        marks = _read(path, dataset_hash)
        if mark is None:
            marks.pop(str(int(row)), None)
        else:
            marks[str(int(row))] = {"mark": mark, "given": int(given),
                                    "label": int(label) if mark == "wrong" and label is not None else None,
                                    "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        write_json(path, {"format": FORMAT, "dataset_hash": dataset_hash, "marks": marks})
    return marks


def corrections(marks: pd.DataFrame) -> dict[int, int]:
    """``{row: right label}`` of the rows marked "label wrong" with a right label."""
    wrong = marks[(marks["mark"] == "wrong") & marks["label"].notna()]
    return {int(r): int(label) for r, label in zip(wrong["row"], wrong["label"])}


def marks_csv(marks: pd.DataFrame, *, class_names) -> bytes:
    """The marks as CSV for download: test row, mark in words, given and right label by name, time."""
    names = list(class_names)
    out = pd.DataFrame({"test_row": marks["row"], "mark": marks["mark"].map(MARKS),
                        "given_label": [names[g] for g in marks["given"]],
                        "right_label": [names[int(v)] if pd.notna(v) else "" for v in marks["label"]],
                        "time": marks["time"]})
    return out.to_csv(index=False).encode()
