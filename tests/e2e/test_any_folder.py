"""The app started from a folder outside the repository (the ``server`` fixture's) shows every component.

Streamlit serves the components' scripts only with ``server.enableStaticServing``, which the app's own
``dashboard/.streamlit/config.toml`` turns on; started elsewhere with the config only in the working folder,
every interactive part was blank under one red line, and the theme was gone.
"""

from __future__ import annotations

import pytest

from tests.e2e.browsing import assert_no_exception, open_page

pytestmark = pytest.mark.e2e

#: A page and the element its component draws (inside the component's shadow root).
COMPONENTS = [
    ("/errors", "Errors", ".dl-cells td[data-cell]"),
    ("/explore", "Explore", ".dl-map canvas"),
    ("/thresholds", "Thresholds", '.dl-thr input[type="range"]'),
    ("/draw", "Draw", ".dl-draw canvas"),
]


@pytest.mark.parametrize(("path", "title", "selector"), COMPONENTS, ids=[c[1] for c in COMPONENTS])
def test_every_component_draws_when_the_app_was_started_from_another_folder(page, path, title, selector):
    open_page(page, path, title)
    element = page.locator(selector).first
    element.wait_for(state="visible", timeout=30_000)
    assert element.bounding_box()["width"] > 0
    assert page.get_by_text("scripts are not served").count() == 0
    assert_no_exception(page)


def test_the_apps_theme_holds_when_started_from_another_folder(page):
    open_page(page, "/thresholds", "Thresholds")
    slider = page.locator('.dl-thr input[type="range"]')
    slider.wait_for(state="visible", timeout=30_000)
    colour = slider.evaluate("(input) => getComputedStyle(input).accentColor")
    assert colour == "rgb(51, 85, 204)", f"the slider is drawn in {colour}, not the theme's primaryColor #3355cc"
