"""Adapter around the Thresholds panel (``static/threshold_panel.js``, ``st.components.v2``, no iframe).

The panel holds the threshold slider, the operating point, the three charts
and the galleries of the images nearest the threshold. It receives a view's
whole :class:`core.analysis.operating_points.SliderTable` once, so a slider
step redraws in the browser at once (a Streamlit slider waits for a rerun).
Each step then tells the server its position, as a Streamlit slider does,
and the server answers with only the gallery images around it that the tab
does not hold yet. Tests patch :func:`show` alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from dashboard import components
from dashboard.components import sent

_COMPONENT = components.define("digit_lens_thresholds", script="threshold_panel.js",
                               styles=("clickable.css", "threshold_panel.css"))
#: Session-state key of what each view has sent this session: ``{view: set of gallery rows}``.
SENT_KEY = "thresholds_sent"
#: Slider positions either side of the current one whose gallery images travel with a step.
REACH = 3
#: Slider positions either side of the current one whose gallery images the tab must hold; when it lacks
#: some it sends its position (fewer than :data:`REACH`, so a step usually finds its images there).
NEAR = 1


def position(key: str, *, default: int, last: int) -> int:
    """The slider position the panel ``key`` reported, or ``default`` when it reported none or nonsense."""
    value = st.session_state.get(key)
    reported = value.get("position") if isinstance(value, Mapping) else None
    return reported if isinstance(reported, int) and 0 <= reported <= last else default


def unsent(view: str, rows: np.ndarray) -> list[int]:
    """Those of ``rows`` whose images this session has not sent to ``view`` yet; they count as sent now."""
    return sent.unsent(SENT_KEY, view, (int(r) for r in rows))


def needs_table(view: str) -> bool:
    """True until this session has sent ``view``'s table (see :func:`unsent`, which records it)."""
    return not sent.holds(SENT_KEY, view)


def show(*, key: str, view: str, table: dict | None, charts: list[str] | None, images: dict[int, str],
         position: int, text: dict) -> int | None:
    """Mount the panel of ``view``; ``table`` and ``charts`` may be None once sent, ``images`` maps a row to
    its gallery tile (:func:`dashboard.render.markup.tile_html`). Returns the test row of the tile clicked since
    the last run, else None.

    ``text`` holds ``label`` (the slider's), ``positive`` (the class name), ``detail`` (said after the
    threshold), the gallery headings ``fpTitle`` and ``fnTitle``, and the markup the tab fills in: ``metrics``
    (:func:`dashboard.render.markup.operating_point_html` with empty slots), ``grid`` (a gallery's style) and
    ``placeholder`` (the tile of an image on its way, :data:`dashboard.render.markup.ROW` for its row).
    """
    data = {"view": view, "table": table, "charts": charts, "images": {str(r): v for r, v in images.items()},
            "position": position, "near": NEAR, "text": text}
    result = _COMPONENT(key=key, data=data, default={"position": position}, on_position_change=lambda: None,
                        on_picked_change=lambda: None, on_missing_change=lambda: _forget(view, key))
    row = result.get("picked")
    return int(row) if isinstance(row, (int, float)) else None


def _forget(view: str, key: str) -> None:
    """The tab lacks ``view``'s table (``True``) or some gallery rows (a list): send them again."""
    value = st.session_state.get(key)
    missing = value.get("missing") if isinstance(value, Mapping) else None
    if missing is True:
        sent.forget(SENT_KEY, view)
    elif isinstance(missing, list):
        sent.forget(SENT_KEY, view, [r for r in missing if isinstance(r, int)])
