"""Pure helpers of the dashboard: URL cell codes, the build command, image enlarging."""

from __future__ import annotations

import base64
import io
import re
import shlex
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data import pictures
from dashboard import components, session
from dashboard.sections import build_panel


@pytest.mark.parametrize("cell", [(0, 0), (5, 3), (9, 1)])
def test_cell_codes_round_trip(cell):
    assert session.parse_cell(session.format_cell(*cell), 10) == cell


@pytest.mark.parametrize("text", [None, "", "5", "5-", "a-3", "3-5-1", "-1-3", "10-3", "3-10", " 3-5", "²-1", "1-²",
                                  "\u0663-1", "9" * 5000 + "-1"])
def test_bad_cell_codes_are_rejected(text):
    assert session.parse_cell(text, 10) is None


def test_build_command_matches_the_form(tmp_path):
    command = build_panel.build_command(tmp_path, dataset="mnist", data_dir="/data/mnist dir", train_size=5000)
    words = shlex.split(command)
    assert Path(words[0]).resolve() == Path(sys.executable).resolve(), "the interpreter that runs the app"
    assert words[1:] == ["-m", "core", "build", "--artifacts", str(tmp_path), "--dataset", "mnist",
                         "--models", "quick", "--data-dir", "/data/mnist dir", "--train-size", "5000"]
    digits = shlex.split(build_panel.build_command(tmp_path, dataset="digits", data_dir="/ignored", train_size=None))
    assert "--data-dir" not in digits and "--train-size" not in digits


def test_png_data_url_round_trips_a_digit(mnist_small):
    digit = mnist_small.images("test")[0]
    url = pictures.png_data_url(digit)
    assert url.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert np.array_equal(decoded, digit)
    assert len(url) < 1000


def test_every_component_script_is_served_by_the_apps_config_and_versioned_by_its_content(tmp_path, monkeypatch):
    root = components.STATIC.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    sources = "".join(path.read_text() for path in (root / "components").glob("*.py"))
    scripts = sorted(path.name for path in components.STATIC.glob("*.js"))
    assert scripts and all(f'script="{name}"' in sources for name in scripts), "every script has its component"
    url = re.search(r"'(app/static/[^']+)'", components.loader_module(scripts[0])).group(1)
    assert url.startswith(f"app/static/{scripts[0]}?v=")
    (tmp_path / scripts[0]).write_text((components.STATIC / scripts[0]).read_text() + "\n// changed\n")
    monkeypatch.setattr(components, "STATIC", tmp_path)
    assert re.search(r"'(app/static/[^']+)'", components.loader_module(scripts[0])).group(1) != url
