"""Data page: what the models were trained and tested on."""

from __future__ import annotations

import html

import numpy as np
import streamlit as st

from core.data import pictures
from core.data.eda import INK_COLUMNS
from dashboard.render import charts, markup, svg
from dashboard.sections import layout

TILE_PIXELS = 130
VARIANCE_COLOURS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
                    "#b5de2b", "#fde725"]
INK_LABELS = {"ink": "ink (sum of pixels / 255)", "bbox_height": "bounding box height (px)",
              "bbox_width": "bounding box width (px)", "slant": "slant (columns per row)"}

loaded = layout.artifacts()
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
splits = {"train": np.asarray(summary.train_counts, dtype=float), "test": np.asarray(summary.test_counts, dtype=float)}
if share:
    splits = {name: values / values.sum() for name, values in splits.items()}
st.html(markup.svg_row_html([svg.bars(names, splits, colours=charts.PALETTE, title="Images per digit",
                                  y_title="share of the split" if share else "images", fmt=".0%" if share else ",.0f")],
                        alts=["images per digit in the training and test sets"]))

st.subheader("Samples per digit")
n_samples = summary.sample_images.shape[1]
mosaic = pictures.mosaic(summary.sample_images)
layout.picture(mosaic, alt="sample training images, one row per digit", width=min(640, 2 * mosaic.shape[1]))
st.caption(f"{n_samples} random training images per digit, one row per digit (0 at the top).")

st.subheader("Mean and variance image per digit")
size = 2 * TILE_PIXELS // 3
layout.tiles([pictures.png_data_url(np.round(image).astype(np.uint8)) for image in summary.mean_images],
         [f"mean {html.escape(name)}" for name in names], [f"mean image of {name}" for name in names],
         columns=len(names), pixels=size)
st.caption("Mean pixel value (black 0, white 255): where each digit usually has ink.")
top = float(summary.var_images.max())
layout.tiles([pictures.png_data_url(markup.colour_map(image, high=top, stops=VARIANCE_COLOURS))
              for image in summary.var_images],
         [f"variance {html.escape(name)}" for name in names], [f"variance image of {name}" for name in names],
         columns=len(names), pixels=size)
st.caption(f"Pixel variance, from 0 (dark purple) to {top:,.0f} (yellow): where writers disagree.")

st.subheader("Ink statistics per digit")
stat = st.segmented_control("Statistic", list(INK_COLUMNS), format_func=INK_LABELS.get, default="ink",
                            key="data_ink_stat") or "ink"
table = summary.ink_by_class.reset_index()
table["digit"] = [names[i] for i in table["label"]]
st.html(markup.svg_row_html([svg.bars(names, {"mean": table[f"{stat}_mean"].to_numpy()}, colours=charts.PALETTE,
                                  errors={"mean": table[f"{stat}_std"].to_numpy()}, y_title=INK_LABELS[stat],
                                  title=f"Mean {INK_LABELS[stat]} (± one standard deviation)", fmt=",.2f")],
                        alts=[f"mean {INK_LABELS[stat]} per digit"]))
with st.expander("Table"):
    st.dataframe(table.drop(columns="label").set_index("digit"), column_config={
        c: st.column_config.NumberColumn(format="%.2f") for c in table.columns if c.endswith(("_mean", "_std"))})
