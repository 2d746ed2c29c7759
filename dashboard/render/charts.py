"""Plotly figures for the pages: each takes computed arrays or frames and only draws them.

Figures are built with ``plotly.graph_objects`` in one constructor call: plotly
express and incremental ``update_*`` calls cost tens of milliseconds per figure,
which would dominate a slider move. They carry an empty template: Streamlit's
theme styles them in the browser, and copying plotly's default template costs
more than building the figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.render.palette import GAIN, MISTAKE, NEUTRAL, PALETTE

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
NO_TEMPLATE: dict = {}


def _figure(data: list, *, height: int, title: str = "", **layout) -> go.Figure:
    return go.Figure(data=data, layout={"height": height, "template": NO_TEMPLATE,
                                        "margin": MARGIN if title else {**MARGIN, "t": 10},
                                        "title": {"text": title} if title else None, **layout})


def ranked_bars(labels, values, *, x_title: str, fmt: str, log: bool = False, zoom: bool = False,
                row_pixels: int = 30) -> go.Figure:
    """Horizontal bars, one per label, in the given order from the top, each labelled with its value.

    ``zoom`` starts a linear axis just below the smallest value instead of at 0,
    so that close values (accuracies of 0.97 and 0.99) are told apart.
    """
    values = np.asarray(values, dtype=float)
    bar = go.Bar(x=values, y=list(labels), orientation="h", marker_color=PALETTE[0], cliponaxis=False,
                 text=[format(v, fmt) for v in values], textposition="outside",
                 hovertemplate="%{y}: %{x:" + fmt + "}<extra></extra>")
    low = max(0.0, float(np.floor(values.min() * 50) / 50) - 0.02) if zoom else 0.0
    high = float(values.max())
    axis = {"type": "log", "title": {"text": x_title}} if log else {
        "range": [low, high + (high - low) * 0.12], "title": {"text": x_title}}
    return _figure([bar], height=70 + row_pixels * len(values), xaxis=axis,
                   yaxis={"type": "category", "autorange": "reversed", "automargin": True},
                   margin={**MARGIN, "r": 50, "t": 10})


def heatmap(frame: pd.DataFrame, *, zmin: float | None = None, zmax: float | None = None, fmt: str = ".2f",
            height: int | None = None) -> go.Figure:
    """A labelled heatmap of a frame (rows on the y axis, columns on top), values written in the cells."""
    heat = go.Heatmap(z=frame.to_numpy(), x=[str(c) for c in frame.columns], y=[str(i) for i in frame.index],
                      colorscale="Blues", zmin=zmin, zmax=zmax, texttemplate=f"%{{z:{fmt}}}",
                      hovertemplate="%{y}, %{x}: %{z:" + fmt + "}<extra></extra>")
    return _figure([heat], height=height or 60 + 32 * len(frame), margin={**MARGIN, "t": 30},
                   xaxis={"type": "category", "side": "top"}, yaxis={"type": "category", "autorange": "reversed"})


def curve(x: np.ndarray, y: np.ndarray, *, point: tuple[float, float] | None, x_title: str, y_title: str,
          title: str, diagonal: bool = False, height: int = 340) -> go.Figure:
    """A ROC or precision-recall curve (points joined by straight lines) with the operating point marked."""
    data = [go.Scatter(x=x, y=y, mode="lines", name=title)]
    if diagonal:
        data.append(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#aaa"},
                               hoverinfo="skip"))
    if point is not None:
        data.append(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="threshold",
                               marker={"size": 13, "color": MISTAKE}))
    return _figure(data, height=height, title=title, showlegend=False,
                   xaxis={"title": {"text": x_title}, "range": [-0.02, 1.02]},
                   yaxis={"title": {"text": y_title}, "range": [-0.02, 1.02]})


def sweep(frame: pd.DataFrame, *, threshold: float | None, title: str, x_title: str = "threshold",
          height: int = 340) -> go.Figure:
    """Precision and recall against the decision threshold (the study's detector plot)."""
    data = [go.Scatter(x=frame["threshold"], y=frame[metric], mode="lines", name=metric,
                       line={"color": PALETTE[i]}) for i, metric in enumerate(("precision", "recall"))]
    shapes = [] if threshold is None else [{"type": "line", "x0": threshold, "x1": threshold, "y0": 0, "y1": 1,
                                            "yref": "paper", "line": {"dash": "dash", "color": MISTAKE}}]
    return _figure(data, height=height, title=title, shapes=shapes, xaxis={"title": {"text": x_title}},
                   yaxis={"range": [-0.02, 1.02]}, legend={"orientation": "h", "y": -0.25})


def small_matrix(cm, *, rows, cols, title: str, height: int = 260) -> go.Figure:
    """A small annotated count matrix (binary, or the kept 10x10)."""
    z = np.asarray(cm)
    heat = go.Heatmap(z=z, x=[str(c) for c in cols], y=[str(r) for r in rows], colorscale="Blues",
                      showscale=False, texttemplate="%{z}",
                      hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>")
    return _figure([heat], height=height, title=title,
                   xaxis={"type": "category", "title": {"text": "predicted"}},
                   yaxis={"type": "category", "autorange": "reversed", "title": {"text": "true"}})


def coverage(frame: pd.DataFrame, *, point: tuple[float, float] | None, height: int = 340) -> go.Figure:
    """Accuracy of the kept images against the share kept, with the current threshold marked."""
    data = [go.Scatter(x=frame["coverage"], y=frame["accuracy"], customdata=frame["threshold"], mode="lines",
                       hovertemplate="coverage %{x:.3f}<br>accuracy %{y:.4f}<br>threshold %{customdata:.3f}"
                                     "<extra></extra>")]
    if point is not None:
        data.append(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", marker={"size": 13, "color": MISTAKE}))
    return _figure(data, height=height, title="Accuracy vs coverage", showlegend=False,
                   xaxis={"title": {"text": "coverage (share of images kept)"}},
                   yaxis={"title": {"text": "accuracy of kept images"}})


def training_curve(history: dict, *, height: int = 320) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch, on the training batches and on held-out images."""
    epochs = history["epoch"]
    data = [go.Scatter(x=epochs, y=history[f"{part}_{metric}"], mode="lines+markers", name=label,
                       legendgroup=part, showlegend=metric == "loss", xaxis=axis, yaxis=axis.replace("x", "y"),
                       line={"color": PALETTE[i], "dash": "solid" if part == "held_out" else "dot"},
                       hovertemplate=f"{label}, epoch %{{x}}: %{{y:.4f}}<extra>{metric}</extra>")
            for metric, axis in (("loss", "x"), ("accuracy", "x2"))
            for i, (part, label) in enumerate((("train", "training batches (augmented)"),
                                               ("held_out", "held-out images")))]
    return _figure(data, height=height, xaxis={"domain": [0, 0.45], "title": {"text": "epoch"}, "dtick": 1},
                   xaxis2={"domain": [0.55, 1], "title": {"text": "epoch"}, "dtick": 1},
                   yaxis={"title": {"text": "cross-entropy"}, "type": "log"},
                   yaxis2={"anchor": "x2", "title": {"text": "accuracy"}},
                   legend={"orientation": "h", "y": -0.3})


def _signed(value: float) -> str:
    """``+5`` or ``−12`` (a real minus sign)."""
    return f"{value:+,.0f}".replace("-", "−")


def ablation(steps: pd.DataFrame, *, pairs, row_pixels: int = 56) -> go.Figure:
    """The ablation in one figure: test errors after each step (left) and the study's pairs (right).

    ``steps`` is :func:`core.analysis.report.ablation_steps` output, one row per step from
    the top; ``pairs`` are its pair columns such as ``"9->4"``. An error bar is
    green when its step removed errors, red when it added some, grey for the
    first step, and labelled with the change against the previous step.
    """
    labels = [f"{step}. {title}" for step, title in zip(steps["step"], steps["title"])]
    fixed = steps["fixed"].to_numpy(dtype=float)
    colours = [NEUTRAL if np.isnan(f) or f == 0 else GAIN if f > 0 else MISTAKE for f in fixed]
    text = [f"{e:,}" if np.isnan(f) else f"{e:,} ({_signed(-f)})" for e, f in zip(steps["errors"], fixed)]
    hover = [f"<b>{label}</b><br>{change}<br>accuracy {acc:.2%}, {e:,} errors"
             for label, change, acc, e in zip(labels, steps["change"], steps["test_accuracy"], steps["errors"])]
    data = [go.Bar(x=steps["errors"], y=labels, orientation="h", marker_color=colours, text=text,
                   textposition="outside", cliponaxis=False, hovertext=hover, hoverinfo="text", showlegend=False)]
    data += [go.Bar(x=steps[pair], y=labels, orientation="h", name=name, xaxis="x2", showlegend=False,
                    marker_color=PALETTE[i % len(PALETTE)], text=[f"{name}: {v:.0f}" if v else "" for v in steps[pair]],
                    textposition="outside", constraintext="none", textfont={"size": 10}, cliponaxis=False,
                    hovertemplate=f"{name}: %{{x}} images<extra></extra>")
             for i, (pair, name) in enumerate((pair, pair.replace("->", "→")) for pair in pairs)]
    top = float(steps["errors"].max()) or 1.0
    pair_top = float(steps[list(pairs)].max().max()) or 1.0
    titles = [{"text": text, "x": x, "xref": "paper", "y": 1.0, "yref": "paper", "yanchor": "bottom",
               "xanchor": "left", "showarrow": False, "yshift": 8, "font": {"size": 14}}
              for text, x in (("Test errors (change against the previous step)", 0.0),
                              ("The study's confused pairs (true → predicted)", 0.58))]
    return _figure(data, height=90 + row_pixels * len(steps), barmode="group", bargap=0.2, annotations=titles,
                   margin={"l": 10, "r": 40, "t": 40, "b": 30},
                   xaxis={"domain": [0.0, 0.5], "range": [0, top * 1.3]},
                   xaxis2={"domain": [0.58, 1.0], "anchor": "y", "range": [0, pair_top * 1.35],
                           "dtick": 1 if pair_top <= 5 else None},
                   yaxis={"type": "category", "autorange": "reversed", "automargin": True})

