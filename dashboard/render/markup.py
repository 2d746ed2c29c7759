"""HTML the pages and panels show as one element: galleries, pagers, notes, tables (pure: no Streamlit).

Every outside string is escaped here, so the markup can go through
:func:`dashboard.components.clickable.html_block` unsanitised.
"""

from __future__ import annotations

import base64
import html

import numpy as np
import pandas as pd

from core.analysis import answers, gallery


GALLERY_PIXELS = 84


def svg_row_html(charts: list[str], *, alts: list[str]) -> str:
    """SVG charts side by side in equal columns.

    Each SVG travels as an ``<img>`` data URL: ``st.html`` sanitises inline SVG away.
    """
    images = "".join(f'<img src="data:image/svg+xml;base64,{base64.b64encode(chart.encode()).decode("ascii")}" '
                     f'style="width:100%" alt="{html.escape(alt)}">' for chart, alt in zip(charts, alts))
    return (f'<div style="display:grid;grid-template-columns:repeat({len(charts)},minmax(0,1fr));gap:16px">'
            f'{images}</div>')


#: The operating point's figures: slot name and label (the count of images called positive is labelled in
#: :func:`operating_point_html`).
OPERATING_POINT = (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"), ("fpr", "False positive rate"))


def operating_point_html(positive: str, at=None) -> str:
    """Precision, recall, F1, false-positive rate and the one-vs-rest counts at a threshold, as HTML; each value
    sits in a ``data-m`` slot. With ``at`` (a :class:`core.analysis.thresholds.BinaryCounts`) the slots are
    filled here; without, the Thresholds panel's tab fills them on every slider step (five metrics and a chart
    would be six elements for the browser to redraw).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> at = SimpleNamespace(tp=8, fp=2, fn=2, tn=88, precision=0.8, recall=0.8, f1=0.8, fpr=2 / 90)
    >>> markup = operating_point_html("5", at)
    >>> '<b data-m="precision" ' in markup and '>0.800</b>' in markup, '<td data-m="tn">88</td>' in markup
    (True, True)
    """
    name = html.escape(positive)
    values = {} if at is None else {"precision": f"{at.precision:.3f}", "recall": f"{at.recall:.3f}",
                                    "f1": f"{at.f1:.3f}", "fpr": f"{at.fpr:.4f}", "called": f"{at.tp + at.fp:,}",
                                    **{k: f"{getattr(at, k):,}" for k in ("tp", "fn", "fp", "tn")}}
    big = "display:block;font-size:2rem;font-weight:400"
    metrics = "".join(f'<div style="font-size:0.875rem">{label}<b data-m="{slot}" style="{big}">'
                      f'{values.get(slot, "")}</b></div>'
                      for slot, label in (*OPERATING_POINT, ("called", f"Called '{name}'")))

    def cell(slot: str) -> str:
        return f'<td data-m="{slot}">{values.get(slot, "")}</td>'

    counts = (f'<table style="font-size:0.85rem"><tr><th></th><th>called \'{name}\'</th><th>not</th></tr>'
              f'<tr><th>is \'{name}\'</th>{cell("tp")}{cell("fn")}</tr>'
              f'<tr><th>is not</th>{cell("fp")}{cell("tn")}</tr></table>')
    return (f'<div style="display:grid;grid-template-columns:repeat(5,1fr) 1.6fr;gap:12px;align-items:start">'
            f'{metrics}{counts}</div>')


def votes_html(votes: answers.Votes, *, titles: dict[str, str]) -> str:
    """Every model's answer and its probability for every digit, as one HTML table.

    One element instead of a data grid and a heatmap chart: a drawn stroke
    redraws a table, not a chart (``bench/browser.py``). Cells are shaded by
    probability; probabilities under 0.5% are left blank so the ones that
    matter stand out; every percentage is written by :func:`core.analysis.gallery.percent`.
    """
    digits = list(votes.probabilities.columns)
    head = "".join(f"<th>{html.escape(str(d))}</th>" for d in digits)
    rows = []
    for name, probs in votes.probabilities.iterrows():
        answer = votes.summary.loc[name]
        cells = "".join(
            f'<td style="background:rgba(51,85,204,{p:.2f});color:{"#fff" if p > 0.55 else "#222"}">'
            f'{html.escape(gallery.percent(p)) if p >= 0.005 else ""}</td>' for p in probs.to_numpy(dtype=float))
        rows.append(f'<tr><th style="text-align:left">{html.escape(titles.get(name, name))}</th>'
                    f'<td data-model="{html.escape(name)}"><b>{html.escape(answer["predicted"])}</b></td>'
                    f'<td>{html.escape(gallery.percent(float(answer["confidence"])))}</td>{cells}</tr>')
    return ('<table style="font-size:0.8rem;border-collapse:collapse;text-align:center;width:100%">'
            f'<tr><th style="text-align:left">model</th><th>says</th><th>confidence</th>{head}</tr>'
            f'{"".join(rows)}</table>')


def note_html(markup: str, *, good: bool) -> str:
    """A one-line verdict in a green (``good``) or amber box, as ``st.success``/``st.warning`` draw it, for
    views that send one HTML element (``markup`` is HTML)."""
    return _box(markup, ("#e8f6ec", "#1d6b35") if good else ("#fff6dd", "#7a5a00"), role="status")


def info_html(markup: str) -> str:
    """:func:`note_html`'s blue box, as ``st.info`` draws it (``markup`` is HTML)."""
    return _box(markup, ("#e8f0fb", "#1c4e8a"), role="note")


def error_html(markup: str) -> str:
    """:func:`note_html`'s red box, as ``st.error`` draws it (``markup`` is HTML)."""
    return _box(markup, ("#fdecea", "#9b1c1c"), role="alert")


def _box(markup: str, colours: tuple[str, str], *, role: str) -> str:
    return (f'<div role="{role}" style="background:{colours[0]};color:{colours[1]};border-radius:8px;'
            f'padding:0.6rem 1rem;margin-bottom:0.75rem">{markup}</div>')


def colour_map(values: np.ndarray, *, high: float, stops: list[str]) -> np.ndarray:
    """Values from 0 to ``high`` as an RGB uint8 image through a colour scale given by its hex stops."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in stops], dtype=np.float64)
    position = np.clip(np.asarray(values, dtype=np.float64) / (high or 1.0), 0, 1) * (len(stops) - 1)
    low = np.minimum(position.astype(int), len(stops) - 2)
    t = (position - low)[..., None]
    return np.round(rgb[low] * (1 - t) + rgb[low + 1] * t).astype(np.uint8)


def tile_html(src: str | None, caption: str, alt: str, *, pixels: int = GALLERY_PIXELS,
              index: int | None = None) -> str:
    """One gallery tile: an image (a ``data:`` URL at its own size, enlarged without smoothing) and its HTML
    caption; ``src`` None draws a grey square while the image is on its way. With ``index`` the tile carries
    ``data-index`` and can be focused, for :func:`dashboard.components.clickable.clicked`. The Thresholds panel's
    tab inserts these very tiles (:data:`ROW` in a placeholder tile stands for its row).

    Examples
    --------
    >>> tile_html(None, "#7", "test image 7", index=7).count('data-index="7"')
    1
    """
    mark = "" if index is None else f' data-index="{int(index)}" tabindex="0" role="button"'
    picture = (f'<img src="{src}" width="{pixels}" height="{pixels}" style="image-rendering:pixelated" '
               f'alt="{html.escape(alt)}">' if src is not None else
               f'<div style="width:{pixels}px;height:{pixels}px;background:#eee" aria-label="{html.escape(alt)}, '
               'loading"></div>')
    return (f'<figure style="margin:0"{mark}>{picture}'
            f'<figcaption style="font-size:0.8rem;color:#555">{caption}</figcaption></figure>')


#: The row number in a placeholder tile the tab fills in (see :func:`tile_html`).
ROW = "{row}"


def tiles_html(sources: list[str], captions: list[str], alts: list[str], *, columns: int = 6,
               pixels: int = GALLERY_PIXELS, indexes=None) -> str:
    """Images (``data:`` URLs, see :func:`dashboard.cache.test_images`) in a grid of :func:`tile_html` tiles.

    Each image travels at its own size (a 28x28 PNG is ~300 bytes) and the
    browser enlarges it without smoothing (``image-rendering: pixelated``), so
    a page of 18 images costs one element of a few KiB, not 54 elements.
    """
    marks = list(indexes) if indexes is not None else [None] * len(sources)
    figures = [tile_html(src, caption, alt, pixels=pixels, index=mark)
               for src, caption, alt, mark in zip(sources, captions, alts, marks)]
    return grid_html(figures, columns=columns)


def swatches_html(entries: list[tuple[str, str]]) -> str:
    """A legend of ``(name, colour)`` entries in a row: a coloured bar and the escaped name each.

    Examples
    --------
    >>> swatches_html([("rf", "#1f77b4")]).count("#1f77b4")
    1
    """
    items = "".join(f'<span style="margin-right:14px;white-space:nowrap"><span style="display:inline-block;'
                    f'width:18px;height:3px;background:{colour};vertical-align:middle;margin-right:5px"></span>'
                    f'{html.escape(name)}</span>' for name, colour in entries)
    return f'<p style="font-size:0.85rem;margin:0 0 0.5rem">{items}</p>'


def grid_html(figures: list[str], *, columns: int = 6) -> str:
    """Tiles in ``columns`` equal columns (the Thresholds panel's galleries carry the same style)."""
    return f'<div style="{GRID_STYLE.format(columns=columns)}">{"".join(figures)}</div>'


#: The style of a gallery's grid of tiles.
GRID_STYLE = "display:grid;grid-template-columns:repeat({columns},minmax(0,1fr));gap:12px"


#: The caption mark of an image whose label cleanlab doubts (see the Labels page).
LABEL_BADGE = ('<span style="background:#fde2b8;color:#8a4b00;border-radius:3px;padding:0 3px;font-size:0.7rem" '
               'title="cleanlab doubts this label (Labels page)">label?</span>')


def pager_html(page: int, n_pages: int) -> str:
    """First, previous, next and last buttons (``data-page``, for :func:`dashboard.components.clickable.clicked`) around
    page ``page`` of ``n_pages``; empty for a single page.

    Examples
    --------
    >>> 'data-page="2"' in pager_html(1, 3), 'data-page="3"' in pager_html(1, 3), 'data-page="1"' in pager_html(1, 3)
    (True, True, False)
    """
    if n_pages <= 1:
        return ""

    def button(target: int, label: str, symbol: str) -> str:
        if 1 <= target <= n_pages and target != page:
            return f'<button type="button" data-page="{target}" aria-label="{label}">{symbol}</button>'
        return f'<button type="button" disabled aria-label="{label}">{symbol}</button>'

    return (f'<nav class="dl-pager" aria-label="gallery pages">{button(1, "First page", "«")}'
            f'{button(page - 1, "Previous page", "‹")}<span>{page} / {n_pages}</span>'
            f'{button(page + 1, "Next page", "›")}{button(n_pages, "Last page", "»")}</nav>')


def gallery_html(sources: list[str], captions: pd.DataFrame, *, columns: int = 6, flagged=frozenset()) -> str:
    """Clickable test images captioned from the columns ``index``, ``true``, ``predicted``, ``confidence``,
    ``top`` (see :func:`core.analysis.gallery.gallery`); rows in ``flagged`` carry :data:`LABEL_BADGE`."""
    text = [f'{LABEL_BADGE + " " if row.index in flagged else ""}#{row.index} · true <b>{html.escape(row.true)}</b> '
            f'→ <b>{html.escape(row.predicted)}</b> ({html.escape(gallery.percent(row.confidence))})<br>'
            f'top-3: {html.escape(row.top)}' for row in captions.itertuples(index=False)]
    return tiles_html(sources, text, [f"test image {i}" for i in captions["index"]], columns=columns,
                      indexes=captions["index"])


def pairwise_html(pairs: pd.DataFrame, *, order: list[str], titles: dict[str, str], alpha: float) -> str:
    """The McNemar matrix: a row and a column per model of ``order``; the cell of row A and column B reads
    "A right where B is wrong vs the reverse" and the Holm-corrected p-value, shaded where it is below ``alpha``.

    ``pairs`` is :func:`core.analysis.significance.pairwise` over ``order`` (each pair once, either way round).

    Examples
    --------
    >>> pairs = pd.DataFrame({"a": ["x"], "b": ["y"], "only_a": [8], "only_b": [2], "p": [0.109], "p_holm": [0.109],
    ...                       "verdict": ["not significant at 5%: 8 vs 2 images"]})
    >>> table = pairwise_html(pairs, order=["x", "y"], titles={"x": "X", "y": "Y"}, alpha=0.05)
    >>> 'data-pair="x|y"' in table and '>8 vs 2<' in table and '>2 vs 8<' in table
    True
    """
    found = {}
    for row in pairs.itertuples():
        found[(row.a, row.b)] = (row.only_a, row.only_b, row.p_holm)
        found[(row.b, row.a)] = (row.only_b, row.only_a, row.p_holm)
    head = "".join(f"<th>{html.escape(titles[name])}</th>" for name in order)
    rows = []
    for a in order:
        cells = []
        for b in order:
            if (a, b) not in found:
                cells.append('<td style="color:#aaa">–</td>')
                continue
            only_a, only_b, p = found[(a, b)]
            shade = "background:#e8f6ec;" if p < alpha else ""
            tip = html.escape(f"{titles[a]} right and {titles[b]} wrong on {only_a:,} images, the reverse on "
                              f"{only_b:,}; Holm-corrected p = {p:.3g}")
            cells.append(f'<td data-pair="{html.escape(a)}|{html.escape(b)}" title="{tip}" style="{shade}">'
                         f'<span>{only_a:,} vs {only_b:,}</span><br><small>p {_p_text(p)}</small></td>')
        rows.append(f'<tr><th style="text-align:left">{html.escape(titles[a])}</th>{"".join(cells)}</tr>')
    return ('<table style="font-size:0.8rem;border-collapse:collapse;text-align:center;width:100%">'
            f'<tr><th style="text-align:left">A \\ B</th>{head}</tr>{"".join(rows)}</table>')


def _p_text(p: float) -> str:
    """A p-value as people read it: ``< 0.001`` below a thousandth, else three significant digits."""
    return "&lt; 0.001" if p < 0.001 else f"{p:.3g}"
