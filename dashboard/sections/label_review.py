"""Label checks wherever an image shows: cleanlab's verdict, the user's review mark, the error slices it lies in.

The image dialog (:mod:`dashboard.sections.image_dialog`) calls :func:`story`; galleries mark
the flagged images with :func:`flagged_rows`; the Errors and Models pages show
accuracy with the reviewed labels corrected through :func:`corrected_note`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis import label_quality, slices
from core.artifacts import ArtifactError, reviews
from dashboard import cache
from dashboard.sections import build_panel


def flagged_rows(loaded: cache.Loaded) -> frozenset[int]:
    """Test rows whose label cleanlab doubts (the strongest models together), for gallery badges."""
    if not loaded.multiclass:
        return frozenset()
    return frozenset(np.flatnonzero(cache.label_issues(loaded).flagged).tolist())


def marks_or_warning(loaded: cache.Loaded) -> pd.DataFrame | None:
    """The review marks, or None after showing why they cannot be read."""
    try:
        return cache.review_marks(loaded)
    except reviews.ReviewError as exc:
        st.warning(str(exc))
        return None


def save_mark(loaded: cache.Loaded, row: int, *, mark_key: str, label_key: str | None = None) -> None:
    """Write the mark chosen in widget ``mark_key`` (and the right label in ``label_key``) for test ``row``."""
    mark = st.session_state.get(mark_key)
    names = list(loaded.data.class_names)
    label = None
    if mark == "wrong":
        chosen = st.session_state.get(label_key) if label_key else None
        label = names.index(chosen) if chosen in names else int(cache.label_issues(loaded).suggested[row])
    try:
        reviews.set_mark(loaded.artifacts.root, loaded.artifacts.dataset["hash"], row, mark,
                         given=int(loaded.data.y_test[row]), label=label)
    except (ArtifactError, OSError) as exc:
        st.session_state["labels_save_error"] = f"The review was not saved: {exc}"


def story(loaded: cache.Loaded, row: int, *, model: str) -> None:
    """What cleanlab says about test ``row``'s label, its review control, and ``model``'s error slices holding it."""
    issues = cache.label_issues(loaded)
    names = list(loaded.data.class_names)
    rank = int(np.flatnonzero(issues.ranking == row)[0]) + 1
    verdict = (f"**flagged as a likely label issue**; suggested label **{names[issues.suggested[row]]}**"
               if issues.flagged[row] else "not flagged")
    st.markdown(f"**Label check** (cleanlab): quality {issues.quality[row]:.3f}, rank {rank:,} of "
                f"{len(issues.ranking):,} from the most doubtful; {verdict}.")
    st.caption(f"From the {html.escape(issues.source)}.")
    review_control(loaded, row)
    _slices_of(loaded, row, model=model)


def review_control(loaded: cache.Loaded, row: int) -> None:
    """Mark test ``row``'s label wrong / correct / unsure; a wrong label gets its right one (default: suggested)."""
    marks = marks_or_warning(loaded)
    if marks is None:
        return
    stored = marks[marks["row"] == row]
    current = stored["mark"].iloc[0] if len(stored) else None
    mark_key, label_key = f"review_mark_{row}", f"review_label_{row}"
    st.session_state[mark_key] = current
    locked = build_panel.read_only()
    cols = st.columns([3, 2])
    cols[0].segmented_control("Your review of the label", list(reviews.MARKS), format_func=reviews.MARKS.get,
                              key=mark_key, on_change=save_mark, args=(loaded, row),
                              kwargs={"mark_key": mark_key, "label_key": label_key}, disabled=locked,
                              help="Saved beside the artifacts and kept across rebuilds of the same data."
                              + (" Reviews are off on this read-only server." if locked else ""))
    if current == "wrong":
        names = list(loaded.data.class_names)
        right = stored["label"].iloc[0]
        label = int(right) if pd.notna(right) else cache.label_issues(loaded).suggested[row]
        st.session_state[label_key] = names[label]
        cols[1].selectbox("Right label", names, key=label_key, on_change=save_mark, args=(loaded, row),
                          kwargs={"mark_key": mark_key, "label_key": label_key}, disabled=locked)
    error = st.session_state.pop("labels_save_error", None)
    if error:
        st.error(error)


def _slices_of(loaded: cache.Loaded, row: int, *, model: str) -> None:
    try:
        report = cache.error_slices(loaded, model)
        frame = slices.with_truth(cache.image_properties(loaded), loaded.predictions[model].y_true)
    except ArtifactError:
        return
    holding = [s for s in report.slices if s.select(frame.iloc[[row]])[0]]
    if holding:
        st.markdown(f"**Error slices of {html.escape(loaded.title(model))} holding it:** " + "; ".join(
            f"{html.escape(s.describe())} ({s.error_rate:.0%} wrong, {s.lift:.1f}× overall)" for s in holding))
    else:
        st.caption(f"It lies in none of the error slices of {loaded.title(model)}.")


def corrected_note(loaded: cache.Loaded, names: list[str]) -> None:
    """With reviewed corrections present, one line per model: accuracy as stored and with them applied."""
    try:
        marks = cache.review_marks(loaded)
    except reviews.ReviewError:
        return
    fixes = reviews.corrections(marks)
    if not fixes:
        return
    parts = []
    for name in names:
        pred = loaded.predictions[name]
        before, after = label_quality.corrected_accuracy(pred.y_true, pred.y_pred, fixes)
        parts.append(f"{loaded.title(name)} {before:.2%} → {after:.2%}")
    st.caption(f"With your {len(fixes)} reviewed label correction{'s' if len(fixes) > 1 else ''} applied "
               "(Labels page): accuracy " + " · ".join(parts))
