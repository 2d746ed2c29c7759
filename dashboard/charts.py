"""Plotly figures for the pages: each takes computed arrays or frames and only draws them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

CELL_PIXELS = 44
GREYS = "gray"


def confusion_scatter(cm: np.ndarray, *, class_names, counts: np.ndarray, show_diagonal: bool,
                      selected: tuple[int, int] | None) -> go.Figure:
    """Confusion matrix drawn as square scatter markers, one per cell, so a click reports its cell.

    ``st.plotly_chart(on_select=...)`` returns no selection for heatmaps, but it
    does for scatter points: a click reports the point's ``x`` (predicted) and
    ``y`` (true) class names.
    The diagonal is drawn grey (and left out of the colour scale) when hidden.
    """
    n = len(class_names)
    names = [str(c) for c in class_names]
    true, pred = np.divmod(np.arange(n * n), n)
    values = cm[true, pred].astype(float)
    on_diag = true == pred
    colour_cells = ~on_diag if not show_diagonal else np.ones_like(on_diag)
    shown = values[colour_cells]
    is_share = not np.issubdtype(cm.dtype, np.integer)
    text = [f"{v:.2f}".lstrip("0") if is_share else f"{int(v)}" for v in values]
    hover = [f"true {names[t]} → predicted {names[p]}<br>{int(counts[t, p])} images" for t, p in zip(true, pred)]
    top = shown.max() if shown.size and shown.max() > 0 else 1.0
    ink = np.where(shown > 0.55 * top, "white", "#333")
    keep_look = {"marker": {"opacity": 1}}
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[names[p] for p in pred[colour_cells]], y=[names[t] for t in true[colour_cells]],
        mode="markers+text", text=np.asarray(text)[colour_cells], textfont={"size": 11, "color": list(ink)},
        selected=keep_look, unselected=keep_look,
        hovertext=np.asarray(hover)[colour_cells], hoverinfo="text",
        marker={"symbol": "square", "size": CELL_PIXELS, "color": shown, "colorscale": "Blues",
                "cmin": 0, "cmax": float(top),
                "showscale": True, "line": {"width": 0}},
        name="cells", showlegend=False,
    ))
    if not show_diagonal:
        fig.add_trace(go.Scatter(
            x=[names[p] for p in pred[on_diag]], y=[names[t] for t in true[on_diag]],
            mode="markers+text", text=np.asarray(text)[on_diag], textfont={"size": 10, "color": "#666"},
            selected=keep_look, unselected=keep_look,
            hovertext=np.asarray(hover)[on_diag], hoverinfo="text",
            marker={"symbol": "square", "size": CELL_PIXELS, "color": "#e8e8e8", "line": {"width": 0}},
            name="correct", showlegend=False,
        ))
    if selected is not None:
        fig.add_trace(go.Scatter(
            x=[names[selected[1]]], y=[names[selected[0]]], mode="markers", hoverinfo="skip",
            marker={"symbol": "square-open", "size": CELL_PIXELS + 2, "color": "#d62728", "line": {"width": 3}},
            name="selected", showlegend=False,
        ))
    side = CELL_PIXELS * n + 140
    fig.update_layout(
        width=side + 60, height=side, margin={"l": 60, "r": 20, "t": 30, "b": 60},
        xaxis={"title": "predicted", "type": "category", "categoryorder": "array", "categoryarray": names,
               "side": "bottom", "showgrid": False, "fixedrange": True},
        yaxis={"title": "true", "type": "category", "categoryorder": "array", "categoryarray": names[::-1],
               "showgrid": False, "fixedrange": True},
        plot_bgcolor="white", clickmode="event+select", dragmode=False,
    )
    return fig


def image(array: np.ndarray, *, title: str = "", height: int = 300) -> go.Figure:
    """One greyscale image with pixel values on hover."""
    fig = px.imshow(array, color_continuous_scale=GREYS, title=title or None)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      coloraxis_showscale=False)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig


def image_facets(stack: np.ndarray, *, labels, wrap: int = 5, colour: str = GREYS, height: int = 330) -> go.Figure:
    """A ``(k, h, w)`` stack as ``k`` small images in a grid, titled by ``labels``."""
    fig = px.imshow(stack, facet_col=0, facet_col_wrap=wrap, color_continuous_scale=colour,
                    facet_row_spacing=0.08, facet_col_spacing=0.02)
    names = [str(label) for label in labels]
    fig.for_each_annotation(lambda a: a.update(text=names[int(a.text.split("=")[-1])]))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig


def grouped_bars(frame: pd.DataFrame, *, x: str, y: str, colour: str, title: str = "",
                 error: str | None = None, height: int = 320) -> go.Figure:
    """Bars of ``y`` per ``x``, one colour per ``colour`` group, optional error bars."""
    fig = px.bar(frame, x=x, y=y, color=colour, barmode="group", error_y=error, title=title or None)
    fig.update_xaxes(type="category")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      legend_title_text="")
    return fig


def bars(frame: pd.DataFrame, *, x: str, y: str, title: str, error: str | None = None,
         height: int = 300, log: bool = False) -> go.Figure:
    """A single-colour bar chart."""
    fig = px.bar(frame, x=x, y=y, error_y=error, title=title, log_y=log, text_auto=False if error else ".3g")
    fig.update_xaxes(type="category")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def heatmap(frame: pd.DataFrame, *, title: str, zmin: float | None = None, zmax: float | None = None,
            fmt: str = ".2f", height: int | None = None) -> go.Figure:
    """A labelled heatmap of a frame (rows on the y axis)."""
    fig = px.imshow(frame, text_auto=fmt, color_continuous_scale="Blues", zmin=zmin, zmax=zmax,
                    aspect="auto", title=title)
    fig.update_layout(height=height or 80 + 32 * len(frame), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_xaxes(type="category", side="top")
    return fig


def curve(x: np.ndarray, y: np.ndarray, *, point: tuple[float, float] | None, x_title: str, y_title: str,
          title: str, diagonal: bool = False, height: int = 340) -> go.Figure:
    """A ROC or precision-recall curve with the current operating point marked."""
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=title, line={"shape": "hv" if not diagonal else "linear"}))
    if diagonal:
        fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#aaa"},
                                 name="chance", hoverinfo="skip"))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="threshold",
                                 marker={"size": 13, "color": "#d62728", "symbol": "circle"}))
    fig.update_layout(title=title, height=height, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      xaxis={"title": x_title, "range": [-0.02, 1.02]}, yaxis={"title": y_title, "range": [-0.02, 1.02]})
    return fig


def sweep(frame: pd.DataFrame, *, threshold: float | None, title: str, height: int = 320) -> go.Figure:
    """Precision and recall against the decision threshold (the study's detector plot)."""
    long = frame.melt(id_vars="threshold", value_vars=["precision", "recall"], var_name="metric")
    fig = px.line(long, x="threshold", y="value", color="metric", title=title)
    if threshold is not None:
        fig.add_vline(x=threshold, line_dash="dash", line_color="#d62728")
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend_title_text="")
    return fig


