"""The Thresholds panel's adapter: what the tab receives, and what a session remembers having sent."""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st

from core.analysis import evaluation, operating_points
from core.analysis.thresholds import OneVsRest
from core.artifacts import open_artifacts
from dashboard.components import threshold_panel
from dashboard.render import svg, threshold_table


@pytest.fixture(scope="module")
def sgd_table(artifact_dir):
    pred = open_artifacts(artifact_dir).predictions("sgd")
    proba = evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
    table = operating_points.slider_table(OneVsRest.from_scores(pred.y_true, proba, cls=5), by="probability")
    return pred, table


@pytest.fixture(autouse=True)
def empty_session():
    """Each test starts from a session that has sent nothing (bare mode: a plain session state)."""
    for key in list(st.session_state):
        del st.session_state[key]


def test_the_payload_holds_every_position_and_where_its_point_is_drawn(sgd_table):
    pred, table = sgd_table
    decision = table.of_nearest(pred.scores[:, 5])
    payload = threshold_table.table_payload(table, decision=decision)
    frame = table.frame
    assert len(payload["value"]) == len(frame) == 201
    assert payload["tp"] == frame["tp"].tolist() and payload["fn"] == frame["fn"].tolist()
    for position in (0, 37, 100, 200):
        x, y = svg.pixels([frame["recall"][position]], [frame["precision"][position]])
        assert (payload["prX"][position], payload["prY"][position]) == pytest.approx((x[0], y[0]), abs=0.05)
        assert payload["falsePos"][position] == [int(r) for r in table.false_pos[position] if r >= 0]
    nearest = frame["nearest"].to_numpy()
    assert [v is None for v in payload["decision"]] == (nearest < 0).tolist()
    shown = [i for i, v in enumerate(payload["decision"]) if v is not None]
    assert np.allclose([payload["decision"][i] for i in shown], pred.scores[nearest[shown], 5], atol=1e-4)
    assert "decision" not in threshold_table.table_payload(table, decision=None)


def test_a_session_sends_each_image_once_and_again_when_the_tab_lost_it(sgd_table):
    _, table = sgd_table
    view = "set/thresholds_panel_sgd_5_probability"
    assert threshold_panel.needs_table(view)
    first = threshold_panel.unsent(view, table.rows_around(100, reach=threshold_panel.REACH))
    assert first and not threshold_panel.needs_table(view)
    near = table.rows_around(101, reach=threshold_panel.REACH)
    assert threshold_panel.unsent(view, near) == sorted(set(near.tolist()) - set(first))
    assert threshold_panel.unsent(view, near) == []

    st.session_state["panel"] = {"missing": [first[0], "not a row"]}
    threshold_panel._forget(view, "panel")
    assert threshold_panel.unsent(view, near) == [first[0]]
    st.session_state["panel"] = {"missing": True}
    threshold_panel._forget(view, "panel")
    assert threshold_panel.needs_table(view)


@pytest.mark.parametrize("reported, expected", [({"position": 7}, 7), ({"position": 200}, 200),
                                                ({"position": 201}, 100), ({"position": -1}, 100),
                                                ({"position": "7"}, 100), ("7", 100), (None, 100)])
def test_a_reported_position_outside_the_slider_falls_back_to_the_start(reported, expected):
    st.session_state["panel"] = reported
    assert threshold_panel.position("panel", default=100, last=200) == expected
