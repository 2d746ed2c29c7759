"""The dashboard's colours, one definition each, for Python's charts and the components' payloads."""

from __future__ import annotations

import numpy as np
from plotly.colors import sample_colorscale

#: A mistake, a point of interest, a loss: the one red.
MISTAKE = "#d62728"
#: A right answer, a gain, and what is neither.
RIGHT_ANSWER, GAIN, NEUTRAL = "#2a7", "#2ca02c", "#7f7f7f"
#: Grey for a right answer on the map (mistakes stand out in MISTAKE).
RIGHT = "#b8b8b8"
#: One colour per class or series.
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
           MISTAKE]


def map_palette(by: str, class_names) -> tuple[list[str], list[tuple[str, str]]]:
    """Colour of every colour value of :func:`core.analysis.map_selection.colour_values` and the legend entries
    for ``by``.

    Examples
    --------
    >>> colours, legend = map_palette("outcome", ["0", "1"])
    >>> colours == [RIGHT, MISTAKE], legend[1][0]
    (True, 'wrong (drawn larger)')
    """
    if by in ("true", "predicted"):
        colours = [PALETTE[i % len(PALETTE)] for i in range(len(class_names))]
        return colours, [(str(name), colour) for name, colour in zip(class_names, colours)]
    if by == "outcome":
        return [RIGHT, MISTAKE], [("right", RIGHT), ("wrong (drawn larger)", MISTAKE)]
    colours = sample_colorscale("Viridis", list(np.linspace(0, 1, 101)))
    return colours, [(f"confidence {p}%", colours[p]) for p in (0, 25, 50, 75, 100)]
