"""A real ``streamlit run`` server and a headless Debian chromium for the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.browser import CHROMIUM_ARGS, Server
from tests.dashboard.artifact_set import REPO_ROOT, build_small_set

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium; without it the browser tests skip locally and fail on CI."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing; install Debian's chromium package to run the browser tests."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_artifacts(tmp_path_factory) -> Path:
    """The same small artifact set the AppTest suite uses (reused when both run in one session)."""
    return build_small_set(tmp_path_factory.getbasetemp() / "dashboard-artifacts")


@pytest.fixture(scope="session")
def server(e2e_artifacts, tmp_path_factory, chromium_path) -> str:
    """Base URL of ``streamlit run /abs/path/dashboard/streamlit_app.py`` on a free localhost port, started from
    a folder outside the repository, as a user may start it: every browser test shows the app works so."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    app = Server(REPO_ROOT / "dashboard" / "streamlit_app.py", {"DIGIT_LENS_ARTIFACTS": str(e2e_artifacts)},
                 log=elsewhere / "server.log", cwd=elsewhere)
    try:
        yield app.url
    finally:
        app.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):
    """A fresh browser tab (own session) with a tall viewport, so every chart on a page is drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, base_url=server)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()
