"""The Calibration page through AppTest on the small MNIST set: every figure against numpy written out here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

from core.artifacts import open_artifacts
from tests.dashboard.apptest import assert_clean, open_app

PAGE = "app_pages/calibration.py"
BINS = 15


def page_probabilities(pred) -> np.ndarray:
    """What the pages read: probabilities as stored, decision values through a softmax at the stored temperature."""
    return pred.scores if pred.score_kind == "proba" else softmax(pred.scores / pred.temperature, axis=1)


def top_label_ece(y, proba) -> float:
    conf, top = proba.max(axis=1), proba.argmax(axis=1)
    which = np.minimum((conf * BINS).astype(int), BINS - 1)
    gap = sum(abs((top[which == b] == y[which == b]).mean() - conf[which == b].mean()) * (which == b).sum()
              for b in range(BINS) if (which == b).any())
    return gap / y.size


@pytest.fixture(scope="module")
def stored(artifact_dir):
    return open_artifacts(artifact_dir)


def test_the_table_gives_each_models_ece_before_and_after_its_temperature(monkeypatch, artifact_dir, stored):
    at = open_app(monkeypatch, artifact_dir, PAGE)
    assert_clean(at)
    table = at.dataframe[0].value
    multiclass = [n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass"]
    assert sorted(table.index) == sorted(multiclass)
    assert table["ece"].is_monotonic_increasing
    for name in multiclass:
        pred = stored.predictions(name)
        assert table.loc[name, "ece"] == pytest.approx(top_label_ece(pred.y_true, page_probabilities(pred)))
        assert table.loc[name, "accuracy"] == pytest.approx((pred.y_true == pred.scores.argmax(1)).mean())
        if pred.score_kind == "decision":
            raw = softmax(pred.scores, axis=1)
            assert table.loc[name, "ece_before"] == pytest.approx(top_label_ece(pred.y_true, raw))
        else:
            assert np.isnan(table.loc[name, "ece_before"])


def test_the_bins_of_the_focus_model_and_of_one_digit(monkeypatch, artifact_dir, stored):
    at = open_app(monkeypatch, artifact_dir, PAGE, state={})
    assert_clean(at)
    model = at.selectbox(key="calibration_model_pick").value
    pred = stored.predictions(model)
    proba = page_probabilities(pred)
    bins = at.dataframe[1].value
    assert bins["images"].sum() == pred.y_true.size
    conf = proba.max(axis=1)
    top = conf >= 14 / 15
    assert bins["images"].iloc[-1] == top.sum()
    right = (proba.argmax(1) == pred.y_true)[top].mean()
    assert bins["right"].iloc[-1].startswith(f"{right:.1%} [")
    assert (bins["thin"] == "thin").tolist() == (bins["images"] < 30).tolist()

    at.segmented_control(key="calibration_view").set_value(3).run()
    assert_clean(at)
    bins = at.dataframe[1].value
    lowest = proba[:, 3] < 1 / 15
    assert bins["images"].iloc[0] == lowest.sum()
    assert bins["mean confidence"].iloc[0] == pytest.approx(proba[lowest, 3].mean())
    assert bins["right"].iloc[0].startswith(f"{(pred.y_true[lowest] == 3).mean():.1%} [")
