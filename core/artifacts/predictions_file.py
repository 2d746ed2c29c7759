"""Read and check a predictions file: one row per test image with per-class scores.

Formats, by suffix:

- ``.csv`` / ``.parquet``: one column per class named by the class names
  (``0`` ... ``9``), optionally ``predicted`` (a class name) and ``index``
  (the test row it belongs to, when rows are not in test order).
- ``.npz``: ``scores`` ``(n_test, n_classes)``, optionally ``predicted`` and ``index`` ``(n_test,)``.

Scores are probabilities (each row in [0, 1], summing to 1) or, declared with
``score_kind="decision"``, decision values or logits. Every problem is one
line naming the file and the row (``line`` for CSV, counting the header as
line 1) or column.

Examples
--------
>>> y_pred, scores = read_predictions("cnn.csv", class_names=tuple("0123456789"), n_test=10_000)  # doctest: +SKIP
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from core.artifacts import ArtifactError

SUFFIXES = (".csv", ".parquet", ".npz")
PREDICTED, INDEX, SCORES = "predicted", "index", "scores"
SCORE_KINDS = ("proba", "decision")
PROBA_TOLERANCE = 1e-3
MAX_FILE_BYTES = 1 << 30


class InvalidImport(ArtifactError):
    """A predictions or model file that cannot be imported (nothing was written); the message names the file
    and, for a predictions file, the row or column."""


def read_predictions(path, *, class_names, n_test: int, score_kind: str = "proba") -> tuple[np.ndarray, np.ndarray]:
    """``(y_pred, scores)`` in test order: class indices ``(n_test,)`` int64 and ``(n_test, n_classes)`` float32.

    ``y_pred`` is the file's ``predicted`` column when it has one, else the
    argmax of the scores. Raises :class:`InvalidImport`.
    """
    path = Path(path)
    if score_kind not in SCORE_KINDS:
        raise ValueError(f"score_kind must be one of {SCORE_KINDS}, got {score_kind!r}")
    class_names = [str(c) for c in class_names]
    frame = _read(path, class_names)
    where = (lambda i: f"line {i + 2}") if path.suffix == ".csv" else (lambda i: f"row {i}")
    _check_columns(path, frame, class_names)
    if len(frame) != n_test:
        raise InvalidImport(f"{path} has {len(frame):,} rows, but the artifact set has {n_test:,} test images: "
                                   "give one row per test image, in test order or with an 'index' column.")
    scores = _scores(path, frame, class_names, where, score_kind)
    y_pred = (_labels(path, frame[PREDICTED], class_names, where) if PREDICTED in frame
              else scores.argmax(axis=1).astype(np.int64))
    if INDEX in frame:
        order = np.argsort(_index(path, frame[INDEX], n_test, where))
        y_pred, scores = y_pred[order], scores[order]
    return y_pred, scores


def _read(path: Path, class_names: list[str]) -> pd.DataFrame:
    if path.suffix not in SUFFIXES:
        raise InvalidImport(f"{path}: a predictions file must be {', '.join(SUFFIXES)}.")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidImport(f"{path} is {size / 2**30:.1f} GiB; a predictions file may be at most 1 GiB.")
        if path.suffix == ".csv":
            return pd.read_csv(path)
        if path.suffix == ".parquet":
            return _read_parquet(path)
        return _read_npz(path, class_names)
    except InvalidImport:
        raise
    except OSError as exc:
        raise InvalidImport(f"Cannot read {path} ({exc.strerror or exc}); check the path.") from None
    except (ValueError, zipfile.BadZipFile, EOFError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise InvalidImport(f"{path} is not a readable {path.suffix[1:].upper()} file "
                                   f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}).") from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401  (pandas reads Parquet through it)
    except ImportError:
        raise InvalidImport(f"{path}: reading Parquet needs pyarrow (pip install pyarrow); or save the "
                                   "predictions as CSV or NPZ.") from None
    return pd.read_parquet(path)


def _read_npz(path: Path, class_names: list[str]) -> pd.DataFrame:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    unexpected = sorted(set(arrays) - {SCORES, PREDICTED, INDEX})
    if SCORES not in arrays or unexpected:
        raise InvalidImport(f"{path} holds arrays {sorted(arrays)}; expected 'scores' (n_test, "
                                   f"{len(class_names)}) and optionally 'predicted' and 'index'.")
    scores = arrays.pop(SCORES)
    if scores.ndim != 2 or scores.shape[1] != len(class_names):
        raise InvalidImport(f"{path}: 'scores' has shape {scores.shape}; expected (n_test, "
                                   f"{len(class_names)}), one column per class ({', '.join(class_names)}).")
    for key, array in arrays.items():
        if array.shape != (len(scores),):
            raise InvalidImport(f"{path}: '{key}' has shape {array.shape}; expected ({len(scores)},), one "
                                       "value per row of 'scores'.")
    return pd.DataFrame({**dict(zip(class_names, scores.T)), **arrays})


def _check_columns(path: Path, frame: pd.DataFrame, class_names: list[str]) -> None:
    frame.columns = [str(c) for c in frame.columns]
    expected = f"expected one column per class ({', '.join(class_names)}), optionally '{PREDICTED}' and '{INDEX}'"
    unexpected = [c for c in frame.columns if c not in {*class_names, PREDICTED, INDEX}]
    if unexpected:
        raise InvalidImport(f"{path}: unexpected column(s) {', '.join(map(repr, unexpected[:5]))}; {expected}.")
    missing = [c for c in class_names if c not in frame.columns]
    if missing:
        raise InvalidImport(f"{path}: no column for class(es) {', '.join(missing)}; {expected}.")
    if frame.columns.duplicated().any():
        raise InvalidImport(f"{path}: column {frame.columns[frame.columns.duplicated()][0]!r} appears twice.")


def _numbers(path: Path, column: pd.Series, name: str, where) -> np.ndarray:
    """The column as float64; a non-number is named by row."""
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidImport(f"{path}: column {name!r} at {where(row)} holds {column.iloc[row]!r}, not a number.")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _scores(path: Path, frame: pd.DataFrame, class_names: list[str], where, score_kind: str) -> np.ndarray:
    scores = np.column_stack([_numbers(path, frame[c], c, where) for c in class_names])
    bad = np.isnan(scores) | (scores == np.inf) | ((scores == -np.inf) & (score_kind == "proba"))
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise InvalidImport(f"{path}: {scores[row, col]} at {where(row)}, column {class_names[col]!r}; every "
                                   "class column needs a finite number.")
    if score_kind == "proba":
        outside = (scores < -PROBA_TOLERANCE) | (scores > 1 + PROBA_TOLERANCE)
        if outside.any():
            row, col = map(int, np.argwhere(outside)[0])
            raise InvalidImport(f"{path}: probability {scores[row, col]:.4g} at {where(row)}, column "
                                       f"{class_names[col]!r} is outside 0-1; if the columns hold logits or decision "
                                       "values, declare them with --scores decision.")
        sums = scores.sum(axis=1)
        off = np.abs(sums - 1) > PROBA_TOLERANCE
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise InvalidImport(f"{path}: probabilities at {where(row)} sum to {sums[row]:.4g}, not 1; if the "
                                       "columns hold logits or decision values, declare them with --scores decision.")
    return scores.astype(np.float32)


def _labels(path: Path, column: pd.Series, class_names: list[str], where) -> np.ndarray:
    """Class indices of the ``predicted`` column, whose values are class names (``7`` or ``"7"``)."""
    index = {name: i for i, name in enumerate(class_names)}
    numeric = pd.to_numeric(column, errors="coerce")
    text = [str(int(n)) if pd.notna(n) and float(n).is_integer() else str(v) for n, v in zip(numeric, column)]
    for row, (label, value) in enumerate(zip(text, column)):
        if label not in index or pd.isna(value):
            raise InvalidImport(f"{path}: predicted label {value!r} at {where(row)} is not a class "
                                       f"({', '.join(class_names)}).")
    return np.array([index[label] for label in text], dtype=np.int64)


def _index(path: Path, column: pd.Series, n_test: int, where) -> np.ndarray:
    """The ``index`` column as test rows: whole numbers, each of ``0..n_test-1`` once."""
    values = _numbers(path, column, INDEX, where)
    bad = np.isnan(values) | (values != np.round(values)) | (values < 0) | (values >= n_test)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidImport(f"{path}: index {column.iloc[row]!r} at {where(row)} is not a test row "
                                   f"(0 to {n_test - 1}).")
    values = values.astype(np.int64)
    seen = np.zeros(n_test, dtype=bool)
    for row, value in enumerate(values):
        if seen[value]:
            raise InvalidImport(f"{path}: index {value} at {where(row)} appears twice; each test row once.")
        seen[value] = True
    return values
