"""Thresholds page: move a decision threshold and watch precision, recall and coverage respond."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import curves, evaluation, gallery, thresholds
from dashboard import cache
from dashboard.components import threshold_panel
from dashboard.render import charts, markup, svg
from dashboard.sections import image_dialog, layout

MODES = {"ovr": "One digit against the rest", "abstain": "Abstain below a confidence"}
BY = {"probability": "probability", "precision": "target precision", "recall": "target recall"}

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)

st.title("Thresholds")
mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, default="ovr", key="thresholds_mode") or "ovr"
choices = names + loaded.binary if mode == "ovr" else names
cols = st.columns(2)
model = layout.focus_model(loaded, choices)
layout.model_select(loaded, choices, model, key="thresholds_model", where=cols[0])
pred = loaded.predictions[model]
binary = loaded.artifacts.model_info(model)["task"] == "binary"
if mode == "ovr":
    if binary:
        cls = 1
        cols[1].selectbox("Digit", [pred.class_names[1]], key="thresholds_digit_fixed", disabled=True)
    else:
        cls = list(pred.class_names).index(cols[1].selectbox("Digit", list(pred.class_names), key="thresholds_digit"))


#: Where a fresh slider starts: probability 0.5, or a target precision or recall of 0.9.
START = {"probability": 0.5, "precision": 0.9, "recall": 0.9}


def _text(positive: str, by: str) -> dict:
    """What the panel says around its numbers for class ``positive`` and a slider set ``by``."""
    label = (f"Call an image '{positive}' when its probability of '{positive}' is at least" if by == "probability"
             else f"Lowest {by} to accept")
    detail = (f" This model gives decision values; probabilities are their softmax at temperature "
              f"{pred.temperature:.3g}, fitted on training images." if pred.score_kind == "decision" else "")
    return {"label": label, "positive": positive, "detail": detail,
            "fpTitle": "False positives just above the threshold (raise it to drop them)",
            "fnTitle": "False negatives just below the threshold (lower it to catch them)",
            "metrics": markup.operating_point_html(positive), "grid": markup.GRID_STYLE.format(columns=6),
            "placeholder": markup.tile_html(None, f"#{markup.ROW}", f"test image {markup.ROW}", index=None)}


def _charts(curves: curves.ThresholdCurves, positive: str, start: dict) -> list[str]:
    """The three charts, their operating point drawn at the ``start`` row of the panel's table."""
    sweep = [svg.Line(curves.sweep["threshold"], curves.sweep[m], charts.PALETTE[i], m)
             for i, m in enumerate(("precision", "recall"))]
    return [
        svg.chart(sweep, title="Precision and recall vs threshold", rule=start["threshold"],
                  x_title=f"threshold (probability of '{positive}')", y_title="precision, recall"),
        svg.chart([svg.Line(curves.pr.x, curves.pr.y, charts.PALETTE[0])], point=(start["recall"], start["precision"]),
                  title=f"Precision-recall (AP {curves.pr.area:.3f})", x_title="recall", y_title="precision"),
        svg.chart([svg.Line(curves.roc.x, curves.roc.y, charts.PALETTE[0]),
                   svg.Line(np.array([0.0, 1.0]), np.array([0.0, 1.0]), "#aaa", dash=True)],
                  point=(start["fpr"], start["recall"]), title=f"ROC (AUC {curves.roc.area:.3f})",
                  x_title="false positive rate", y_title="recall"),
    ]


def _images(rows: list[int], positive: str) -> dict[int, str]:
    """Test images ``rows`` as gallery tiles captioned with their true digit and probability of ``positive``."""
    proba = cache.probabilities(loaded, model)
    return {i: markup.tile_html(src, f"#{i} · true <b>{html.escape(class_names[pred.y_true[i]])}</b> · "
                                     f"p('{html.escape(positive)}') {gallery.percent(float(proba[i, cls]))}",
                                f"test image {i}", index=i)
            for i, src in zip(rows, cache.test_images(loaded, rows))}


@st.fragment
def one_vs_rest(model: str, cls: int, by: str) -> None:
    """The panel of one class against the rest: slider, metrics, curves and the images at the threshold.

    The panel moves its slider in the browser (:mod:`dashboard.components.threshold_panel`); a step reruns this
    fragment only to send the gallery images around the new position that the tab lacks.
    """
    positive = pred.class_names[cls]
    ovr = cache.one_vs_rest(loaded, model, cls)
    if ovr.n_pos == 0 or ovr.n_neg == 0:
        st.info(f"The test set has {ovr.n_pos} images of '{positive}' and {ovr.n_neg} of other digits; "
                "pick a digit with both to trade precision for recall.")
        return
    table = cache.slider_table(loaded, model, cls, by)
    key = f"thresholds_panel_{model}_{cls}_{by}"
    view = f"{loaded.fingerprint[:16]}/{key}"
    at = threshold_panel.position(key, default=table.position(START[by]), last=len(table.frame) - 1)
    first = threshold_panel.needs_table(view)
    rows = threshold_panel.unsent(view, table.rows_around(at, reach=threshold_panel.REACH))
    charts_svg = _charts(cache.threshold_curves(loaded, model, cls), positive, table.frame.iloc[at]) if first else None
    picked = threshold_panel.show(key=key, view=view, table=cache.threshold_payload(loaded, model, cls, by) if first
                                  else None, charts=charts_svg, images=_images(rows, positive), position=at,
                                  text=_text(positive, by))
    if picked is not None and image_dialog.parse_row(str(picked), len(pred.y_true)) is not None:
        image_dialog.request(loaded, picked, model=model)


@st.fragment
def abstain(model: str) -> None:
    """Confidence slider, accuracy against coverage, and the confusion matrix of the kept images."""
    confidence = cache.confidence(loaded, model)
    threshold = st.slider("Abstain when the top class's probability is below", 0.0, 1.0, 0.0, 0.01,
                          key=f"thresholds_conf_{model}", format="%.2f")
    kept = thresholds.abstention(pred.y_true, pred.y_pred, confidence, threshold=threshold,
                                 n_classes=len(class_names))
    metrics = st.columns(4)
    metrics[0].metric("Coverage", f"{kept.coverage:.1%}")
    abstained = kept.kept.size - kept.n_kept
    metrics[1].metric("Accuracy on kept", "–" if kept.n_kept == 0 else f"{kept.accuracy_kept:.4f}",
                      delta=None if kept.n_kept == 0 or abstained == 0 else
                      f"{kept.accuracy_kept - evaluation.accuracy(pred.y_true, pred.y_pred):+.4f} vs all")
    metrics[2].metric("Kept", f"{kept.n_kept:,}")
    metrics[3].metric("Abstained", f"{abstained:,}")
    if pred.score_kind == "decision":
        st.caption(f"This model gives decision values; confidence is their softmax at temperature "
                   f"{pred.temperature:.3g}, fitted on training images so that it reads like a probability.")
    left, right = st.columns(2)
    with left:
        point = None if kept.n_kept == 0 else (kept.coverage, kept.accuracy_kept)
        st.plotly_chart(charts.coverage(cache.coverage(loaded, model), point=point), key="thresholds_coverage",
                        config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.small_matrix(kept.confusion, rows=class_names, cols=class_names,
                                            title="Confusion of the kept images", height=380),
                        key="thresholds_kept", config={"displayModeBar": False})


if mode == "ovr":
    by = st.segmented_control("Set the threshold by", list(BY), format_func=BY.get, default="probability",
                              key="thresholds_by") or "probability"
    one_vs_rest(model, cls, by)
else:
    abstain(model)
