"""A real ``streamlit run`` server and a headless Debian chromium for the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dashboard.artifact_set import REPO_ROOT, build_small_set

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer at {url} within {START_TIMEOUT} s:\n{log.read_text()}")


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
    """Base URL of ``streamlit run dashboard/streamlit_app.py`` on a free localhost port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "DIGIT_LENS_ARTIFACTS": str(e2e_artifacts)}
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/streamlit_app.py",
               "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
