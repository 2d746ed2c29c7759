"""Calibration page: does "90% confident" mean right 9 times in 10? Reliability diagrams, ECE, Brier, log loss."""

from __future__ import annotations

import streamlit as st

from core.analysis import calibration
from core.analysis.calibration import N_BINS
from core.analysis.intervals import THIN
from dashboard import cache
from dashboard.render import markup, palette, svg
from dashboard.sections import layout

TOP_LABEL = "top"
TABLE_COLUMNS = {
    "title": st.column_config.TextColumn("model"),
    "accuracy": st.column_config.NumberColumn("accuracy", format="%.4f"),
    "mean_confidence": st.column_config.NumberColumn("mean confidence", format="%.4f"),
    "ece": st.column_config.NumberColumn("ECE", format="%.4f", help="At the temperature the pages use"),
    "ece_before": st.column_config.NumberColumn("ECE before temperature", format="%.4f",
                                                help="Decision values through a plain softmax (temperature 1)"),
    "temperature": st.column_config.NumberColumn("temperature", format="%.3g"),
    "brier": st.column_config.NumberColumn("Brier", format="%.4f"),
    "log_loss": st.column_config.NumberColumn("log loss", format="%.4f"),
}
BIN_COLUMNS = {"bin": "confidence bin", "count": "images", "confidence": "mean confidence", "right": "right",
               "gap": "right − confidence", "thin": "thin"}

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)

st.title("Calibration")
st.caption(f"A model is calibrated when its confidence is its hit rate: of the images it gives 90%, it gets 90% "
           f"right. The test images are sorted into {N_BINS} equal-width bins of the top label's probability; the "
           "expected calibration error (ECE) is the mean gap between confidence and accuracy over the bins, "
           "weighted by their images. Brier score and log loss score every probability, not only the top one. "
           "Decision values (SGD, SVMs) become probabilities through a softmax at a temperature the build fits on "
           "cross-validated training scores; the table shows their ECE before and after it.")
table = cache.calibration_table(loaded, tuple(names)).sort_values("ece")
table.insert(0, "title", [loaded.title(name) for name in table.index])
st.dataframe(table, column_config={"_index": "name", **TABLE_COLUMNS}, placeholder="–", height="content")

model = layout.focus_model(loaded, names)
pick = st.columns([2, 3])
layout.model_select(loaded, names, model, key="calibration_model_pick", where=pick[0])
view = pick[1].segmented_control("Probability of", [TOP_LABEL, *range(len(class_names))], default=TOP_LABEL,
                                 key="calibration_view",
                                 format_func=lambda v: "its answer" if v == TOP_LABEL else f"digit {class_names[v]}")
view = TOP_LABEL if view is None else view
result = cache.model_calibration(loaded, model)
if view == TOP_LABEL:
    curves = {"at its temperature": (result.after.bins, palette.PALETTE[0], False)}
    if result.before is not None:
        curves["before it"] = (result.before.bins, palette.NEUTRAL, True)
    what, axis = "its answer", "confidence (probability of its answer)"
else:
    curves = {f"p({class_names[view]})": (cache.class_reliability(loaded, model, view), palette.PALETTE[0], False)}
    what, axis = f"digit {class_names[view]}", f"probability of {class_names[view]}"
lines = []
for name, (bins, colour, dashed) in curves.items():
    filled = bins[bins["count"] > 0]
    lines.append((svg.Line(filled["confidence"].to_numpy(), filled["accuracy"].to_numpy(), colour,
                           name if len(curves) > 1 else "", dash=dashed), filled["count"].to_numpy()))
chart = svg.reliability(lines, title=f"{loaded.title(model)}: probability of {what} against how often it is right",
                        x_title=axis, y_title="share right" if view == TOP_LABEL else f"share that are {what}")
st.html(markup.svg_row_html([chart], alts=[f"reliability diagram of {loaded.title(model)} for {what}"]))
st.caption("The dotted diagonal is perfect calibration: below it the model is over-confident, above it "
           "under-confident. A dot's area grows with its bin's images.")

listed = calibration.reliability_table(next(iter(curves.values()))[0])
st.dataframe(listed.assign(right=[f"{a:.1%} [{lo:.1%}, {hi:.1%}]" for a, lo, hi in
                                  zip(listed["accuracy"], listed["accuracy_low"], listed["accuracy_high"])],
                           thin=listed["thin"].map({True: "thin", False: ""}))[list(BIN_COLUMNS)]
             .rename(columns=BIN_COLUMNS), hide_index=True, height="content",
             column_config={"images": st.column_config.NumberColumn(format="localized"),
                            **{c: st.column_config.NumberColumn(format="%.4f")
                               for c in ("mean confidence", "right − confidence")}})
st.caption(f"Right: the share right in the bin with its 95% Wilson interval; bins of fewer than {THIN} images are "
           "marked thin: their dots can sit far from the diagonal by chance.")
if view == TOP_LABEL and len(listed):
    worst = listed.loc[(listed["gap"].abs() * listed["count"]).idxmax()]
    st.caption(f"Where it matters most ({worst['count']:,} images): said {worst['confidence']:.1%} on average, "
               f"was right {worst['accuracy']:.1%}.")
