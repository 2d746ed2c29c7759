"""Confusion matrices as one clickable HTML table (shown by :mod:`dashboard.components.clickable`).

A cell carries ``data-cell`` ``true * n + predicted``. A table is about
10 KB, needs no plotly serialisation on the server (which took longer than the
rest of a click's rerun) and no plotly event round trip in the browser, and a
click reaches Python as one number.
"""

from __future__ import annotations

import html

import numpy as np

#: The colour of the largest coloured cell; others fade to white with their value.
FULL = (91, 155, 213)
#: Cells left out of the colour scale (the diagonal when it is hidden).
MUTED = "#e8e8e8"


def table_html(text, styles, titles, *, class_names, selected: tuple[int, int] | None, corner: str) -> str:
    """An ``n x n`` table of ``text`` cells with inline ``styles`` and hover ``titles`` (all ``(n, n)``).

    Examples
    --------
    >>> markup = table_html([["1", "0"], ["2", "3"]], [[""] * 2] * 2, [["a", "b"], ["c", "d"]],
    ...                     class_names=["x", "y"], selected=(1, 0), corner="true / predicted")
    >>> markup.count('data-cell="'), 'data-cell="2"' in markup
    (4, True)
    """
    n = len(class_names)
    pad = "padding:2px 3px"
    head = "".join(f'<th style="{pad}">{html.escape(str(c))}</th>' for c in class_names)
    rows = []
    for t in range(n):
        cells = "".join(
            f'<td data-cell="{t * n + p}" tabindex="0" role="button" title="{html.escape(titles[t][p])}" '
            f'style="text-align:center;min-width:2.6em;{pad};{styles[t][p]}'
            f'{";outline:2px solid #333" if selected == (t, p) else ""}">{html.escape(text[t][p])}</td>'
            for p in range(n))
        rows.append(f'<tr><th style="{pad}">{html.escape(str(class_names[t]))}</th>{cells}</tr>')
    return ('<div style="overflow-x:auto"><table style="border-collapse:separate;border-spacing:2px;font-size:0.8rem">'
            f'<tr><th style="{pad};font-weight:400">{html.escape(corner)}</th>{head}</tr>{"".join(rows)}</table></div>')


def cell_at(index: int, n: int) -> tuple[int, int] | None:
    """The (true, predicted) cell a clicked ``data-cell`` names in an ``n x n`` table, None outside it.

    Examples
    --------
    >>> cell_at(23, 10), cell_at(100, 10)
    ((2, 3), None)
    """
    return divmod(index, n) if 0 <= index < n * n else None


def shade(value: float, top: float) -> str:
    """Background (and text colour) of a cell holding ``value`` on a scale whose largest value is ``top``."""
    level = 0.0 if top <= 0 else min(max(value / top, 0.0), 1.0)
    r, g, b = (round(255 + (c - 255) * level) for c in FULL)
    return f"background:rgb({r},{g},{b}){';color:#fff' if level > 0.7 else ''}"


def confusion_html(shown: np.ndarray, counts: np.ndarray, *, class_names, show_diagonal: bool) -> str:
    """The confusion matrix ``shown`` (counts or row shares) as a clickable table; ``counts`` for the titles.

    When ``show_diagonal`` is false the diagonal is greyed and left out of the colour scale, so the
    mistakes stand out.
    """
    n = len(class_names)
    shown = np.asarray(shown)
    is_share = not np.issubdtype(shown.dtype, np.integer)
    coloured = np.ones((n, n), dtype=bool) if show_diagonal else ~np.eye(n, dtype=bool)
    top = float(shown[coloured].max()) if coloured.any() else 0.0
    names = [str(c) for c in class_names]
    text = [[(f"{shown[t, p]:.2f}".lstrip("0") if is_share else f"{int(shown[t, p])}") for p in range(n)]
            for t in range(n)]
    styles = [[shade(float(shown[t, p]), top) if coloured[t, p] else f"background:{MUTED};color:#666"
               for p in range(n)] for t in range(n)]
    titles = [[f"true {names[t]} → predicted {names[p]}: {int(counts[t, p]):,} images" for p in range(n)]
              for t in range(n)]
    return table_html(text, styles, titles, class_names=names, selected=None, corner="true ↓ pred. →")
