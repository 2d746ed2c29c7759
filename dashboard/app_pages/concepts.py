"""Concepts page: the study's classification concepts, a section each, drawn from what the build stored.

A binary "is it a 5?" detector and why accuracy flatters it, with its threshold chosen for a target
precision on cross-validated training scores; one-vs-rest against one-vs-one; multilabel ("large" and
"odd" at once); multioutput (denoising). Only a drawn digit or a denoising is computed live.
"""

from __future__ import annotations

import html
import time

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis import concept_views, evaluation, report
from core.data import pictures
from core.models import concepts
from core.artifacts import ArtifactError
from dashboard import cache
from dashboard.components import canvas
from dashboard.render import charts, markup, svg
from dashboard.sections import layout

DETECTOR = "is5"
STRATEGIES = {"sgd_ovr": "ovr", "sgd_ovo": "ovo"}
MULTILABEL = ("multilabel_knn", "multilabel_chain")
DENOISER = "denoise_knn"
SOURCES = {"test": "Test image", "draw": "Draw"}
#: The study's figure: macro F1 of a k-NN (raw pixels) over 3-fold cross-validation on the 60,000 training images.
STUDY_MACRO_F1 = 0.976
PIXELS = 112
DENOISE_METRICS = ("mae_noisy", "mae_clean", "test_rows", "noise_amplitude")
REPORT_FORMATS = {"precision": "{:.3f}", "recall": "{:.3f}", "f1": "{:.3f}", "support": "{:,}"}

loaded = layout.artifacts()
built = set(loaded.artifacts.model_names)
image_shape = loaded.data.image_shape
n_test = len(loaded.data.y_test)
build_hint = layout.core_command(loaded, "build", "--models", "concepts")

st.title("Concepts")
st.caption("The classification concepts of the study's MNIST chapter, one section each. Everything comes from "
           "what the build stored, except what you draw and the denoising, which run live.")


def _missing(names, what: str) -> bool:
    """True (after a hint with the build command) when any of ``names`` is not built."""
    absent = [n for n in names if n not in built]
    if absent:
        st.caption(f"{what} appears here when {', '.join(absent)} {'is' if len(absent) == 1 else 'are'} built: "
                   f"{build_hint}.")
    return bool(absent)


def _image(row: np.ndarray) -> str:
    """One pixel row as a PNG ``data:`` URL at its own size."""
    return pictures.png_data_url(np.asarray(row, dtype=np.uint8).reshape(image_shape))


def _source(section: str) -> tuple[np.ndarray | None, int | None]:
    """The section's input as one pixel row (None before anything is drawn) and its test row (None for a
    drawing)."""
    source = st.segmented_control("Input", list(SOURCES), format_func=SOURCES.get, default="test",
                                  key=f"concepts_{section}_source") or "test"
    if source == "test":
        index = st.slider("Test image", 0, n_test - 1, 0, key=f"concepts_{section}_index")
        return loaded.data.X_test[index:index + 1], index
    st.caption("Draw one digit, large and centred; white ink on black like MNIST.")
    key = f"concepts_{section}_canvas"
    return canvas.drawn_row(key, image_shape=image_shape), None


def _caption(index: int | None) -> str:
    return "your drawing" if index is None else f"test image {index}"


def detector_section() -> None:
    """Accuracy against a never-5 baseline, the confusion matrix, and a threshold for a target precision."""
    st.header("Binary classifier: is it a 5?")
    if _missing([DETECTOR], "The detector"):
        return
    pred = loaded.predictions[DETECTOR]
    positive = pred.class_names[1]
    counts = evaluation.confusion(pred.y_true, pred.y_pred, n_classes=2)
    cols = st.columns(4)
    cols[0].metric("Accuracy", f"{evaluation.accuracy(pred.y_true, pred.y_pred):.3f}")
    cols[1].metric(f"Always 'not {positive}'", f"{evaluation.accuracy(pred.y_true, np.zeros_like(pred.y_true)):.3f}",
                   help="A detector that never says yes: accuracy flatters a detector of a rare class.")
    cols[2].metric("Precision", f"{counts[1, 1] / max(counts[:, 1].sum(), 1):.3f}")
    cols[3].metric("Recall", f"{counts[1, 1] / max(counts[1].sum(), 1):.3f}")
    st.table(pd.DataFrame(counts, index=[f"is not {positive}", f"is {positive}"],
                          columns=[f"called not {positive}", f"called {positive}"]))
    st.caption(f"Test confusion matrix at the detector's own threshold (decision value 0). Doing nothing is right "
               f"on every image that is not a {positive}: only precision and recall show what the detector adds.")
    curves = cache.detector_curves(loaded, DETECTOR)
    if curves is None:
        st.info(f"These artifacts hold no cross-validated training scores of the detector; rebuild it: {build_hint}.")
        return
    detector_threshold(curves, positive)


