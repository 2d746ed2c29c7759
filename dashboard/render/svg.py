"""Small static charts as inline SVG: line charts for views that change on every slider step, bar charts

for pages that should open without loading plotly.

A plotly chart costs the browser ~30-100 ms to draw again, three of them a
threshold step several times the step itself (``bench/browser.py``). An SVG of
a reduced curve (:func:`core.analysis.curves.reduce_curve`) is a few KiB that the
browser lays out at once. These charts have no hover or zoom: the page shows
the exact numbers of the operating point beside them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dashboard.render.palette import MISTAKE

WIDTH, HEIGHT = 400, 300
MARGIN = {"left": 46, "right": 12, "top": 30, "bottom": 42}
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
GRID, AXIS, TEXT = "#e6e6e6", "#999", "#444"


@dataclass(frozen=True)
class Line:
    """One polyline: x and y in data units (both axes run from 0 to 1), a colour and a legend name."""

    x: np.ndarray
    y: np.ndarray
    colour: str
    name: str = ""
    dash: bool = False


def _sx(x) -> np.ndarray:
    return MARGIN["left"] + np.asarray(x, dtype=np.float64) * (WIDTH - MARGIN["left"] - MARGIN["right"])


def _sy(y) -> np.ndarray:
    return HEIGHT - MARGIN["bottom"] - np.asarray(y, dtype=np.float64) * (HEIGHT - MARGIN["top"] - MARGIN["bottom"])


def pixels(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Where :func:`chart` draws data points ``(x, y)`` (both in 0..1, x range 0 to 1), in SVG pixels.

    Examples
    --------
    >>> [float(v[0]) for v in pixels([0.0], [1.0])]
    [46.0, 30.0]
    """
    return _sx(np.clip(x, 0, 1)), _sy(y)


def _frame(x_title: str, y_title: str, x_range: tuple[float, float] = (0.0, 1.0),
           y_range: tuple[float, float] = (0.0, 1.0), x_ticks: Sequence[float] | None = None) -> list[str]:
    """Grid, tick labels, box and axis titles; x ticks at six even steps of ``x_range``, or at ``x_ticks``."""
    parts = []
    low, high = x_range
    bottom, top = y_range
    at = TICKS if x_ticks is None else [(v - low) / (high - low) for v in x_ticks]
    for t in at:
        x, label = float(_sx(t)), low + t * (high - low)
        parts.append(f'<line x1="{x:.1f}" y1="{_sy(0):.1f}" x2="{x:.1f}" y2="{_sy(1):.1f}" stroke="{GRID}"/>'
                     f'<text x="{x:.1f}" y="{_sy(0) + 14:.1f}" text-anchor="middle">{label:.3g}</text>')
    for t in TICKS:
        y = float(_sy(t))
        parts.append(f'<line x1="{_sx(0):.1f}" y1="{y:.1f}" x2="{_sx(1):.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
                     f'<text x="{_sx(0) - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{bottom + t * (top - bottom):.3g}</text>')
    parts.append(f'<rect x="{_sx(0):.1f}" y="{_sy(1):.1f}" width="{_sx(1) - _sx(0):.1f}" '
                 f'height="{_sy(0) - _sy(1):.1f}" fill="none" stroke="{AXIS}"/>')
    parts.append(f'<text x="{(_sx(0) + _sx(1)) / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
                 f'{html.escape(x_title)}</text>')
    parts.append(_y_title((_sy(0) + _sy(1)) / 2, y_title))
    return parts


def _y_title(middle: float, text: str) -> str:
    """The y axis title, turned a quarter, centred at height ``middle``."""
    return (f'<text transform="translate(12 {middle:.1f}) rotate(-90)" text-anchor="middle">'
            f'{html.escape(text)}</text>')


