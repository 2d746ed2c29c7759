"""Fixtures for AppTest runs of the dashboard against a real, small artifact set."""

from __future__ import annotations

import pytest
import streamlit as st

from tests.dashboard.artifact_set import build_ablation_set, build_small_set


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory):
    """Folder holding the small artifact set (shared with the browser tests of the same session)."""
    return build_small_set(tmp_path_factory.getbasetemp() / "dashboard-artifacts")


@pytest.fixture(scope="session")
def ablation_dir(tmp_path_factory):
    """Digits artifacts with four ablation steps and a ``tuning.json`` written by ``core.models.tuning``."""
    return build_ablation_set(tmp_path_factory.getbasetemp() / "dashboard-ablation")


#: Session-state key prefix a test sets to click a tile of the clickable element with that key.
CLICK = "_test_click_"


@pytest.fixture(autouse=True)
def clickable_as_html(monkeypatch):
    """AppTest cannot render custom components: the clickable element becomes ``st.html`` (so tests read its
    markup), and a test clicks its tile ``row`` by setting ``at.session_state[CLICK + key] = row``."""
    from dashboard import clickable

    def clicked(html: str, *, key: str):
        st.html(html)
        return st.session_state.pop(CLICK + key, None)

    monkeypatch.setattr(clickable, "clicked", clicked)


@pytest.fixture(autouse=True)
def fresh_caches():
    """Every AppTest starts from empty Streamlit caches, as a newly started server does."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
