"""Thresholds page: move a decision threshold and watch precision, recall and coverage respond."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.analysis import evaluation, thresholds, views
from dashboard import charts, detail, loader, svg, ui

MODES = {"ovr": "One digit against the rest", "abstain": "Abstain below a confidence"}
BY = {"probability": "probability", "precision": "target precision", "recall": "target recall"}
NEAR = 6

loaded = ui.artifacts()
names = ui.chosen_models(loaded)
class_names = list(loaded.data.class_names)

st.title("Thresholds")
mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, default="ovr", key="thresholds_mode") or "ovr"
choices = names + loaded.binary if mode == "ovr" else names
cols = st.columns(2)
model = cols[0].selectbox("Model", choices, key="thresholds_model", format_func=loaded.title)
pred = loaded.predictions[model]
binary = loaded.artifacts.model_info(model)["task"] == "binary"
if mode == "ovr":
    if binary:
        cls = 1
        cols[1].selectbox("Digit", [pred.class_names[1]], key="thresholds_digit_fixed", disabled=True)
    else:
        cls = list(pred.class_names).index(cols[1].selectbox("Digit", list(pred.class_names), key="thresholds_digit"))


def _threshold(ovr: thresholds.OneVsRest, positive: str, by: str) -> float:
    """The threshold as the user sets it: a probability, or a precision or recall to reach."""
    if by == "probability":
        value = st.slider(f"Call an image '{positive}' when its probability of '{positive}' is at least",
                          0.0, 1.0, 0.5, 0.005, key=f"thresholds_p_{model}_{cls}", format="%.3f")
    else:
        value = st.slider(f"Lowest {by} to accept", 0.0, 1.0, 0.9, 0.005, key=f"thresholds_{by}_{model}_{cls}",
                          format="%.3f")
    return views.choose_threshold(ovr, by=by, value=value)


def _detail(ovr: thresholds.OneVsRest, threshold: float, positive: str) -> str:
    """The threshold in the model's own terms, for the curious."""
    text = f"Threshold: probability of '{positive}' ≥ {threshold:.4f}."
    if pred.score_kind == "decision":
        text += (f" This model gives decision values; probabilities are their softmax at temperature "
                 f"{pred.temperature:.3g}, fitted on training images.")
        first = ovr.order[min(int(ovr.sorted_scores.searchsorted(threshold)), ovr.order.size - 1)]
        text += f" The image nearest the threshold has decision value {pred.scores[first, cls]:.3f}."
    return text


def _near_html(rows, title: str, proba, positive: str) -> str:
    """A heading and the images ``rows`` captioned with their true digit and probability of ``positive``."""
    heading = f'<p style="font-weight:600;margin:1rem 0 0.5rem">{html.escape(title)}</p>'
    if rows.size == 0:
        return heading + "<p>None.</p>"
    captions = [f"#{i} · true <b>{html.escape(class_names[pred.y_true[i]])}</b> · "
                f"p('{html.escape(positive)}') {views.percent(float(proba[i, cls]))}" for i in rows]
    return heading + ui.tiles_html(loader.test_images(loaded, rows), captions, [f"test image {i}" for i in rows],
                                   columns=NEAR, indexes=rows)


@st.fragment
def one_vs_rest(model: str, cls: int, by: str) -> None:
    """Slider, curves, metrics, binary confusion and the images at the threshold, for one class against the rest.

    A slider step reruns this fragment only and sends three elements: the slider, the view as one HTML
    element, and the fragment's container.
    """
    positive = pred.class_names[cls]
    ovr = loader.one_vs_rest(loaded, model, cls)
    if ovr.n_pos == 0 or ovr.n_neg == 0:
        st.info(f"The test set has {ovr.n_pos} images of '{positive}' and {ovr.n_neg} of other digits; "
                "pick a digit with both to trade precision for recall.")
        return
    threshold = _threshold(ovr, positive, by)
    at = ovr.at(threshold)
    curves = loader.threshold_curves(loaded, model, cls)
    sweep = [svg.Line(curves.sweep["threshold"], curves.sweep[m], charts.PALETTE[i], m)
             for i, m in enumerate(("precision", "recall"))]
    charts_html = ui.svg_row_html([
        svg.chart(sweep, title="Precision and recall vs threshold", rule=threshold,
                  x_title=f"threshold (probability of '{positive}')", y_title="precision, recall"),
        svg.chart([svg.Line(curves.pr.x, curves.pr.y, charts.PALETTE[0])], point=(at.recall, at.precision),
                  title=f"Precision-recall (AP {curves.pr.area:.3f})", x_title="recall", y_title="precision"),
        svg.chart([svg.Line(curves.roc.x, curves.roc.y, charts.PALETTE[0]),
                   svg.Line(np.array([0.0, 1.0]), np.array([0.0, 1.0]), "#aaa", dash=True)],
                  point=(at.fpr, at.recall), title=f"ROC (AUC {curves.roc.area:.3f})",
                  x_title="false positive rate", y_title="recall"),
    ], alts=["precision and recall against the threshold", "precision-recall curve", "ROC curve"])
    false_pos, false_neg = ovr.near(threshold, k=NEAR)
    proba = loader.probabilities(loaded, model)
    markup = (f'<p style="color:#777;font-size:0.875rem">{html.escape(_detail(ovr, threshold, positive))}</p>'
              + ui.operating_point_html(at, positive) + charts_html
              + _near_html(false_pos, "False positives just above the threshold (raise it to drop them)", proba,
                           positive)
              + _near_html(false_neg, "False negatives just below the threshold (lower it to catch them)", proba,
                           positive))
    detail.show_clickable(loaded, markup, key="thresholds_view", model=model)


@st.fragment
def abstain(model: str) -> None:
    """Confidence slider, accuracy against coverage, and the confusion matrix of the kept images."""
    confidence = loader.confidence(loaded, model)
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
        st.plotly_chart(charts.coverage(loader.coverage(loaded, model), point=point), key="thresholds_coverage",
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
