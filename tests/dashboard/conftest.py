"""Fixtures for AppTest runs of the dashboard against a real, small artifact set."""

from __future__ import annotations

import time
import tomllib

import pytest
import streamlit as st
from streamlit import config

from dashboard import registry
from tests.dashboard.artifact_set import build_ablation_set, build_small_set


@pytest.fixture(scope="session", autouse=True)
def app_config():
    """The options of ``dashboard/.streamlit/config.toml``, which ``streamlit run`` reads beside the main script
    and AppTest does not."""
    settings = tomllib.loads((registry.DASHBOARD_DIR / ".streamlit" / "config.toml").read_text())
    before = {}
    for section, options in settings.items():
        for name, value in options.items():
            key = f"{section}.{name}"
            before[key] = config.get_option(key)
            config.set_option(key, value)
    yield settings
    for key, value in before.items():
        config.set_option(key, value)


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory):
    """Folder holding the small artifact set (shared with the browser tests of the same session)."""
    return build_small_set(tmp_path_factory.getbasetemp() / "dashboard-artifacts")


@pytest.fixture(scope="session")
def ablation_dir(tmp_path_factory):
    """Digits artifacts with four ablation steps and a ``tuning.json`` written by ``core.models.tuning``."""
    return build_ablation_set(tmp_path_factory.getbasetemp() / "dashboard-ablation")


#: Session-state key prefixes a test sets to click a tile (``data-index``), a matrix cell (``data-cell``) or a
#: pager button (``data-page``) of the clickable element with that key.
CLICK, CELL, PAGE = "_test_click_", "_test_cell_", "_test_page_"


@pytest.fixture(autouse=True)
def clickable_as_html(monkeypatch):
    """AppTest cannot render custom components: the clickable element becomes ``st.html`` (so tests read its
    markup), and a test clicks by setting ``at.session_state[CLICK + key] = row`` (or ``CELL``, ``PAGE``). A
    click with a handler runs it and then the app again, as a real click runs it before the rerun."""
    from dashboard.components import clickable

    def clicked(html: str, *, key: str, on_click=None, on_cell=None, on_page=None):
        st.html(html)
        for prefix, handler in ((CLICK, on_click), (CELL, on_cell), (PAGE, on_page)):
            if handler is not None and (value := st.session_state.pop(prefix + key, None)) is not None:
                handler(value)
                st.rerun()
        return st.session_state.pop(CLICK + key, None)

    monkeypatch.setattr(clickable, "clicked", clicked)
    monkeypatch.setattr(clickable, "html_block", lambda html, *, key: st.html(html))


@pytest.fixture(autouse=True)
def fresh_caches():
    """Every AppTest starts from empty Streamlit caches, as a newly started server does."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


#: Session-state key prefix a test sets to a PNG data URL to "draw" it on the canvas with that key.
DRAW = "_test_draw_"


@pytest.fixture(autouse=True)
def canvas_from_session_state(monkeypatch):
    """AppTest cannot run the drawing component: a test draws by setting ``at.session_state[DRAW + key]``
    to the PNG data URL the component would send, which goes through the real decoding; what the page puts
    beside the canvas is shown as ``st.html``."""
    from core.data.pictures import drawing_to_rgba
    from dashboard.components import canvas

    def drawing(key: str):
        sent = st.session_state.get(DRAW + key)
        return None if sent is None else drawing_to_rgba(sent)

    def show(key: str, *, caption: str = "", beside: str | None = None, **_):
        if beside is not None:
            st.html(beside)

    monkeypatch.setattr(canvas, "drawing", drawing)
    monkeypatch.setattr(canvas, "show", show)


#: Session-state key prefix under which the Thresholds panel with that key leaves what it was sent.
PANEL = "_test_panel_"


@pytest.fixture(autouse=True)
def threshold_panel_in_session_state(monkeypatch):
    """AppTest cannot run the Thresholds panel: ``at.session_state[PANEL + key]`` holds what the tab would
    (the last ``table`` and ``charts`` sent, every image sent, the last ``position`` and ``text``) and, under
    ``"last"``, what the last run sent. A test moves the slider by setting ``at.session_state[key] =
    {"position": p}`` and clicks tile ``row`` with ``at.session_state[CLICK + key]``."""
    from dashboard.components import threshold_panel

    def show(*, key: str, **sent):
        held = st.session_state.get(PANEL + key, {"images": {}})
        st.session_state[PANEL + key] = {**sent, "last": sent, "images": {**held["images"], **sent["images"]},
                                         **{k: sent[k] or held.get(k) for k in ("table", "charts")}}
        return st.session_state.pop(CLICK + key, None)

    monkeypatch.setattr(threshold_panel, "show", show)


@pytest.fixture(autouse=True)
def cell_panel_as_html(monkeypatch):
    """AppTest cannot run the Errors page's matrix panel: it becomes ``st.html`` of what the tab would show (the
    matrix with the selected cell ``aria-pressed``, and that cell's page or the hint), and
    ``at.session_state[PANEL + key]`` holds what the tab was sent (``"last"``: the last run's payload;
    ``"pages"`` and ``"matrices"``: all of them; ``"at"``: the page each cell was last shown at). A test clicks
    cell ``c`` with ``at.session_state[CELL + key] = c`` (shown at the page it was left on, as the tab does), a
    pager button with ``PAGE + key`` and a tile with ``CLICK + key``."""
    from dashboard.components import cell_panel

    def show(*, key: str, on_select, **sent):
        held = st.session_state.get(PANEL + key, {"pages": {}, "matrices": {}, "at": {}})
        pages = {**held["pages"], **sent["pages"]}
        matrices = {**held["matrices"], **({sent["matrix_key"]: sent["matrix"]} if sent["matrix"] else {})}
        selected, matrix = sent["selected"], matrices[sent["matrix_key"]]
        shown_at = {**held["at"], **({} if selected is None else {selected: sent["page"]})}
        st.session_state[PANEL + key] = {"last": sent, "pages": pages, "matrices": matrices, "at": shown_at}
        if selected is not None:
            matrix = matrix.replace(f'data-cell="{selected}"', f'data-cell="{selected}" aria-pressed="true"')
        st.html(matrix + (sent["hint"] if selected is None else pages[cell_panel.page_key(selected, sent["page"])]))
        for prefix in (CELL, PAGE):
            if (value := st.session_state.pop(prefix + key, None)) is not None:
                cell, page = (value, shown_at.get(value, 1)) if prefix == CELL else (selected, value)
                st.session_state[key] = {"select": [cell, page, time.time()]}
                on_select()
                st.rerun()
        return st.session_state.pop(CLICK + key, None)

    monkeypatch.setattr(cell_panel, "show", show)
