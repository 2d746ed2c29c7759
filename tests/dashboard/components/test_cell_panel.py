"""The Errors page's matrix panel: what the tab is sent, once, and what a click reports."""

from __future__ import annotations

import re

import numpy as np
import pytest
import streamlit as st
from sklearn.metrics import confusion_matrix

from core.artifacts import open_artifacts
from dashboard.components import cell_panel, sent
from dashboard import session
from tests.dashboard.apptest import assert_clean, open_app
from tests.dashboard.conftest import CELL, PAGE, PANEL

KEY = "errors_matrix"


def _counts(artifact_dir) -> np.ndarray:
    pred = open_artifacts(artifact_dir).predictions("rf")
    return confusion_matrix(pred.y_true, pred.y_pred, labels=range(10))


def _heading_count(markup: str) -> tuple[int, int, int]:
    true, predicted, n = re.search(r"True (\d) → predicted (\d): (\d+) images", markup).groups()
    return int(true), int(predicted), int(n)


def test_the_tab_gets_the_likeliest_cells_ahead_once_and_a_held_cell_costs_no_page(monkeypatch, artifact_dir):
    counts = _counts(artifact_dir)
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py", state={session.FOCUS: "rf"})
    last = at.session_state[PANEL + KEY]["last"]
    assert last["pages"] == {} and not last["ahead"] and last["selected"] is None and "data-cell" in last["matrix"]

    at.session_state[KEY] = {"ahead": True}
    at.run()
    assert_clean(at)
    last = at.session_state[PANEL + KEY]["last"]
    assert last["ahead"] and last["matrix"] is None
    cells = [divmod(int(key.split(":")[0]), 10) for key in last["pages"]]
    assert all(key.endswith(":1") for key in last["pages"])
    mistakes = [(t, p) for t, p in zip(*np.nonzero(counts)) if t != p]
    first = sorted(mistakes, key=lambda c: (-counts[c], c))
    assert cells[:len(first)] == first[:len(cells)], "the mistakes go first, largest first"
    assert sum(len(markup) for markup in last["pages"].values()) <= cell_panel.AHEAD_CHARS
    for key, markup in last["pages"].items():
        true, predicted = divmod(int(key.split(":")[0]), 10)
        assert _heading_count(markup) == (true, predicted, counts[true, predicted])
        assert len(re.findall(r'alt="test image \d+"', markup)) == min(counts[true, predicted], 18)
    at.run()
    assert at.session_state[PANEL + KEY]["last"]["pages"] == {}, "nothing is sent twice"

    true, predicted = cells[0]
    at.session_state[CELL + KEY] = true * 10 + predicted
    at.run()
    assert_clean(at)
    last = at.session_state[PANEL + KEY]["last"]
    assert (last["selected"], last["page"], last["pages"]) == (true * 10 + predicted, 1, {})
    assert at.query_params["cell"] == f"{true}-{predicted}"
    assert last["answered"] > 0, "Python echoes the click's stamp"


def test_a_page_the_tab_lacks_is_sent_alone_and_a_cell_reopens_where_it_was_left(monkeypatch, artifact_dir):
    counts = _counts(artifact_dir)
    big = int(np.argmax(np.diag(counts)))
    assert counts[big, big] > 18
    at = open_app(monkeypatch, artifact_dir, "app_pages/errors.py")
    at.selectbox(key="errors_model_pick").set_value("rf").run()
    at.session_state[CELL + KEY] = big * 11
    at.run()
    assert list(at.session_state[PANEL + KEY]["last"]["pages"]) == [f"{big * 11}:1"]
    at.session_state[PAGE + KEY] = 2
    at.run()
    assert_clean(at)
    last = at.session_state[PANEL + KEY]["last"]
    assert list(last["pages"]) == [f"{big * 11}:2"] and last["page"] == 2
    assert "Page 2 of" in last["pages"][f"{big * 11}:2"]
    at.session_state[CELL + KEY] = 0 * 10 + 1 if big else 1 * 10 + 0
    at.run()
    at.session_state[CELL + KEY] = big * 11
    at.run()
    last = at.session_state[PANEL + KEY]["last"]
    assert (last["page"], last["pages"]) == (2, {}), "a cell reopens at the page it was left on, already sent"


@pytest.fixture
def bare_session():
    for key in list(st.session_state):
        del st.session_state[key]


@pytest.mark.parametrize("reported, expected", [({"select": [23, 2, 5.0]}, (23, 2, 5.0)),
                                                ({"select": [23, 1, 7]}, (23, 1, 7.0)),
                                                ({"select": [100, 1, 5.0]}, None), ({"select": [-1, 1, 5]}, None),
                                                ({"select": [23, 0, 5]}, None), ({"select": ["23", 1, 5]}, None),
                                                ({"select": [23, 1]}, None), ({"select": 23}, None), ("23", None),
                                                (None, None)])
def test_a_reported_selection_outside_the_matrix_is_ignored(bare_session, reported, expected):
    st.session_state["panel"] = reported
    assert cell_panel.selection("panel", n_cells=100) == expected


def test_the_tab_losing_a_view_makes_python_send_it_again(bare_session):
    view = "set/rf"
    assert cell_panel.unsent(view, ["3:1", "4:1"]) == ["3:1", "4:1"]
    assert cell_panel.matrix_unsent("set/rf/counts/mistakes")
    assert not cell_panel.matrix_unsent("set/rf/counts/mistakes")
    st.session_state["panel"] = {"ahead": True}
    assert cell_panel.ahead_wanted("panel", view) and not cell_panel.ahead_wanted("panel", view)
    assert cell_panel.holds_ahead(view)
    cell_panel._forget(view, "set/rf/counts/mistakes")
    assert not sent.holds(cell_panel.SENT_KEY, view) and not cell_panel.holds_ahead(view)
    assert cell_panel.unsent(view, ["3:1"]) == ["3:1"] and cell_panel.matrix_unsent("set/rf/counts/mistakes")
