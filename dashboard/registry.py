"""The dashboard's pages, in navigation order.

Tests iterate :data:`PAGES`; the entry script turns them into ``st.Page`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

DASHBOARD_DIR = Path(__file__).resolve().parent
#: URL path of the hidden start page (the app's root URL serves it).
START_PATH = "start"


@dataclass(frozen=True)
class PageDef:
    """One page: its script under ``app_pages/``, title, icon and URL path."""

    script: str
    title: str
    icon: str
    url_path: str

    @property
    def path(self) -> Path:
        """Absolute path of the page script."""
        return DASHBOARD_DIR / self.script


PAGES: list[PageDef] = [
    PageDef("app_pages/data.py", "Data", ":material/dataset:", "data"),
    PageDef("app_pages/models.py", "Models", ":material/leaderboard:", "models"),
    PageDef("app_pages/calibration.py", "Calibration", ":material/balance:", "calibration"),
    PageDef("app_pages/robustness.py", "Robustness", ":material/rotate_right:", "robustness"),
    PageDef("app_pages/errors.py", "Errors", ":material/grid_on:", "errors"),
    PageDef("app_pages/explore.py", "Explore", ":material/scatter_plot:", "explore"),
    PageDef("app_pages/labels.py", "Labels", ":material/label:", "labels"),
    PageDef("app_pages/slices.py", "Slices", ":material/pie_chart:", "slices"),
    PageDef("app_pages/thresholds.py", "Thresholds", ":material/tune:", "thresholds"),
    PageDef("app_pages/draw.py", "Draw", ":material/draw:", "draw"),
    PageDef("app_pages/concepts.py", "Concepts", ":material/school:", "concepts"),
]


def st_pages() -> list[st.Page]:
    """``st.Page`` objects for :data:`PAGES`, after a hidden start page that opens the first of them.

    Streamlit serves its default page at ``/`` only, whatever its ``url_path``,
    so a default Data page would answer "Page not found" at ``/data``. The
    hidden default page at ``/`` switches to the Data page instead, which then
    lives at ``/data`` like every other page at its own path.
    """
    pages = [st.Page(str(page.path), title=page.title, icon=page.icon, url_path=page.url_path) for page in PAGES]

    def start() -> None:
        st.switch_page(pages[0])

    return [st.Page(start, title=PAGES[0].title, icon=PAGES[0].icon, url_path=START_PATH, default=True,
                    visibility="hidden"), *pages]
