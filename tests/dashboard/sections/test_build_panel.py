"""dashboard.sections.build_panel: the build command the form shows."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


from dashboard.sections import build_panel


def test_build_command_matches_the_form(tmp_path):
    command = build_panel.build_command(tmp_path, dataset="mnist", data_dir="/data/mnist dir", train_size=5000)
    words = shlex.split(command)
    assert Path(words[0]).resolve() == Path(sys.executable).resolve(), "the interpreter that runs the app"
    assert words[1:] == ["-m", "core", "build", "--artifacts", str(tmp_path), "--dataset", "mnist",
                         "--models", "quick", "--data-dir", "/data/mnist dir", "--train-size", "5000"]
    digits = shlex.split(build_panel.build_command(tmp_path, dataset="digits", data_dir="/ignored", train_size=None))
    assert "--data-dir" not in digits and "--train-size" not in digits
