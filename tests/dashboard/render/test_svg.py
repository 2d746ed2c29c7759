"""The SVG charts: marks land where the data says, on real MNIST class counts and curves."""

from __future__ import annotations

import re

import numpy as np

from dashboard.render import svg

BAR = re.compile(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="[^"]+"><title>([^<]+)</title>')


def test_bar_heights_are_proportional_to_the_counts(mnist):
    counts = np.bincount(mnist.y_train, minlength=10).astype(float)
    chart = svg.bars([str(d) for d in range(10)], {"train": counts}, colours=["#1f77b4"], title="t", y_title="n")
    bars = BAR.findall(chart)
    assert [title.split(": ")[1] for _, _, title in bars] == [f"{c:,.0f}" for c in counts]
    heights = np.array([float(h) for _, h, _ in bars])
    np.testing.assert_allclose(heights / heights.max(), counts / counts.max(), atol=0.01)


def test_negative_bars_hang_below_the_zero_line():
    chart = svg.bars(["a", "b"], {"slant": np.array([0.3, -0.2])}, colours=["#000"], title="t", y_title="s",
                     errors={"slant": np.array([0.05, 0.05])}, fmt=".2f")
    (top_a, height_a, _), (top_b, height_b, _) = [(float(t), float(h), n) for t, h, n in BAR.findall(chart)]
    assert top_a + height_a == top_b, "both bars meet at the zero line"
    assert height_a / height_b == 1.5


def test_the_operating_point_sits_on_the_curve():
    x = np.linspace(0, 1, 1001)
    chart = svg.chart([svg.Line(x, x ** 2, "#000")], title="t", x_title="x", y_title="y", point=(0.5, 0.25))
    cx, cy = (float(v) for v in re.search(r'<circle data-role="point" cx="([\d.]+)" cy="([\d.]+)"', chart).groups())
    points = np.array([[float(a) for a in p.split(",")] for p in re.search(r'points="([^"]+)"', chart)[1].split()])
    assert np.min(np.hypot(points[:, 0] - cx, points[:, 1] - cy)) < 1


def test_a_digit_without_images_draws_no_bar_and_the_rest_keep_their_scale(mnist):
    counts = np.bincount(mnist.y_train, minlength=10).astype(float)
    means, spread = counts.copy(), np.full(10, 100.0)
    means[3], spread[3] = np.nan, np.nan
    chart = svg.bars([str(d) for d in range(10)], {"mean": means}, colours=["#000"], title="t", y_title="n",
                     errors={"mean": spread})
    bars = BAR.findall(chart)
    assert [title.split(":")[0] for _, _, title in bars] == [f"mean {d}" for d in range(10) if d != 3]
    heights = np.array([float(h) for _, h, _ in bars])
    np.testing.assert_allclose(heights / heights.max(), np.delete(counts, 3) / np.nanmax(means), atol=0.01)
