"""The build's stage breakdown on the bundled digits: it tiles the build's wall time, names every stage of every
model, is stored in the manifest, printed by the CLI and carried by report --json."""

import json
import time

import pytest

from core.__main__ import main
from core.artifacts import open_artifacts
from core.artifacts.build import STAGES, build


@pytest.fixture(scope="module")
def timed(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("stages")
    start = time.perf_counter()
    result = build(dataset=digits, artifacts_dir=root, models="sgd,rf,is5", cv=2)
    return root, result, time.perf_counter() - start


def test_the_stages_sum_to_the_builds_wall_time(timed):
    _, result, wall = timed
    breakdown = result.manifest["build"]
    total = sum(row["seconds"] for row in breakdown["stages"])
    assert total == pytest.approx(breakdown["wall_seconds"], abs=0.01)
    assert total == pytest.approx(wall, rel=0.05), "the clock covers the whole build call"


def test_every_stage_of_every_model_is_timed(timed):
    _, result, _ = timed
    seen = {(row["step"], row["stage"]) for row in result.manifest["build"]["stages"]}
    trained = [stage for stage in STAGES if stage != "calibrate"]  # the forest has probabilities
    assert {("rf", stage) for stage in trained} <= seen
    assert {("data", "load"), ("data", "write"), ("explore", "map"), ("properties", "compute")} <= seen
    assert all(row["seconds"] >= 0 for row in result.manifest["build"]["stages"])


def test_a_rebuild_times_what_it_did_and_report_json_carries_it(timed, digits, capsys):
    root, _, _ = timed
    again = build(dataset=digits, artifacts_dir=root, models="sgd,rf,is5", cv=2)
    assert again.reused == ["sgd", "rf", "is5"]
    steps = {row["step"] for row in again.manifest["build"]["stages"]}
    assert not steps & {"sgd", "rf", "is5"}, "reused models are not trained, so no stage of theirs is timed"
    assert open_artifacts(root).manifest["build"] == again.manifest["build"]
    assert main(["report", "--artifacts", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["build"] == again.manifest["build"]


def test_the_cli_prints_where_the_time_went(tmp_path, capsys):
    assert main(["build", "--dataset", "digits", "--models", "sgd", "--artifacts", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "where the time went (" in out and "  sgd " in out


def test_a_rebuild_reports_what_the_rest_took_last_time(tmp_path, digits):
    first_events, again_events = [], []
    first = build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf", progress=first_events.append)
    assert all(event.eta_seconds is None for event in first_events), "nothing to go by on a first build"
    took = {}
    for row in first.manifest["build"]["stages"]:
        took[row["step"]] = took.get(row["step"], 0.0) + row["seconds"]
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd,rf", seed=1, progress=again_events.append)
    opening = next(event for event in again_events if event.model == "sgd")
    assert opening.eta_seconds == pytest.approx(took["sgd"] + took["rf"] + took["explore"], abs=0.2)
    closing = [event for event in again_events if event.model == "rf" and event.stage == "done"][0]
    assert closing.eta_seconds == pytest.approx(took["explore"], abs=1e-6)
