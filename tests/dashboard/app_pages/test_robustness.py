"""The Robustness page through AppTest on the small MNIST set: the table, the charts' points and a clicked point's
flipped images against each model's own predictions of the perturbed images, made here."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from core.analysis import robustness
from core.artifacts import open_artifacts
from tests.dashboard.apptest import assert_clean, open_app
from tests.dashboard.conftest import CELL, CLICK, PAGE

SCRIPT = "app_pages/robustness.py"
KEY = "robustness_charts"
TILE = re.compile(r'<figure style="margin:0" data-index="(\d+)"')


@pytest.fixture(scope="module")
def stored(artifact_dir):
    return open_artifacts(artifact_dir)


def multiclass(stored) -> list[str]:
    return [n for n in stored.model_names if stored.model_info(n)["task"] == "multiclass"]


def right_under(stored, name: str, kind: str, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subset rows, and whether the model reads each right clean (its stored test answers) and perturbed
    (its own predictions of the perturbed images, made here)."""
    data = stored.data()
    rows = robustness.subset_rows(data.y_test, n=robustness.SUBSET, seed=stored.manifest["seed"])
    clean = stored.predictions(name).y_pred[rows] == data.y_test[rows]
    images = robustness.perturb(data.X_test[rows].reshape(-1, 28, 28), kind, strength, seed=stored.manifest["seed"])
    return rows, clean, stored.load_model(name).predict(images.reshape(len(rows), -1)) == data.y_test[rows]


def test_the_table_gives_clean_and_strongest_accuracy_of_every_model(monkeypatch, artifact_dir, stored):
    at = open_app(monkeypatch, artifact_dir, SCRIPT)
    assert_clean(at)
    assert at.title[0].value == "Robustness"
    table = at.dataframe[0].value
    assert sorted(table.index) == sorted(multiclass(stored))
    for name in ("rf", "cnn"):
        _, clean, turned = right_under(stored, name, "rotation", 30.0)
        assert table.loc[name, "clean"] == pytest.approx(clean.mean())
        assert table.loc[name, "rotation 30°"] == pytest.approx(turned.mean())
    charts = at.html[0].value
    n_conditions = len(robustness.conditions())
    assert charts.count("data-cell=") == (n_conditions - 1) * len(table)
    assert charts.count("<svg") == len(robustness.PERTURBATIONS)


def test_a_click_on_a_point_shows_the_images_that_flip_there(monkeypatch, artifact_dir, stored):
    at = open_app(monkeypatch, artifact_dir, SCRIPT)
    names = list(at.dataframe[0].value.index)
    index = robustness.conditions().index(("rotation", 30.0))
    at.session_state[CELL + KEY] = names.index("rf") * len(robustness.conditions()) + index
    at.run()
    assert_clean(at)
    rows, clean, turned = right_under(stored, "rf", "rotation", 30.0)
    flipped = rows[clean & ~turned]
    body = at.html[0].value
    assert f"rotation 30°: {flipped.size:,} of {int(clean.sum()):,} images it read right are now wrong" in body
    assert f"{int((~clean & turned).sum()):,} it read wrong are now right" in body
    assert [int(r) for r in TILE.findall(body)] == list(flipped[:24])
    assert 'data-cell="{}"'.format(names.index("rf") * len(robustness.conditions()) + index) in body
    if flipped.size > 24:
        at.session_state[PAGE + KEY] = 2
        at.run()
        assert [int(r) for r in TILE.findall(at.html[0].value)] == list(flipped[24:48])
    at.session_state[CLICK + KEY] = int(flipped[0])
    at.run()
    assert at.query_params["image"] == str(flipped[0])


def test_a_set_built_before_the_page_says_how_to_add_it(monkeypatch, artifact_dir, tmp_path):
    root = tmp_path / "older"
    shutil.copytree(artifact_dir, root)
    manifest = json.loads((root / "manifest.json").read_text())
    for entry in manifest["models"].values():
        relative = entry["files"].pop("robust", None)
        if relative:
            entry["sha256"].pop(relative)
            manifest["files"].pop(relative)
    (root / "manifest.json").write_text(json.dumps(manifest))
    at = open_app(monkeypatch, root, SCRIPT)
    assert_clean(at)
    assert "A rebuild adds it without retraining" in at.info[0].value