@st.fragment
def detector_threshold(curves: concept_views.DetectorCurves, positive: str) -> None:
    """The target-precision slider, the training curves with the chosen threshold, and the test outcome."""
    target = st.slider("Target precision", 0.50, 0.99, concepts.TARGET_PRECISION, 0.01, format="%.2f",
                       key="concepts_target_precision")
    choice = concept_views.at_precision(curves, target)
    sweep = [svg.Line(curves.sweep["threshold"], curves.sweep[m], charts.PALETTE[i], m)
             for i, m in enumerate(("precision", "recall"))]
    st.html(markup.svg_row_html([
        svg.chart(sweep, title="Precision and recall against the threshold", x_title="decision value threshold",
                  y_title="", rule=choice.threshold, x_range=(curves.low, curves.high)),
        svg.chart([svg.Line(curves.pr.x, curves.pr.y, charts.PALETTE[0])], point=(choice.train.recall,
                  choice.train.precision), title=f"Precision against recall (AP {curves.pr.area:.3f})",
                  x_title="recall", y_title="precision"),
    ], alts=["precision and recall against the decision threshold", "precision-recall curve"]))
    st.markdown(f"Both charts use 3-fold cross-validated decision values of the "
                f"{curves.train.n_pos + curves.train.n_neg:,} training images. The lowest threshold whose precision "
                f"there reaches **{target:.0%}** is **{choice.threshold:.4g}** (training precision "
                f"{choice.train.precision:.3f}, recall {choice.train.recall:.3f}). On the {n_test:,} test images, "
                "never used to choose it:")
    st.html(markup.operating_point_html(positive, choice.test))


def strategies_section() -> None:
    """How many binary classifiers each strategy trains, what it costs, and where their mistakes differ."""
    st.header("One-vs-rest against one-vs-one")
    if _missing(list(STRATEGIES), "The comparison"):
        return
    class_names = list(loaded.data.class_names)
    table = report.strategy_table(cache.comparison(loaded), strategies=STRATEGIES, n_classes=len(class_names))
    st.table(table.drop(columns="model").set_index("title").style.format(
        {"test_accuracy": "{:.4f}", "fit_seconds": "{:.2f}", "predict_ms": "{:.2f}"}))
    ovr, ovo = (loaded.predictions[n] for n in STRATEGIES)
    diff = concept_views.strategy_differences(ovr.y_true, ovr.y_pred, ovo.y_pred, class_names=class_names)
    errors = [int(np.sum(p.y_pred != p.y_true)) for p in (ovr, ovo)]
    st.caption(f"The same SGD classifier, wrapped two ways: one per digit against the rest, or one per pair of digits "
               f"(each on less data). Test mistakes: {errors[0]:,} one-vs-rest, {errors[1]:,} one-vs-one. The "
               "mistakes whose counts differ most:")
    st.table(diff.rename(columns={"a": "one-vs-rest", "b": "one-vs-one", "difference": "one-vs-one - one-vs-rest"}))
    st.page_link("app_pages/errors.py", label="Open a cell's images on the Errors page (pick the model there)",
                 icon=":material/grid_on:")


def multilabel_section() -> None:
    """Per-label reports of both strategies against the study's figure, and both labels of one digit."""
    st.header("Multilabel: large and odd at once")
    st.caption(f"Two labels per image: **large** (digit ≥ {concepts.LARGE_FROM}) and **odd**. A k-NN predicts both at "
               "once; a classifier chain predicts 'large', then 'odd' with the predicted 'large' as an extra input.")
    names = [n for n in MULTILABEL if n in built]
    if _missing(MULTILABEL, "This section") and not names:
        return
    for name, column in zip(names, st.columns(len(names))):
        pred = loaded.predictions[name]
        with column:
            st.markdown(f"**{html.escape(loaded.title(name))}** on the {n_test:,} test images")
            report = concept_views.multilabel_report(pred.y_true, pred.y_pred, labels=pred.class_names)
            st.table(report.style.format(REPORT_FORMATS))
            st.caption(_f1_line(name, report))
    multilabel_live(names)


