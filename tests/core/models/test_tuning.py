import itertools
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score

from core import artifacts as art
from core.__main__ import main
from core.artifacts.build import build
from core.data import subset
from core.models import REGISTRY
from core.models.tuning import SPACES, TUNING_FILE, load_results, params_text, save_results, search_space, tune

SMALL = {
    "sgd": {"clf__alpha": [1e-4, 1e-2]},
    "knn": {"pca__n_components": [10, 20], "clf__n_neighbors": [1, 5], "clf__weights": ["uniform", "distance"]},
    "svc": {"clf__C": [1.0, 10.0], "clf__gamma": ["scale", 0.1]},
}


@pytest.fixture(scope="module")
def digits_results(digits):
    calls = []
    results = tune(digits, models="sgd,knn", train_size=900, cv=3, seed=1, n_jobs=1, spaces=SMALL,
                   progress=lambda *args: calls.append(args))
    return results, calls


def grid_candidates(space):
    keys = sorted(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


def test_search_finds_the_best_of_its_whole_grid(digits_results):
    results, calls = digits_results
    assert [r.model for r in results] == ["sgd", "knn"]
    assert calls == [("sgd", 0, 2), ("knn", 1, 2)]
    for result in results:
        grid = grid_candidates(SMALL[result.model])
        table = result.candidates
        assert sorted(table["params"]) == sorted(params_text(p) for p in grid)
        assert result.best_params in grid
        assert result.best_score == table["mean_test_score"].max()
        assert table.loc[0, "params"] == params_text(result.best_params) and table.loc[0, "rank_test_score"] == 1
        assert table["rank_test_score"].is_monotonic_increasing
        assert result.train_size == 900 and result.cv == 3 and result.seconds > 0
        assert result.default_params == {k: REGISTRY[result.model].make(image_shape=(8, 8), seed=1).get_params()[k]
                                         for k in SMALL[result.model]}


def test_best_score_is_the_cross_validated_accuracy_of_the_best_pipeline(digits_results, digits):
    train = subset(digits, train_size=900, seed=1)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    for result in digits_results[0]:
        pipeline = REGISTRY[result.model].make(image_shape=(8, 8), seed=1).set_params(**result.best_params)
        scores = cross_val_score(pipeline, train.X_train, train.y_train, cv=folds)
        assert result.best_score == pytest.approx(scores.mean())


def test_default_score_is_the_row_of_the_registry_defaults(digits_results):
    sgd = digits_results[0][0]
    assert sgd.default_params == {"clf__alpha": 1e-4}
    row = sgd.candidates[sgd.candidates["params"] == "clf__alpha=0.0001"]
    assert sgd.default_score == row["mean_test_score"].item()
    knn = digits_results[0][1]
    assert knn.default_score is None  # 40 components and 4 neighbours are not in the small grid


def test_test_images_are_never_used(digits_results, digits):
    rng = np.random.default_rng(0)
    other = replace(digits, X_test=rng.integers(0, 256, size=(50, 64), dtype=np.uint8),
                    y_test=rng.integers(0, 10, size=50), content_hash="other")
    again = tune(other, models="sgd,knn", train_size=900, cv=3, seed=1, n_jobs=1, spaces=SMALL)
    assert [r.model for r in again] == ["sgd", "knn"]
    for first, second in zip(digits_results[0], again, strict=True):
        assert first.best_params == second.best_params and first.best_score == second.best_score
        pd.testing.assert_frame_equal(first.candidates.drop(columns="mean_fit_time"),
                                      second.candidates.drop(columns="mean_fit_time"))
        assert second.dataset["hash"] == "other"


def test_halving_search_keeps_the_best_of_its_last_round(digits):
    [result] = tune(digits, models="svc", train_size=None, cv=3, seed=0, n_jobs=2, search="halving", spaces=SMALL)
    table = result.candidates
    last = table[table["iter"] == table["iter"].max()]
    assert set(table.columns) >= {"iter", "n_resources"}
    assert (table.groupby("iter")["n_resources"].first().diff().dropna() > 0).all()
    assert len(table[table["iter"] == 0]) == 4 and len(last) < 4
    assert result.best_score == last["mean_test_score"].max()
    assert params_text(result.best_params) == last.loc[last["mean_test_score"].idxmax(), "params"]
    assert result.train_size == len(digits.y_train) and result.search == "halving"


def test_tunes_an_mnist_slice(mnist_small):
    [result] = tune(mnist_small, models="svc", train_size=1000, cv=3, seed=0, n_jobs=1,
                    spaces={"svc": {"clf__C": [0.1, 10.0], "clf__gamma": ["scale"]}})
    assert result.best_params == {"clf__C": 10.0, "clf__gamma": "scale"}
    assert result.best_score > 0.85
    assert result.dataset == {"name": "mnist", "id": mnist_small.dataset_id, "hash": mnist_small.content_hash}


def test_unknown_or_untunable_models_are_refused(digits):
    for models in ("svc,nope", "mlp", ""):
        with pytest.raises(ValueError, match="tunable models: sgd, rf, knn, svc, logreg"):
            tune(digits, models=models, train_size=None, cv=3, seed=0)
    with pytest.raises(ValueError, match="choose from grid, halving"):
        tune(digits, models="sgd", train_size=None, cv=3, seed=0, search="random")


def test_search_spaces_fit_the_registry_and_the_image_size():
    assert {"sgd", "rf", "knn", "svc", "logreg"} <= set(SPACES)
    for name in SPACES:
        for shape in ((28, 28), (8, 8)):
            space = search_space(name, image_shape=shape)
            pipeline = REGISTRY[name].make(image_shape=shape, seed=0)
            defaults = pipeline.get_params()
            assert all(defaults[key] in values for key, values in space.items()), name
            for candidate in grid_candidates(space):
                pipeline.set_params(**candidate)
    assert search_space("knn", image_shape=(8, 8))["pca__n_components"] == [30, 32]
    assert search_space("knn", image_shape=(28, 28))["pca__n_components"] == SPACES["knn"]["pca__n_components"]


def test_results_round_trip_and_merge_by_model(digits_results, tmp_path):
    sgd, knn = digits_results[0]
    assert load_results(tmp_path) == []
    save_results([knn], tmp_path)
    path = save_results([sgd], tmp_path)
    assert path == tmp_path / TUNING_FILE
    loaded = load_results(tmp_path)
    assert [r.model for r in loaded] == ["sgd", "knn"]
    for stored, original in zip(loaded, (sgd, knn)):
        pd.testing.assert_frame_equal(stored.candidates, original.candidates)
        assert replace(stored, candidates=None) == replace(original, candidates=None)
    record = json.loads(path.read_text())["results"][0]
    assert record["versions"]["sklearn"] == art.runtime_versions()["sklearn"]
    assert record["dataset"]["hash"] == sgd.dataset["hash"]
    save_results([replace(sgd, best_score=0.5)], tmp_path)
    assert [r.best_score for r in load_results(tmp_path)] == [0.5, knn.best_score]


def test_a_build_keeps_tuning_json(digits_results, digits, tmp_path):
    save_results(digits_results[0], tmp_path)
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd")
    assert [r.model for r in load_results(tmp_path)] == ["sgd", "knn"]


def test_unreadable_tuning_json_raises_a_clear_error(tmp_path):
    path = tmp_path / TUNING_FILE
    for text, error in (("{not json", art.CorruptArtifacts), ('{"format": 1, "results": [{}]}', art.CorruptArtifacts),
                        ("[]", art.CorruptArtifacts), ('{"format": 99}', art.IncompatibleArtifacts)):
        path.write_text(text)
        with pytest.raises(error, match="python -m core tune"):
            load_results(tmp_path)


def test_cli_tune_prints_the_table_and_writes_tuning_json(tmp_path, capsys):
    code = main(["tune", "--dataset", "digits", "--artifacts", str(tmp_path), "--models", "sgd",
                 "--train-size", "600", "--cv", "3"])
    out = capsys.readouterr()
    assert code == 0
    [result] = load_results(tmp_path)
    assert result.model == "sgd" and result.train_size == 600
    assert len(result.candidates) == len(SPACES["sgd"]["clf__alpha"])
    assert params_text(result.best_params) in out.out and "[1/1] tuning sgd" in out.err
    assert main(["tune", "--dataset", "digits", "--artifacts", str(tmp_path), "--models", "mlp"]) == 2
    assert "tunable models" in capsys.readouterr().err
