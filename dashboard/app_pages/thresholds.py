"""Thresholds page: move a decision threshold and watch precision, recall and coverage respond."""

from __future__ import annotations

import streamlit as st

from core import evaluation, thresholds, views
from dashboard import charts, loader, ui

MODES = {"ovr": "One digit against the rest", "abstain": "Abstain below a confidence"}

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
        cls = class_names.index(cols[1].selectbox("Digit", class_names, key="thresholds_digit"))


@st.fragment
def one_vs_rest(model: str, cls: int) -> None:
    """Slider, curves, metrics and binary confusion matrix of one class against the rest."""
    pred = loaded.predictions[model]
    positive = pred.class_names[cls]
    ovr = loader.one_vs_rest(loaded, model, cls)
    bounds = views.threshold_range(pred.scores[:, cls], score_kind=pred.score_kind)
    label = "probability" if pred.score_kind == "proba" else "decision value"
    threshold = st.slider(f"Threshold on the {label} of '{positive}'", bounds.low, bounds.high, bounds.value,
                          bounds.step, key=f"thresholds_t_{model}_{cls}", format="%.3f")
    at = ovr.at(threshold)
    metrics = st.columns(5)
    metrics[0].metric("Precision", f"{at.precision:.3f}")
    metrics[1].metric("Recall", f"{at.recall:.3f}")
    metrics[2].metric("F1", f"{at.f1:.3f}")
    metrics[3].metric("False positive rate", f"{at.fpr:.4f}")
    metrics[4].metric("Predicted positive", f"{at.tp + at.fp:,}")
    pr, roc = ovr.pr(), ovr.roc()
    left, middle, right = st.columns([5, 5, 3])
    with left:
        st.plotly_chart(charts.curve(pr.x, pr.y, point=(at.recall, at.precision), x_title="recall",
                                     y_title="precision", title=f"Precision-recall (AP {pr.area:.3f})"),
                        key="thresholds_pr")
    with middle:
        st.plotly_chart(charts.curve(roc.x, roc.y, point=(at.fpr, at.recall), x_title="false positive rate",
                                     y_title="recall", title=f"ROC (AUC {roc.area:.3f})", diagonal=True),
                        key="thresholds_roc")
    with right:
        matrix = [[at.tp, at.fn], [at.fp, at.tn]]
        labels = [positive, f"not {positive}"]
        st.plotly_chart(charts.small_matrix(matrix, rows=labels, cols=labels, title="Confusion at this threshold"),
                        key="thresholds_binary")


@st.fragment
def abstain(model: str) -> None:
    """Confidence slider, accuracy against coverage, and the confusion matrix of the kept images."""
    pred = loaded.predictions[model]
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
        st.plotly_chart(charts.coverage(loader.coverage(loaded, model), point=point), key="thresholds_coverage")
    with right:
        st.plotly_chart(charts.small_matrix(kept.confusion, rows=class_names, cols=class_names,
                                            title="Confusion of the kept images", height=380),
                        key="thresholds_kept")


if mode == "ovr":
    one_vs_rest(model, cls)
else:
    abstain(model)
