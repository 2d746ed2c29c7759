"""Models page: the comparison, F1 per digit, the accuracy ablation, tuning, the study's detector and strategies."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.analysis import evaluation, report, thresholds
from core.models.ablation import ABLATION
from core.artifacts import ArtifactError
from core.analysis.report import STUDY_PAIRS
from dashboard import cache
from core.analysis.intervals import N_BOOT
from core.analysis.significance import ALPHA
from dashboard.render import charts, markup
from dashboard.sections import label_review, layout

STRATEGIES = {"sgd_ovr": "ovr", "sgd_ovo": "ovo"}
#: Metric: its label and value format; accuracy-like metrics (higher is better) are drawn on a zoomed
#: linear axis, costs (lower is better) on a log axis.
METRICS = {
    "test_accuracy": ("Test accuracy", ".4f"),
    "macro_f1": ("Macro F1", ".4f"),
    "fit_seconds": ("Fit time (s)", ".3g"),
    "predict_ms": ("Latency per image (ms)", ".3g"),
    "size_mb": ("Model size (MB)", ".3g"),
}
HIGHER_IS_BETTER = {"test_accuracy", "macro_f1"}
PAIRS = [f"{true}->{predicted}" for true, predicted in STUDY_PAIRS]
PAIR_COLUMNS = {pair: st.column_config.NumberColumn(pair.replace("->", "→"), format="%d",
                                                    help=f"Test images of a {pair[0]} predicted as {pair[-1]}")
                for pair in PAIRS}
WARNING_ICON = "⚠️"
ABLATION_COLUMNS = {"step": "step", "title": "model", "change": "what the step adds", "test_accuracy": "accuracy",
                    "gain": "gain", "errors": "errors", **{pair: pair.replace("->", "→") for pair in PAIRS},
                    "fit_seconds": "fit (s)", "predict_ms": "ms/image"}
TUNING_COLUMNS = {"title": "model", "best_params": "chosen parameters", "cv_accuracy": "CV accuracy",
                  "default_params": "registry defaults", "default_cv_accuracy": "defaults' CV accuracy",
                  "gain": "gain", "candidates": "candidates", "train_size": "train images", "cv": "folds",
                  "seconds": "search (s)"}
TUNING_FORMATS = {"CV accuracy": "{:.4f}", "defaults' CV accuracy": "{:.4f}", "gain": "{:+.4f}",
                  "train images": "{:,}", "search (s)": "{:,.1f}"}
ABLATION_FORMATS = {"accuracy": "{:.4f}", "gain": "{:+.4f}", "fit (s)": "{:,.1f}", "ms/image": "{:.2f}",
                    **{pair.replace("->", "→"): "{:.0f}" for pair in PAIRS}}

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
fit_warnings = {n: loaded.artifacts.model_info(n).get("fit_warnings") or [] for n in loaded.artifacts.model_names}

st.title("Models")
label_review.corrected_note(loaded, names)
table = cache.comparison(loaded)
shown = table[table["model"].isin(names)].copy()
shown["size_mb"] = shown["size_bytes"] / 1e6
shown["label"] = [f"{t} {WARNING_ICON}" if fit_warnings[n] else t for n, t in zip(shown["model"], shown["title"])]
figures = cache.trust_figures(loaded).reindex(shown["model"])
shown["accuracy_ci"] = [f"{low:.2%}–{high:.2%}" for low, high in zip(figures["accuracy_low"], figures["accuracy_high"])]
shown["macro_f1_ci"] = [f"{low:.4f}–{high:.4f}" if low == low else None
                        for low, high in zip(figures["macro_f1_low"], figures["macro_f1_high"])]
has_cv = shown["cv_mean"].notna().any()
columns = ["label", "test_accuracy", "accuracy_ci", "macro_f1", "macro_f1_ci",
           *(["cv_mean", "cv_std"] if has_cv else []), *PAIRS,
           "fit_seconds", "predict_ms", "size_mb", "n_train"]
st.dataframe(
    shown.set_index("model")[columns].sort_values("test_accuracy", ascending=False), height="content",
    placeholder="–", column_config={
        "_index": "name",
        "label": "model",
        "test_accuracy": st.column_config.NumberColumn("accuracy", format="%.4f"),
        "accuracy_ci": st.column_config.TextColumn("accuracy 95% CI", help="Wilson interval on the test images"),
        "macro_f1": st.column_config.NumberColumn("macro F1", format="%.4f"),
        "macro_f1_ci": st.column_config.TextColumn("macro F1 95% CI", help=f"Percentile bootstrap, "
                                                   f"{N_BOOT:,} resamples (seed 0), the same for every model"),
        "cv_mean": st.column_config.NumberColumn("CV accuracy", format="%.4f"),
        "cv_std": st.column_config.NumberColumn("CV ± std", format="%.4f"),
        **PAIR_COLUMNS,
        "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
        "predict_ms": st.column_config.NumberColumn("latency (ms/image)", format="%.2f"),
        "size_mb": st.column_config.NumberColumn("size (MB)", format="%.2f"),
        "n_train": st.column_config.NumberColumn("train images", format="localized"),
    },
)
notes = ["Latency is the median time of one `predict` call on one image. 9→4, 5→3 and 7→1 count the study's "
         "most confused pairs. The intervals say how far the test set's figures could move on another test set "
         "of the same size; two models whose intervals overlap may still differ significantly (see below)."]
if not has_cv:
    notes.append("Cross-validated accuracy appears when the artifacts are built with `--cv 5`.")
st.caption(" ".join(notes))
warned = [n for n in names if fit_warnings[n]]
if warned:
    with st.expander(f"{WARNING_ICON} Fit warnings: {', '.join(loaded.title(n) for n in warned)}"):
        for name in warned:
            st.markdown(f"**{loaded.title(name)}**")
            for text in fit_warnings[name]:
                st.code(text, language=None, wrap_lines=True)
st.download_button("Download the comparison (CSV)", table.to_csv(index=False).encode(), "digit-lens-models.csv",
                   mime="text/csv", key="models_csv")

st.subheader("Side by side")
metric = st.segmented_control("Metric", list(METRICS), format_func=lambda m: METRICS[m][0],
                              default="test_accuracy", key="models_metric") or "test_accuracy"
title, fmt = METRICS[metric]
better_first = shown.sort_values(metric, ascending=metric not in HIGHER_IS_BETTER)
st.plotly_chart(charts.ranked_bars(better_first["title"], better_first[metric], x_title=title, fmt=fmt,
                                   log=metric not in HIGHER_IS_BETTER, zoom=metric in HIGHER_IS_BETTER),
                key="models_bars", config={"displayModeBar": False})
st.caption("Best first. " + ("The axis starts near the lowest value, so small differences show."
                             if metric in HIGHER_IS_BETTER else "Logarithmic axis."))

st.subheader("F1 per digit")
f1 = report.per_class_f1({n: (loaded.predictions[n].y_true, loaded.predictions[n].y_pred) for n in names},
                        class_names=class_names).rename(index=loaded.title)
st.plotly_chart(charts.heatmap(f1, zmin=float(np.floor(f1.min().min() * 20) / 20), zmax=1.0), key="models_f1",
                config={"displayModeBar": False})
st.caption("F1 of each digit (columns) for each model (rows); darker is better.")


def significance_section() -> None:
    """Is A really better than B? The exact McNemar test for every pair of the chosen models."""
    st.subheader("Is A really better than B?")
    if len(names) < 2:
        st.caption("Pick two or more models in the sidebar to test their differences.")
        return
    order = list(shown.sort_values("test_accuracy", ascending=False)["model"])
    pairs = cache.pairwise(loaded, tuple(order))
    st.html(markup.pairwise_html(pairs, order=order, titles={n: loaded.title(n) for n in order}, alpha=ALPHA))
    n_test = loaded.artifacts.dataset["n_test"]
    st.caption(f"Each cell: test images A (row) gets right and B (column) wrong, against the reverse; images both "
               f"get right or both wrong say nothing about which is better. p is the exact McNemar test's two-sided "
               f"p-value, Holm-corrected over the {len(pairs)} pairs shown; shaded cells differ at "
               f"{ALPHA:.0%}. Out of {n_test:,} test images.")
    first, second = order[:2]
    best = pairs[(pairs["a"] == first) & (pairs["b"] == second)].iloc[0]
    st.caption(f"The two most accurate, {loaded.title(first)} and {loaded.title(second)}: {best['verdict']}.")


def training_section() -> None:
    """The training curve of each chosen network model (stored by the build)."""
    for name in names:
        history = loaded.artifacts.model_info(name).get("training_curve")
        if not history:
            continue
        st.subheader(f"Training: {loaded.title(name)}")
        st.plotly_chart(charts.training_curve(history), key=f"models_training_{name}",
                        config={"displayModeBar": False})
        accuracy = history["held_out_accuracy"]
        st.caption(f"{len(history['epoch'])} epochs in {sum(history['seconds']):,.0f} s; held-out accuracy "
                   f"{accuracy[0]:.4f} after the first epoch, {accuracy[-1]:.4f} after the last. Training figures are "
                   "the mean over each epoch's augmented (rotated, shifted, zoomed) batches with dropout on; "
                   "held-out images are training images the network never trained on.")


def ablation_section() -> None:
    """The built ablation steps in order: what each adds and the errors it removed."""
    steps = cache.ablation(loaded)
    missing = [step.name for step in ABLATION if step.name not in set(steps["model"])]
    command = layout.core_command(loaded, "build", "--models", "ablation")
    if len(steps) < 2:
        st.caption("The accuracy ablation (sgd → rf → svc → svc_deskew → svc_hog → svc_virtual) appears here when "
                   f"at least two of its steps are built: {command}.")
        return
    st.subheader("Ablation: what each step bought")
    st.caption(f"Each step after the two baselines keeps the previous one and adds one change; errors are counted "
               f"on the {loaded.artifacts.dataset['n_test']:,} test images. The ablation always shows every built "
               "step, whatever the sidebar's choice.")
    st.plotly_chart(charts.ablation(steps, pairs=PAIRS), key="models_ablation", config={"displayModeBar": False})
    table = steps[list(ABLATION_COLUMNS)].rename(columns=ABLATION_COLUMNS)
    st.table(table.style.hide().format(ABLATION_FORMATS, na_rep="–"))
    if missing:
        st.caption(f"Not built yet: {', '.join(missing)}. Build every step with {command}.")


def tuning_section() -> None:
    """Hyper-parameters chosen by cross-validation (``python -m core tune``), against the registry defaults."""
    try:
        tuned = cache.tuning_results(loaded)
    except ArtifactError as exc:
        st.subheader("Tuning")
        st.warning(str(exc))
        return
    if tuned is None or tuned.table.empty:
        st.caption(f"Cross-validated hyper-parameter searches appear here after {layout.core_command(loaded, 'tune')}.")
        return
    summary = tuned.table
    st.subheader("Tuning")
    st.caption("Each search ran on training images only (the test images are never looked at): stratified folds "
               "of a training subset, every candidate scored by its mean CV accuracy.")
    summary = summary.assign(title=[loaded.title(m) if m in loaded.artifacts.model_names else m
                                    for m in summary["model"]])
    table = summary[list(TUNING_COLUMNS)].rename(columns=TUNING_COLUMNS)
    st.table(table.style.hide().format(TUNING_FORMATS, na_rep="–"))
    other = summary.loc[~summary["same_data"], "title"].tolist()
    if other:
        st.warning(f"Searched on another dataset than these artifacts were built on: {', '.join(other)}. "
                   f"Re-run {layout.core_command(loaded, 'tune')}.")
    with st.expander("Every candidate the searches scored"):
        for tab, model in zip(st.tabs(summary["title"].tolist()), summary["model"]):
            tab.dataframe(tuned.candidates[model], hide_index=True, column_config={
                "params": st.column_config.TextColumn("parameters", width="large"),
                "mean_test_score": st.column_config.NumberColumn("CV accuracy", format="%.4f"),
                "std_test_score": st.column_config.NumberColumn("± std", format="%.4f"),
                "rank_test_score": st.column_config.NumberColumn("rank", format="%d"),
                "mean_fit_time": st.column_config.NumberColumn("fit (s)", format="%.2f"),
                "iter": st.column_config.NumberColumn("round", format="%d"),
                "n_resources": st.column_config.NumberColumn("images", format="%d"),
            })


significance_section()
training_section()
ablation_section()
tuning_section()

if not loaded.binary:
    st.caption("The study's binary \"is it a 5?\" detector appears here when built: "
               f"{layout.core_command(loaded, 'build', '--models', 'study')}.")
for detector in loaded.binary:
    pred = loaded.predictions[detector]
    positive = pred.class_names[1]
    st.subheader(f"Binary detector: {loaded.title(detector)}")
    never = evaluation.accuracy(pred.y_true, np.zeros_like(pred.y_true))
    ovr = cache.one_vs_rest(loaded, detector, 1)
    curves = cache.threshold_curves(loaded, detector, 1)
    default = thresholds.default_threshold("proba")
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
        st.plotly_chart(charts.sweep(curves.sweep, threshold=default,
                                     title="Precision and recall against the threshold",
                                     x_title=f"threshold (probability of '{positive}')"),
                        key=f"models_sweep_{detector}")
    with right:
        st.plotly_chart(charts.curve(curves.roc.x, curves.roc.y, point=(at.fpr, at.recall),
                                     x_title="false positive rate", y_title="recall",
                                     title=f"ROC (AUC {curves.roc.area:.3f})", diagonal=True),
                        key=f"models_roc_{detector}")
    st.caption("Move the threshold on the Thresholds page to trade precision for recall.")

strategies = report.strategy_table(table, strategies=STRATEGIES, n_classes=len(class_names))
if strategies.empty:
    st.caption("One-vs-rest against one-vs-one appears here when built: "
               f"{layout.core_command(loaded, 'build', '--models', 'study')}.")
else:
    st.subheader("One-vs-rest against one-vs-one")
    st.dataframe(strategies.set_index("model"), column_config={
        "test_accuracy": st.column_config.NumberColumn("accuracy", format="%.4f"),
        "fit_seconds": st.column_config.NumberColumn("fit (s)", format="%.2f"),
        "predict_ms": st.column_config.NumberColumn("latency (ms/image)", format="%.2f"),
    })
    st.caption("The same binary SGD classifier, wrapped two ways: one-vs-rest trains one classifier per digit, "
               "one-vs-one one per pair of digits (each on less data).")
