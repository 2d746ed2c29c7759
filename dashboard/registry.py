"""The dashboard's pages, in navigation order.

Tests iterate :data:`PAGES`; the entry script turns them into ``st.Page`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

DASHBOARD_DIR = Path(__file__).resolve().parent


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
    PageDef("app_pages/errors.py", "Errors", ":material/grid_on:", "errors"),
    PageDef("app_pages/thresholds.py", "Thresholds", ":material/tune:", "thresholds"),
    PageDef("app_pages/draw.py", "Draw", ":material/draw:", "draw"),
]


def st_pages() -> list[st.Page]:
    """``st.Page`` objects for :data:`PAGES`; the first one is the default."""
    return [
        st.Page(str(page.path), title=page.title, icon=page.icon, url_path=page.url_path, default=i == 0)
        for i, page in enumerate(PAGES)
    ]