def _document(width: int, title: str, *, title_x: float, body: str, fluid: bool = False) -> str:
    """A standalone SVG document ``width`` x :data:`HEIGHT` with ``title`` above ``body``; a ``fluid`` one (inline
    in HTML) fills the width of its box."""
    size = "width:100%;height:auto;" if fluid else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" width="{width}" '
            f'height="{HEIGHT}" role="img" aria-label="{html.escape(title)}" '
            f'style="{size}font:11px sans-serif;fill:{TEXT}"><text x="{title_x}" y="18" '
            f'style="font-size:14px;font-weight:600">{html.escape(title)}</text>{body}</svg>')


def _polyline(line: Line) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(_sx(line.x), _sy(line.y)))
    dash = ' stroke-dasharray="4 3"' if line.dash else ""
    return f'<polyline points="{points}" fill="none" stroke="{line.colour}" stroke-width="2"{dash}/>'


def chart(lines: Sequence[Line], *, title: str, x_title: str, y_title: str,
          point: tuple[float, float] | None = None, rule: float | None = None,
          x_range: tuple[float, float] = (0.0, 1.0)) -> str:
    """An SVG line chart, y from 0 to 1, with an optional marked point and vertical rule.

    Parameters
    ----------
    lines : the curves, drawn in order
    title, x_title, y_title : text above the chart and on its axes
    point : (x, y) drawn as a red dot (an operating point)
    rule : x of a dashed red vertical line (a threshold); drawn at the nearer edge when outside ``x_range``
    x_range : (low, high) of the x axis (a decision-value threshold, say); lines should lie inside it

    Returns
    -------
    str
        A standalone ``<svg>`` document (show it as an image; it scales without blurring).

    Examples
    --------
    >>> svg = chart([Line(np.array([0, 1]), np.array([0, 1]), "#1f77b4")], title="t", x_title="x", y_title="y")
    >>> svg.startswith("<svg") and "polyline" in svg
    True
    """
    low, high = x_range

    def unit(x):
        return (np.asarray(x, dtype=np.float64) - low) / (high - low)

    parts = _frame(x_title, y_title, x_range)
    parts += [_polyline(Line(unit(line.x), line.y, line.colour, line.name, line.dash)) for line in lines]
    if rule is not None:
        x = float(_sx(np.clip(unit(rule), 0, 1)))
        parts.append(f'<line data-role="rule" x1="{x:.1f}" y1="{_sy(0):.1f}" x2="{x:.1f}" y2="{_sy(1):.1f}" '
                     f'stroke="{MISTAKE}" stroke-dasharray="5 4" stroke-width="1.5"/>')
    if point is not None:
        parts.append(f'<circle data-role="point" cx="{float(_sx(unit(point[0]))):.1f}" '
                     f'cy="{float(_sy(point[1])):.1f}" r="6" fill="{MISTAKE}"/>')
    parts += _legend([line for line in lines if line.name])
    return _document(WIDTH, title, title_x=MARGIN["left"], body="".join(parts))


@dataclass(frozen=True)
class Mark:
    """A clickable point: where (data units), its colour, the ``data-cell`` number a click reports and its tooltip."""

    x: float
    y: float
    colour: str
    cell: int
    label: str