def small_matrix(cm: np.ndarray, *, rows, cols, title: str, height: int = 260) -> go.Figure:
    """A small annotated count matrix (binary or kept 10x10)."""
    frame = pd.DataFrame(cm, index=[str(r) for r in rows], columns=[str(c) for c in cols])
    fig = px.imshow(frame, text_auto="d", color_continuous_scale="Blues", aspect="auto", title=title,
                    labels={"x": "predicted", "y": "true", "color": "images"})
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, coloraxis_showscale=False)
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category")
    return fig


def coverage(frame: pd.DataFrame, *, point: tuple[float, float] | None, height: int = 340) -> go.Figure:
    """Accuracy of the kept images against the share kept, with the current threshold marked."""
    fig = px.line(frame, x="coverage", y="accuracy", hover_data=["threshold"], title="Accuracy vs coverage")
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="threshold",
                                 marker={"size": 13, "color": "#d62728"}))
    fig.update_layout(height=height, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def probability_bars(probabilities: pd.DataFrame, *, titles: dict[str, str], height: int = 340) -> go.Figure:
    """Class probabilities of every model for one image, grouped by class."""
    long = probabilities.rename(index=titles).rename_axis("model").reset_index().melt(
        id_vars="model", var_name="class", value_name="probability")
    fig = px.bar(long, x="class", y="probability", color="model", barmode="group", range_y=[0, 1])
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend_title_text="")
    fig.update_xaxes(type="category")
    return fig
