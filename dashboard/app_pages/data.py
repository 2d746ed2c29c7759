"""Data page: what the models were trained and tested on."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import views
from core.eda import INK_COLUMNS
from dashboard import charts, ui

TILE_ROW_PIXELS = 130
INK_LABELS = {"ink": "ink (sum of pixels / 255)", "bbox_height": "bounding box height (px)",
              "bbox_width": "bounding box width (px)", "slant": "slant (columns per row)"}

loaded = ui.artifacts()
summary = loaded.summary
ds = loaded.artifacts.dataset
names = list(summary.class_names)

st.title("Data")
cols = st.columns(4)
cols[0].metric("Dataset", ds["id"])
cols[1].metric("Training images", f"{ds['n_train']:,}")
cols[2].metric("Test images", f"{ds['n_test']:,}")
cols[3].metric("Image size", "x".join(str(s) for s in ds["image_shape"]))
if loaded.artifacts.manifest.get("train_size"):
    st.caption(f"Models were trained on a stratified subset of {loaded.artifacts.manifest['train_size']:,} images.")

st.subheader("Class distribution")
share = st.toggle("Show shares instead of counts", key="data_share")
counts = pd.DataFrame({"digit": names * 2,
                       "split": ["train"] * len(names) + ["test"] * len(names),
                       "images": list(summary.train_counts) + list(summary.test_counts)})
if share:
    counts["images"] = counts["images"] / counts.groupby("split")["images"].transform("sum")
st.plotly_chart(charts.grouped_bars(counts, x="digit", y="images", colour="split"), key="data_counts")

st.subheader("Samples per digit")
n_samples = summary.sample_images.shape[1]
st.plotly_chart(charts.image(views.mosaic(summary.sample_images), height=min(620, 60 * len(names) + 20)),
                key="data_samples")
st.caption(f"{n_samples} random training images per digit, one row per digit (0 at the top).")

st.subheader("Mean and variance image per digit")
st.plotly_chart(charts.image_tiles(summary.mean_images, labels=names, wrap=len(names), unit="mean",
                                   height=TILE_ROW_PIXELS), key="data_mean", config={"displayModeBar": False})
st.caption("Mean pixel value: where each digit usually has ink.")
st.plotly_chart(charts.image_tiles(summary.var_images, labels=names, wrap=len(names), colourscale="Viridis",
                                   unit="variance", height=TILE_ROW_PIXELS), key="data_var",
                config={"displayModeBar": False})
st.caption("Pixel variance: where writers disagree.")

st.subheader("Ink statistics per digit")
stat = st.segmented_control("Statistic", list(INK_COLUMNS), format_func=INK_LABELS.get, default="ink",
                            key="data_ink_stat") or "ink"
table = summary.ink_by_class.reset_index()
table["digit"] = [names[i] for i in table["label"]]
st.plotly_chart(charts.bars(table, x="digit", y=f"{stat}_mean", error=f"{stat}_std", y_title=INK_LABELS[stat],
                            title=f"Mean {INK_LABELS[stat]} (± one standard deviation)"), key="data_ink")
with st.expander("Table"):
    st.dataframe(table.drop(columns="label").set_index("digit"), column_config={
        c: st.column_config.NumberColumn(format="%.2f") for c in table.columns if c.endswith(("_mean", "_std"))})