def marked_chart(lines: Sequence[Line], marks: Sequence[Mark], *, title: str, x_title: str, y_title: str,
                 x_range: tuple[float, float], y_range: tuple[float, float], selected: int | None = None) -> str:
    """A line chart over ``x_range`` x ``y_range`` whose ``marks`` are clickable points, inline in the HTML of
    :func:`dashboard.components.clickable.clicked` (each a focusable ``data-cell``); mark ``selected`` is ringed.
    The x axis is labelled at the marks' x values.

    Examples
    --------
    >>> svg = marked_chart([Line(np.array([0, 10]), np.array([0.9, 0.5]), "#1f77b4")],
    ...                    [Mark(10, 0.5, "#1f77b4", 7, "at 10")], title="t", x_title="x", y_title="y",
    ...                    x_range=(0, 10), y_range=(0.4, 1.0), selected=7)
    >>> svg.count('data-cell="7"'), svg.count("<circle")
    (1, 2)
    """
    (x_low, x_high), (y_low, y_high) = x_range, y_range

    def unit(values, low, high):
        return (np.asarray(values, dtype=np.float64) - low) / (high - low)

    parts = _frame(x_title, y_title, x_range, y_range, x_ticks=sorted({line_x for line in lines for line_x in line.x}))
    parts += [_polyline(Line(unit(line.x, x_low, x_high), unit(line.y, y_low, y_high), line.colour))
              for line in lines]
    for mark in marks:
        x, y = float(_sx(unit(mark.x, x_low, x_high))), float(_sy(unit(mark.y, y_low, y_high)))
        if mark.cell == selected:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="none" stroke="{TEXT}" stroke-width="2"/>')
        parts.append(f'<circle data-cell="{int(mark.cell)}" tabindex="0" role="button" cx="{x:.1f}" cy="{y:.1f}" '
                     f'r="4.5" fill="{mark.colour}" style="cursor:pointer"><title>{html.escape(mark.label)}</title>'
                     '</circle>')
    return _document(WIDTH, title, title_x=MARGIN["left"], body="".join(parts), fluid=True)


def _legend(named: Sequence[Line]) -> list[str]:
    """Legend entries (a short line and the name) along the bottom right of the plot."""
    parts = []
    for i, line in enumerate(named):
        x = _sx(1) - 90 * (len(named) - i)
        dash = ' stroke-dasharray="4 3"' if line.dash else ""
        parts.append(f'<line x1="{x:.1f}" y1="{_sy(0) - 12:.1f}" x2="{x + 18:.1f}" y2="{_sy(0) - 12:.1f}" '
                     f'stroke="{line.colour}" stroke-width="2"{dash}/><text x="{x + 22:.1f}" y="{_sy(0) - 8:.1f}">'
                     f'{html.escape(line.name)}</text>')
    return parts


def reliability(curves: Sequence[tuple[Line, np.ndarray]], *, title: str, x_title: str, y_title: str) -> str:
    """A reliability diagram: each curve's bins joined in order, a dot per bin sized by its rows, the diagonal.

    Parameters
    ----------
    curves : ``(line, counts)`` per curve: the bins' mean confidence (x) and accuracy (y), and the rows in each
        bin (each dot's area grows with them; leave empty bins out); a dashed line gets hollow dots
    title, x_title, y_title : text above the chart and on its axes

    Examples
    --------
    >>> line = Line(np.array([0.5, 0.9]), np.array([0.4, 0.95]), "#1f77b4", "model")
    >>> svg = reliability([(line, np.array([10, 90]))], title="t", x_title="x", y_title="y")
    >>> svg.count("<circle")
    2
    """
    parts = _frame(x_title, y_title)
    parts.append(f'<line x1="{_sx(0):.1f}" y1="{_sy(0):.1f}" x2="{_sx(1):.1f}" y2="{_sy(1):.1f}" stroke="{AXIS}" '
                 'stroke-dasharray="2 3"/>')
    biggest = max((float(np.max(counts, initial=0)) for _, counts in curves), default=1.0) or 1.0
    for line, counts in curves:
        parts.append(_polyline(line))
        fill = "#fff" if line.dash else line.colour
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.5 + 5.5 * np.sqrt(count / biggest):.1f}" fill="{fill}" '
                  f'stroke="{line.colour}"/>' for x, y, count in zip(_sx(line.x), _sy(line.y), counts)]
    parts += _legend([line for line, _ in curves if line.name])
    return _document(WIDTH, title, title_x=MARGIN["left"], body="".join(parts))


def _nice_step(top: float) -> float:
    """A round tick step giving four to eight ticks from 0 to ``top``."""
    raw = top / 5 if top > 0 else 1.0
    power = 10 ** np.floor(np.log10(raw))
    return float(min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=10 * power))