def _f1_line(name: str, report: pd.DataFrame) -> str:
    metrics = loaded.artifacts.model_info(name)["metrics"]
    line = f"Macro F1 {report.loc['macro avg', 'f1']:.3f} on the test set"
    if isinstance(metrics.get("cv_macro_f1"), float):
        line += (f", {metrics['cv_macro_f1']:.3f} by {metrics.get('cv_folds', '?')}-fold cross-validation on the "
                 f"{loaded.artifacts.dataset['n_train']:,} training images")
    return line + f"; the study reports {STUDY_MACRO_F1} (k-NN on raw pixels, 3-fold CV on 60,000 training images)."


@st.fragment
def multilabel_live(names: list[str]) -> None:
    """Both labels of a test image (stored predictions) or of a drawing (asked live)."""
    left, right = st.columns([2, 3])
    with left:
        row, index = _source("multilabel")
    with right:
        if row is None:
            st.info("Nothing drawn yet: draw a digit to see both labels.")
            return
        layout.tiles([_image(row[0])], [_caption(index)], [_caption(index)], columns=1, pixels=PIXELS)
        if index is not None:
            answers = {n: loaded.predictions[n].y_pred[index].astype(bool) for n in names}
            answers["truth"] = concepts.multilabel_targets(loaded.data.y_test[index:index + 1])[0].astype(bool)
            frame = pd.DataFrame.from_dict(answers, orient="index", columns=list(concepts.LABELS))
        else:
            frame = concept_views.label_answers(layout.loadable_models(loaded, names), row)
        st.html(_labels_html(frame))


def _labels_html(frame: pd.DataFrame) -> str:
    """Each model's yes/no per label as one small HTML table."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(f'<tr><th style="text-align:left">{html.escape(loaded.title(n) if n in built else n)}</th>'
                   + "".join(f"<td>{'yes' if v else 'no'}</td>" for v in values) + "</tr>"
                   for n, values in zip(frame.index, frame.to_numpy()))
    return f'<table style="text-align:center"><tr><th></th>{head}</tr>{rows}</table>'


def denoise_section() -> None:
    """The stored error figures, then one noisy digit cleaned live."""
    st.header("Multioutput: cleaning a noisy digit")
    if _missing([DENOISER], "The denoiser"):
        return
    metrics = loaded.artifacts.model_info(DENOISER)["metrics"]
    if not all(isinstance(metrics.get(k), (int, float)) for k in DENOISE_METRICS):
        st.warning(f"The stored figures of {loaded.title(DENOISER)} are incomplete (the manifest lacks one of "
                   f"{', '.join(DENOISE_METRICS)}); rebuild it: {build_hint}.")
        return
    st.caption("Denoising as a multioutput task: one output per pixel (its clean grey level), predicted from every "
               f"noisy pixel. {html.escape(loaded.artifacts.model_info(DENOISER).get('description', ''))}")
    cols = st.columns(3)
    cols[0].metric("Noisy: mean absolute error", f"{metrics['mae_noisy']:.1f}")
    cols[1].metric("Cleaned: mean absolute error", f"{metrics['mae_clean']:.1f}")
    cols[2].metric("Test images", f"{metrics['test_rows']:,}")
    st.caption(f"Grey levels (0-255) against the original, on the first {metrics['test_rows']:,} test images with "
               f"noise of 0-{metrics['noise_amplitude']} added per pixel, as in training.")
    try:
        model = cache.model(loaded, DENOISER)
    except ArtifactError as exc:
        st.warning(f"{loaded.title(DENOISER)} cannot be used here: {exc}")
        return
    denoise_live(model, int(metrics["noise_amplitude"]))


@st.fragment
def denoise_live(model, amplitude: int) -> None:
    """A test image or a drawing, noise of the chosen amplitude and seed, and the cleaned result."""
    left, right = st.columns([2, 3])
    with left:
        row, index = _source("denoise")
        level = st.slider("Noise amplitude (grey levels)", 0, 255, amplitude, 5, key="concepts_noise_amplitude")
        seed = st.slider("Noise seed", 0, 99, 0, key="concepts_noise_seed")
    with right:
        if row is None:
            st.info("Nothing drawn yet: draw a digit to add noise to it and clean it.")
            return
        start = time.perf_counter()
        result = concept_views.denoise(model, row, amplitude=level, seed=seed)
        elapsed = (time.perf_counter() - start) * 1000
        layout.tiles([_image(row[0]), _image(result.noisy[0]), _image(result.cleaned[0])],
                 [_caption(index), f"noisy: error {result.noisy_error:.1f}",
                  f"cleaned: error {result.cleaned_error:.1f}"], ["original", "noisy", "cleaned"],
                 columns=3, pixels=PIXELS)
        st.caption(f"Mean absolute error against the original in grey levels; cleaned in {elapsed:.0f} ms.")


detector_section()
strategies_section()
multilabel_section()
denoise_section()
