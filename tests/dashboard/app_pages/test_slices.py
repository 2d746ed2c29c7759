"""The Slices page through AppTest on the small MNIST set: every rate with its Wilson interval worked out here,
thin slices marked, and no chart for a property that does not vary."""

from __future__ import annotations

import re

import numpy as np

from core.artifacts import open_artifacts
from core.data import properties
from tests.dashboard.apptest import assert_clean, open_app

ROW = re.compile(r"<td>([^<]*)</td><td>([\d,]+)</td><td>([\d,]+)</td><td>([^<]*)</td>")
Z = 1.959963984540054


def wilson_percent(k: int, n: int) -> tuple[float, float]:
    centre, half = (k + Z * Z / 2) / (n + Z * Z), Z * np.sqrt(k * (n - k) / n + Z * Z / 4) / (n + Z * Z)
    return 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)


def test_every_slices_error_rate_carries_its_interval_and_thin_ones_are_marked(monkeypatch, artifact_dir):
    at = open_app(monkeypatch, artifact_dir, "app_pages/slices.py", state={"focus_model": "sgd"})
    assert_clean(at)
    table = next(block.value for block in at.html if "share of errors" in block.value)
    rows = ROW.findall(table)
    assert rows, "the small set's sgd has error slices"
    for _, size, errors, rate in rows:
        n, k = int(size.replace(",", "")), int(errors.replace(",", ""))
        low, high = wilson_percent(k, n)
        assert rate.startswith(f"{k / n:.1%} (95% CI {low:.1f}–{high:.1f}%")
        assert ("thin" in rate) == (n < 30)


def test_a_property_that_does_not_vary_gets_no_chart(monkeypatch, artifact_dir):
    stored = properties.stored_properties(open_artifacts(artifact_dir))
    varying = [name for name in stored if np.unique(stored[name]).size > 1]
    at = open_app(monkeypatch, artifact_dir, "app_pages/slices.py")
    assert_clean(at)
    charts = [block.value for block in at.html if 'alt="error rate against' in block.value]
    assert sum(block.count("<img") for block in charts) == len(varying)
    flat = [properties.PROPERTIES[name][0] for name in stored if name not in varying]
    note = next(c.value for c in at.caption if "Whiskers: 95% Wilson intervals" in c.value)
    assert all(title in note for title in flat)