def bars(groups: Sequence[str], series: dict[str, np.ndarray], *, colours: Sequence[str], title: str,
         y_title: str, errors: dict[str, np.ndarray] | None = None, fmt: str = ",.0f",
         ranges: dict[str, tuple[np.ndarray, np.ndarray]] | None = None, faint: np.ndarray | None = None) -> str:
    """An SVG bar chart: one cluster per group, one bar per series, optional +-error whiskers.

    Bars carry their value as a tooltip (``<title>``); the y axis spans 0 and every bar and whisker
    (negative values grow downwards from 0). A NaN value (a digit without images) draws no bar. Whiskers run
    ``errors`` either side of a bar, or from ``ranges``' low to high (an interval); ``faint`` groups (thin ones)
    are drawn pale.

    Examples
    --------
    >>> svg = bars(["0", "1"], {"train": np.array([5, 7])}, colours=["#1f77b4"], title="t", y_title="n")
    >>> svg.count("<title>")
    2
    """
    spans = {k: (series[k] - e, series[k] + e) for k, e in
             ((k, np.nan_to_num(np.asarray(v, dtype=float))) for k, v in (errors or {}).items())}
    spans.update({k: (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)) for k, (lo, hi) in
                  (ranges or {}).items()})
    top = max(float(np.nanmax(np.r_[0.0, v, spans[k][1] if k in spans else []])) for k, v in series.items())
    lowest = min(0.0, *(float(np.nanmin(np.r_[0.0, v, spans[k][0] if k in spans else []]))
                        for k, v in series.items()))
    step = _nice_step(top - lowest)
    ticks = np.arange(np.floor(lowest / step) * step, top + step, step)
    low, high = float(ticks[0]), float(max(ticks[-1], ticks[0] + step))
    left, right = MARGIN["left"] + 10, WIDTH * 2 - MARGIN["right"]
    plot_top, bottom = MARGIN["top"], HEIGHT - MARGIN["bottom"]

    def sy(value):
        return bottom - (np.asarray(value, dtype=float) - low) / (high - low) * (bottom - plot_top)

    slot = (right - left) / len(groups)
    width = slot * 0.8 / len(series)
    parts = [f'<line x1="{left}" y1="{float(sy(t)):.1f}" x2="{right}" y2="{float(sy(t)):.1f}" stroke="{GRID}"/>'
             f'<text x="{left - 6}" y="{float(sy(t)) + 4:.1f}" text-anchor="end">{format(t, fmt)}</text>'
             for t in ticks]
    for g, group in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        parts.append(f'<text x="{left + (g + 0.5) * slot:.1f}" y="{bottom + 16}" text-anchor="middle">'
                     f'{html.escape(str(group))}</text>')
        for i, (name, values) in enumerate(series.items()):
            x, value = x0 + i * width, float(values[g])
            if np.isnan(value):
                continue
            pale = ' fill-opacity="0.35"' if faint is not None and faint[g] else ""
            parts.append(f'<rect x="{x:.1f}" y="{float(min(sy(value), sy(0))):.1f}" width="{width * 0.92:.1f}" '
                         f'height="{float(abs(sy(0) - sy(value))):.1f}" fill="{colours[i]}"{pale}><title>'
                         f'{html.escape(name)} {html.escape(str(group))}: {format(value, fmt)}</title></rect>')
            if name in spans:
                middle = x + width * 0.46
                parts.append(f'<line x1="{middle:.1f}" y1="{float(sy(spans[name][0][g])):.1f}" x2="{middle:.1f}" '
                             f'y2="{float(sy(spans[name][1][g])):.1f}" stroke="{TEXT}"/>')
    for i, name in enumerate(series):
        x = right - 110 * (len(series) - i)
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colours[i]}"/>'
                     f'<text x="{x + 16}" y="18">{html.escape(name)}</text>')
    parts.append(_y_title((bottom + plot_top) / 2, y_title))
    frame = (f'<rect x="{left}" y="{plot_top}" width="{right - left}" height="{bottom - plot_top}" fill="none" '
             f'stroke="{AXIS}"/>')
    return _document(WIDTH * 2, title, title_x=left, body=frame + "".join(parts))
