"""Builds and searches on a real Dask cluster (two worker processes on loopback) give the local results."""

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import ParameterGrid

from core.models import cluster
from core.__main__ import main
from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.models.cluster import ClusterError
from core.models.tuning import tune

distributed = pytest.importorskip("distributed", reason="pip install -r requirements-cluster.txt")

MODELS = "sgd,rf,is5"
GRIDS = {"sgd": {"clf__alpha": [1e-4, 1e-2]},
         "knn": {"pca__n_components": [10, 20], "clf__n_neighbors": [1, 5]}}


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def both_builds(tmp_path_factory, digits, scheduler):
    here = build(dataset=digits, artifacts_dir=tmp_path_factory.mktemp("here"), models=MODELS, seed=3, cv=2)
    events = []
    there = build(dataset=digits, artifacts_dir=tmp_path_factory.mktemp("there"), models=MODELS, seed=3, cv=2,
                  scheduler=scheduler, progress=events.append)
    return here, there, events


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cluster_build_stores_the_local_predictions_and_metrics(both_builds):
    here, there, _ = both_builds
    assert there.built == here.built == MODELS.split(",")
    local, remote = open_artifacts(here.root), open_artifacts(there.root)
    assert remote.dataset == local.dataset
    for name in MODELS.split(","):
        mine, theirs = local.model_info(name), remote.model_info(name)
        assert theirs["key"] == mine["key"] and theirs["params"] == mine["params"]
        assert theirs["temperature"] == pytest.approx(mine["temperature"], rel=1e-6)
        for metric in ("test_accuracy", "macro_f1", "cv_mean", "cv_std", "n_train"):
            assert theirs["metrics"][metric] == pytest.approx(mine["metrics"][metric], rel=1e-9), (name, metric)
        a, b = local.predictions(name), remote.predictions(name)
        np.testing.assert_array_equal(b.y_pred, a.y_pred)
        np.testing.assert_allclose(b.scores, a.scores, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(remote.load_model(name).predict(local.data().X_test), a.y_pred)


def test_cluster_build_reports_each_model_as_it_comes_back(both_builds):
    _, _, events = both_builds
    for name in MODELS.split(","):
        explained = ["explain", "robust"] if name != "is5" else []  # the multiclass models' cell maps, robustness
        assert [e.stage for e in events if e.model == name] == ["latency", "save", *explained, "done"]
        assert all(0 <= e.fraction <= 1 and e.total == 4 for e in events)
    assert [e.stage for e in events][-1] == "done" and events[-1].model == "explore"


def test_cluster_build_reuses_what_a_local_build_made(both_builds, digits, scheduler):
    here, _, _ = both_builds
    again = build(dataset=digits, artifacts_dir=here.root, models=MODELS, seed=3, cv=2, scheduler=scheduler)
    assert again.reused == MODELS.split(",") and again.built == []


def test_cluster_search_scores_every_candidate_like_the_local_one(digits, scheduler):
    options = {"models": "sgd,knn", "train_size": 600, "cv": 3, "seed": 2, "spaces": GRIDS}
    here = tune(digits, **options)
    there = tune(digits, **options, scheduler=scheduler)
    assert [r.model for r in here] == [r.model for r in there] == ["sgd", "knn"]
    for mine, theirs in zip(here, there, strict=True):
        assert theirs.best_params == mine.best_params
        assert theirs.best_score == pytest.approx(mine.best_score, rel=1e-12)
        columns = ["params", "mean_test_score", "std_test_score", "rank_test_score"]
        pd.testing.assert_frame_equal(theirs.candidates[columns], mine.candidates[columns])
        expected = len(ParameterGrid(GRIDS[mine.model]))  # 2 alphas; 2 x 2 for knn
        assert len(mine.candidates) == len(theirs.candidates) == expected, mine.model


def test_local_build_never_imports_dask(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from core.artifacts.build import build
        build(dataset="digits", artifacts_dir={str(tmp_path)!r}, models="sgd")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        print(loaded)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.stdout.strip() == "[]"


def test_unreachable_scheduler_is_one_line_naming_it(monkeypatch, capsys, tmp_path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    code = main(["build", "--dataset", "digits", "--models", "sgd", "--artifacts", str(tmp_path),
                 "--scheduler", address])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert address in err and "dask scheduler" in err and "leave out --scheduler" in err
    assert not (tmp_path / "manifest.json").exists()


def test_scheduler_comes_from_the_environment(monkeypatch, capsys, tmp_path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    monkeypatch.setenv(cluster.ENV, address)
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    assert main(["tune", "--dataset", "digits", "--models", "sgd", "--artifacts", str(tmp_path)]) == 2
    assert address in capsys.readouterr().err


def test_scheduler_without_workers_says_to_start_some():
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=":0") as empty:
        with pytest.raises(ClusterError, match=r"has no workers .*'dask worker tcp://127\.0\.0\.1:\d+'"):
            with cluster.connect(empty.scheduler_address, timeout=1):
                pass


def test_missing_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ClusterError, match=r"pip install -r requirements-cluster\.txt"):
        with cluster.connect("tcp://127.0.0.1:8786"):
            pass
