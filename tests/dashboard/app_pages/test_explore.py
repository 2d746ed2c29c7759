"""The Explore page and the image dialog under AppTest, on the small real artifact set.

Expected rows come from the stored map and labels through numpy, not from the page.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from scipy.special import softmax

from core.analysis import map_selection
from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data import load_dataset
from tests.dashboard.apptest import assert_clean, open_app
from tests.dashboard.conftest import CLICK

PAGE = "app_pages/explore.py"
SHOWN = re.compile(r'alt="test image (\d+)"')


@pytest.fixture(scope="module")
def stored(artifact_dir):
    aset = open_artifacts(artifact_dir)
    return aset, map_selection.grid_coords(aset.explore()["coords"])


def _left_half(grid) -> map_selection.Region:
    middle = int(np.median(grid[:, 0]))
    return map_selection.Region("b", (0, middle, 0, map_selection.GRID))


def _explore(monkeypatch, root, **params):
    at = open_app(monkeypatch, root)
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def test_a_region_in_the_link_shows_its_images_mistakes_first_most_confident_first(monkeypatch, artifact_dir,
                                                                                   stored):
    aset, grid = stored
    region = _left_half(grid)
    at = _explore(monkeypatch, artifact_dir, model="sgd", region=region.url())
    pred = aset.predictions("sgd")
    rows = np.flatnonzero(grid[:, 0] <= region.points[1])
    wrong = rows[pred.y_pred[rows] != pred.y_true[rows]]
    summary = next(block.value for block in at.html if "images selected" in block.value)
    assert f"<b>{rows.size:,} images selected</b>, {wrong.size:,} mistakes" in summary
    shown = [int(n) for n in SHOWN.findall(next(b.value for b in at.html if "test image" in b.value))]
    assert len(shown) == min(18, rows.size) and set(shown) <= set(rows)
    confidence = softmax(pred.scores.astype(np.float64) / pred.temperature, axis=1).max(axis=1)
    first = shown[:min(len(shown), wrong.size)]
    assert set(first) <= set(wrong)
    assert np.all(np.diff(confidence[first]) <= 1e-6)


def test_model_and_colour_survive_and_the_link_carries_the_view(monkeypatch, artifact_dir, stored):
    _, grid = stored
    region = _left_half(grid)
    at = _explore(monkeypatch, artifact_dir, region=region.url())
    at.segmented_control(key="explore_colour_pick").set_value("confidence").run()
    at.selectbox(key="explore_model_pick").set_value("rf").run()
    assert_clean(at)
    assert at.query_params["colour"] == "confidence" and at.query_params["model"] == "rf"
    assert at.query_params["region"] == region.url()
    assert any("images selected" in block.value for block in at.html)
    at.button(key="explore_clear").click().run()
    assert "region" not in at.query_params
    assert not any("images selected" in block.value for block in at.html)


@pytest.mark.parametrize("edited", ["b:1_2", "l:0_0_1_1_2_2;x", "b:-1_99999999_0_1"])
def test_an_edited_region_link_is_dropped_not_an_error(monkeypatch, artifact_dir, edited):
    at = _explore(monkeypatch, artifact_dir, region=edited)
    assert "region" not in at.query_params
    assert any("Draw a lasso or a box" in info.value for info in at.info)


def test_clicking_a_gallery_image_opens_its_story_and_puts_it_in_the_link(monkeypatch, artifact_dir, stored):
    aset, grid = stored
    at = _explore(monkeypatch, artifact_dir, model="sgd", region=_left_half(grid).url())
    row = int(SHOWN.findall(next(b.value for b in at.html if "test image" in b.value))[0])
    at.session_state[CLICK + "explore_tiles"] = row
    at.run()
    assert_clean(at)
    assert at.query_params["image"] == str(row)
    text = " ".join(m.value for m in at.markdown)
    true = aset.dataset["class_names"][int(aset.data().y_test[row])]
    assert f"**Test image #{row}** · labelled **{true}**" in text
    neighbours = aset.explore()["neighbours"][row]
    story = next(b.value for b in at.html if "training image" in b.value)
    assert [int(n) for n in re.findall(r'alt="training image (\d+)"', story)] == neighbours.tolist()
    answers = next(b.value for b in at.html if "top 3" in b.value)
    for name in ("sgd", "rf"):
        assert html.escape(aset.model_info(name)["title"]) in answers


@pytest.mark.parametrize("link, opens", [("7", True), ("0007x", False), ("99999", False), ("-1", False)])
def test_an_image_link_opens_the_story_on_any_page_and_edited_links_are_dropped(monkeypatch, artifact_dir, link,
                                                                                 opens):
    at = open_app(monkeypatch, artifact_dir)
    at.query_params["image"] = link
    at.switch_page("app_pages/errors.py").run()
    assert_clean(at)
    opened = any("**Test image #7**" in m.value for m in at.markdown)
    assert opened == opens
    assert ("image" in at.query_params) == opens


def test_a_set_without_a_map_says_how_to_add_it(monkeypatch, tmp_path):
    import json

    root = tmp_path / "old"
    build(dataset=load_dataset("digits"), artifacts_dir=root, models="sgd")
    manifest = json.loads((root / "manifest.json").read_text())
    del manifest["explore"]
    (root / "manifest.json").write_text(json.dumps(manifest))
    at = open_app(monkeypatch, root, PAGE)
    assert_clean(at)
    assert any("has no map or neighbour index" in info.value and "-m core build" in info.value for info in at.info)
