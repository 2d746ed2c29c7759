"""Models page: how the models compare, per class, and the study's detector and multiclass strategies."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import evaluation, views
from dashboard import charts, loader, ui

STRATEGIES = {"sgd_ovr": "ovr", "sgd_ovo": "ovo"}
METRICS = {
    "test_accuracy": ("Test accuracy", False),
    "macro_f1": ("Macro F1", False),
    "fit_seconds": ("Fit time (s)", True),
    "predict_ms": ("Latency per image (ms)", True),
    "size_mb": ("Model size (MB)", True),
}

loaded = ui.artifacts()
names = ui.chosen_models(loaded)
class_names = list(loaded.data.class_names)

st.title("Models")
table = loader.comparison(loaded)
shown = table[table["model"].isin(names)].copy()
shown["size_mb"] = shown["size_bytes"] / 1e6
has_cv = shown["cv_mean"].notna().any()
columns = ["title", "test_accuracy", "macro_f1", *(["cv_mean", "cv_std"] if has_cv else []),
           "fit_seconds", "predict_ms", "size_mb", "n_train"]
st.dataframe(
    shown.set_index("model")[columns].sort_values("test_accuracy", ascending=False),
    column_config={
        "_index": "name",
        "title": "model",
        "test_accuracy": st.column_config.NumberColumn("accuracy", format="%.4f"),
        "macro_f1": st.column_config.NumberColumn("macro F1", format="%.4f"),
        "cv_mean": st.column_config.NumberColumn("CV accuracy", format="%.4f"),
        "cv_std": st.column_config.NumberColumn("CV ± std", format="%.4f"),
        "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
        "predict_ms": st.column_config.NumberColumn("latency (ms/image)", format="%.2f"),
        "size_mb": st.column_config.NumberColumn("size (MB)", format="%.2f"),
        "n_train": st.column_config.NumberColumn("train images", format="%d"),
    },
)
if not has_cv:
    st.caption("Cross-validated accuracy appears when the artifacts are built with `--cv 5`.")
st.download_button("Download the comparison (CSV)", table.to_csv(index=False).encode(), "digit-lens-models.csv",
                   mime="text/csv", key="models_csv")

st.subheader("Side by side")
metric = st.segmented_control("Metric", list(METRICS), format_func=lambda m: METRICS[m][0],
                              default="test_accuracy", key="models_metric") or "test_accuracy"
title, log_scale = METRICS[metric]
shown["model title"] = shown["title"]
st.plotly_chart(charts.bars(shown.sort_values(metric), x="model title", y=metric, title=title, log=log_scale),
                key="models_bars")

st.subheader("F1 per digit")
f1 = views.per_class_f1({n: (loaded.predictions[n].y_true, loaded.predictions[n].y_pred) for n in names},
                        class_names=class_names).rename(index=loaded.title)
st.plotly_chart(charts.heatmap(f1, title="F1 score per digit (darker is better)", zmin=float(np.floor(f1.min().min() * 20) / 20),
                               zmax=1.0), key="models_f1")

if not loaded.binary:
    st.caption("The study's binary \"is it a 5?\" detector appears here when built: `python -m core build --models study`.")
for detector in loaded.binary:
    pred = loaded.predictions[detector]
    positive = pred.class_names[1]
    st.subheader(f"Binary detector: {loaded.title(detector)}")
    never = evaluation.accuracy(pred.y_true, np.zeros_like(pred.y_true))
    ovr = loader.one_vs_rest(loaded, detector, 1)
    default = evaluation.default_threshold(pred.score_kind)
    at = ovr.at(default)
    cols = st.columns(5)
    cols[0].metric("Accuracy", f"{evaluation.accuracy(pred.y_true, pred.y_pred):.3f}")
    cols[1].metric(f"Always 'not {positive}'", f"{never:.3f}", help="Accuracy of a model that never says yes: "
                   "accuracy alone flatters a detector of a rare class.")
    cols[2].metric("Precision", f"{at.precision:.3f}")
    cols[3].metric("Recall", f"{at.recall:.3f}")
    cols[4].metric("F1", f"{at.f1:.3f}")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.sweep(views.threshold_sweep(ovr), threshold=default,
                                     title="Precision and recall against the threshold"), key=f"models_sweep_{detector}")
    with right:
        roc = ovr.roc()
        st.plotly_chart(charts.curve(roc.x, roc.y, point=(at.fpr, at.recall), x_title="false positive rate",
                                     y_title="recall", title=f"ROC (AUC {roc.area:.3f})", diagonal=True),
                        key=f"models_roc_{detector}")
    st.caption("Move the threshold on the Thresholds page to trade precision for recall.")

strategies = views.strategy_table(table, strategies=STRATEGIES, n_classes=len(class_names))
if strategies.empty:
    st.caption("One-vs-rest against one-vs-one appears here when built: `python -m core build --models study`.")
else:
    st.subheader("One-vs-rest against one-vs-one")
    st.dataframe(strategies.set_index("model"), column_config={
        "test_accuracy": st.column_config.NumberColumn("accuracy", format="%.4f"),
        "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
        "predict_ms": st.column_config.NumberColumn("latency (ms/image)", format="%.2f"),
    })
    st.caption("The same binary SGD classifier, wrapped two ways: one-vs-rest trains one classifier per digit, "
               "one-vs-one one per pair of digits (each on less data).")
