"""Running the dashboard under Streamlit's AppTest: open a page on an artifact folder, check it ran clean."""

from __future__ import annotations

import html
import re

from streamlit.testing.v1 import AppTest

from dashboard import registry

ENTRY = registry.DASHBOARD_DIR / "streamlit_app.py"
TIMEOUT = 60


def open_app(monkeypatch, root, page: registry.PageDef | str | None = None, *, state: dict | None = None) -> AppTest:
    """Run the entry script with ``root`` as the artifact folder and ``state`` in the session, then switch to
    ``page``."""
    monkeypatch.setenv("DIGIT_LENS_ARTIFACTS", str(root))
    at = AppTest.from_file(str(ENTRY), default_timeout=TIMEOUT)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(page.script if isinstance(page, registry.PageDef) else page).run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


OPERATING_POINT = re.compile(r'<div style="font-size:0.875rem">([^<]+)<b data-m="[a-z]+" style="[^"]*">([^<]+)</b>'
                             r'</div>')


def operating_point(at: AppTest) -> dict[str, str]:
    """The labelled figures of an operating point drawn by ``dashboard.render.markup.operating_point_html``
    (the Concepts page's detector; the Thresholds panel fills the same markup's slots in the browser)."""
    for block in at.html:
        found = OPERATING_POINT.findall(block.value)
        if found:
            return {html.unescape(label): value for label, value in found}
    raise AssertionError("no operating point on the page")


def percent_bounds(text: str) -> tuple[float, float]:
    """The probabilities a percentage written by ``core.analysis.gallery.percent`` stands for, e.g. ``"42%"`` ->
    (0.415, 0.425)."""
    if text == ">99.9%":
        return 0.9995, 1.0
    if text == "<0.1%":
        return 0.0, 0.0005
    value = float(text.rstrip("%")) / 100
    half = 0.0005 if "." in text else 0.005
    return value - half, value + half
