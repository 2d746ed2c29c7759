"""Review marks: kept across rebuilds, intact after a crash mid-write, complete with two writers at once."""

from __future__ import annotations

import multiprocessing
import pathlib
import threading
import time

import pandas as pd
import pytest

from core.artifacts import open_artifacts, reviews
from core.artifacts.build import build
from core.data import subset

HASH = "0123456789abcdef" * 4
JOIN_SECONDS = 60  # a writer stuck on the lock fails the test instead of hanging it


def test_marks_survive_a_rebuild_and_leave_with_other_data(tmp_path, digits):
    digits = subset(digits, train_size=200, test_size=60, seed=0)
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd")
    data_hash = open_artifacts(tmp_path).dataset["hash"]
    reviews.set_mark(tmp_path, data_hash, 5, "wrong", given=int(digits.y_test[5]), label=3)
    reviews.set_mark(tmp_path, data_hash, 9, "unsure", given=int(digits.y_test[9]))
    build(dataset=digits, artifacts_dir=tmp_path, models="rf")
    marks = reviews.load_marks(tmp_path, open_artifacts(tmp_path).dataset["hash"])
    assert marks[["row", "mark"]].values.tolist() == [[5, "wrong"], [9, "unsure"]]
    assert reviews.corrections(marks) == {5: 3}
    assert reviews.load_marks(tmp_path, HASH).empty, "another dataset has its own (empty) marks"


def test_a_crash_mid_write_keeps_the_previous_file(tmp_path, monkeypatch):
    reviews.set_mark(tmp_path, HASH, 1, "correct", given=1)
    path = reviews.reviews_path(tmp_path, HASH)
    before = path.read_bytes()
    original = pathlib.Path.write_text

    def half_then_crash(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        reviews.set_mark(tmp_path, HASH, 2, "wrong", given=2, label=7)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.suffix == ".tmp"] == []
    reviews.set_mark(tmp_path, HASH, 2, "wrong", given=2, label=7)
    assert reviews.load_marks(tmp_path, HASH)["row"].tolist() == [1, 2]


def _mark_many(root: str, start: int, count: int) -> None:
    for row in range(start, start + count):
        reviews.set_mark(root, HASH, row, "wrong", given=row % 10, label=(row + 1) % 10)


def _join(workers) -> list:
    """Wait for every thread or process until one shared deadline; the ones still running."""
    deadline = time.monotonic() + JOIN_SECONDS
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    return [worker for worker in workers if worker.is_alive()]


def test_threads_marking_at_once_lose_nothing(tmp_path):
    workers = [threading.Thread(target=_mark_many, args=(tmp_path, 100 * i, 20), daemon=True) for i in range(6)]
    for worker in workers:
        worker.start()
    assert _join(workers) == [], "writers still running after the deadline"
    rows = reviews.load_marks(tmp_path, HASH)["row"].tolist()
    assert rows == sorted(100 * i + j for i in range(6) for j in range(20))


def test_processes_marking_at_once_lose_nothing(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_mark_many, args=(str(tmp_path), 1000 * i, 25)) for i in range(3)]
    for worker in workers:
        worker.start()
    hung = _join(workers)
    for worker in hung:
        worker.kill()
        worker.join(5)
    assert hung == [], "writers still running after the deadline"
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert len(reviews.load_marks(tmp_path, HASH)) == 75


def test_clearing_a_mark_and_exporting_csv(tmp_path):
    reviews.set_mark(tmp_path, HASH, 4, "wrong", given=4, label=9)
    reviews.set_mark(tmp_path, HASH, 6, "correct", given=6, label=2)
    reviews.set_mark(tmp_path, HASH, 8, "unsure", given=8)
    reviews.set_mark(tmp_path, HASH, 8, None, given=8)
    marks = reviews.load_marks(tmp_path, HASH)
    csv = pd.read_csv(pd.io.common.BytesIO(reviews.marks_csv(marks, class_names=[str(d) for d in range(10)])),
                      keep_default_na=False, dtype={"right_label": str})
    assert csv[["test_row", "mark", "given_label", "right_label"]].values.tolist() == [
        [4, "label wrong", 4, "9"], [6, "label correct", 6, ""]]


def test_a_damaged_review_file_is_reported_and_not_overwritten(tmp_path):
    path = reviews.reviews_path(tmp_path, HASH)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(reviews.ReviewError, match="move it aside"):
        reviews.load_marks(tmp_path, HASH)
    with pytest.raises(reviews.ReviewError, match="move it aside"):
        reviews.set_mark(tmp_path, HASH, 1, "wrong", given=1, label=2)
    assert path.read_text() == "{not json"
    with pytest.raises(ValueError, match="mark must be one of"):
        reviews.set_mark(tmp_path, HASH, 1, "maybe", given=1)
