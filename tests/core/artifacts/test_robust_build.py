"""The build's robustness step on the bundled digits: every multiclass model's answers to the perturbed subset,
equal to the model's own predictions of those images, and added to an older set by a rebuild that trains nothing."""

import json

import numpy as np
import pytest

from core import artifacts as art
from core.analysis import robustness
from core.artifacts import open_artifacts
from core.artifacts.build import build


@pytest.fixture(scope="module")
def built(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("robust")
    build(dataset=digits, artifacts_dir=root, models="sgd,rf,is5")
    return root


def test_every_multiclass_model_answers_the_same_perturbed_subset(built, digits):
    artifacts = open_artifacts(built)
    rows = robustness.subset_rows(digits.y_test, n=robustness.SUBSET, seed=0)
    assert len(rows) == len(digits.y_test), "450 test digits: the subset is all of them"
    for name in ("sgd", "rf"):
        found = artifacts.robustness(name)
        model = artifacts.load_model(name)
        pred = artifacts.predictions(name)
        np.testing.assert_array_equal(found["rows"], rows)
        assert [(str(k), float(s)) for k, s in zip(found["kinds"], found["strengths"])] == robustness.conditions()
        np.testing.assert_array_equal(found["predicted"][0], pred.y_pred[rows])
        k = robustness.conditions().index(("rotation", 20.0))
        turned = robustness.perturb(digits.X_test[rows].reshape(-1, 8, 8), "rotation", 20.0, seed=0)
        np.testing.assert_array_equal(found["predicted"][k], model.predict(turned.reshape(len(rows), -1)))
    assert artifacts.robustness("is5") is None, "a detector answers another question"


def test_a_rebuild_adds_the_answers_to_a_set_built_without_them_and_trains_nothing(built, digits):
    manifest = json.loads((built / art.MANIFEST).read_text())
    relative = manifest["models"]["rf"]["files"].pop("robust")
    manifest["models"]["rf"]["sha256"].pop(relative)
    manifest["files"].pop(relative)
    (built / art.MANIFEST).write_text(json.dumps(manifest))
    (built / relative).unlink()
    assert open_artifacts(built).robustness("rf") is None
    result = build(dataset=digits, artifacts_dir=built, models="sgd,rf,is5")
    assert result.built == [] and sorted(result.reused) == ["is5", "rf", "sgd"]
    assert open_artifacts(built).robustness("rf")["predicted"].shape == (len(robustness.conditions()), 450)
