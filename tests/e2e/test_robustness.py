"""The Robustness page in a real browser: a click on a chart's point shows the images that flip there, and a click
on one of them opens its story."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import robustness
from core.artifacts import open_artifacts
from tests.e2e.browsing import IDLE, assert_no_exception, open_page, tile_rows

pytestmark = pytest.mark.e2e


def test_a_click_on_a_point_shows_its_flipped_images_and_one_opens_its_story(page, e2e_artifacts):
    open_page(page, "/robustness", "Robustness")
    aset = open_artifacts(e2e_artifacts)
    measured = [n for n in aset.model_names if aset.robustness(n) is not None]
    stored = aset.robustness("rf")
    index = robustness.conditions().index(("rotation", 20.0))
    right = stored["predicted"] == stored["y_true"]
    flipped = stored["rows"][right[0] & ~right[index]]
    assert flipped.size > 0
    point = page.locator(f'.dl-clickable circle[data-cell="{measured.index("rf") * right.shape[0] + index}"]')
    point.wait_for()
    assert page.locator(".dl-clickable circle[data-cell]").count() == len(measured) * (right.shape[0] - 1)
    point.click()
    page.get_by_text(f"rotation 20°: {flipped.size:,} of {int(right[0].sum()):,} images it read right").wait_for()
    page.wait_for_function(IDLE)
    charts = page.locator(".dl-clickable").filter(has=page.locator("circle[data-cell]"))
    assert tile_rows(charts) == list(np.asarray(flipped[:24], dtype=int))
    charts.locator(f'figure[data-index="{int(flipped[0])}"]').click()
    page.get_by_role("dialog").wait_for()
    page.wait_for_function(f"() => location.search.includes('image={int(flipped[0])}')")
    assert_no_exception(page)
