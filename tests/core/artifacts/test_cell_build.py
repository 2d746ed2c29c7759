"""The build's per-cell mean maps on the bundled digits: every off-diagonal cell, the most confident mistakes,
added to an older set by a rebuild that trains nothing."""

import json

import numpy as np
import pytest
from scipy.special import softmax

from core import artifacts as art
from core.analysis import attribution
from core.analysis.cell_maps import CELL_IMAGES
from core.artifacts import open_artifacts
from core.artifacts.build import build


@pytest.fixture(scope="module")
def built(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("cells")
    build(dataset=digits, artifacts_dir=root, models="sgd,rf")
    return root


def test_every_off_diagonal_cell_gets_the_mean_map_of_its_most_confident_mistakes(built, digits):
    artifacts = open_artifacts(built)
    for name in ("sgd", "rf"):
        pred = artifacts.predictions(name)
        cells = artifacts.cell_maps(name)
        wrong = pred.y_true != pred.y_pred
        expected = sorted({(int(t), int(p)) for t, p in zip(pred.y_true[wrong], pred.y_pred[wrong])})
        assert [tuple(c) for c in cells["cells"]] == expected
        proba = pred.scores if pred.score_kind == "proba" else softmax(pred.scores / pred.temperature, axis=1)
        model = artifacts.load_model(name)
        k = int(np.argmax(cells["counts"]))
        true, predicted = (int(v) for v in cells["cells"][k])
        rows = np.flatnonzero((pred.y_true == true) & (pred.y_pred == predicted))
        assert cells["counts"][k] == rows.size and cells["used"][k] == min(rows.size, CELL_IMAGES)
        chosen = rows[np.argsort(-proba[rows].max(axis=1), kind="stable")][:CELL_IMAGES]
        np.testing.assert_allclose(cells["images"][k], digits.X_test[chosen].mean(axis=0).reshape(8, 8), atol=1e-4)

        def scored(X, model=model, pred=pred):
            if pred.score_kind == "proba":
                return model.predict_proba(X)
            return softmax(model.decision_function(X) / pred.temperature, axis=1)

        maps = [attribution.occlusion(scored, digits.X_test[i], image_shape=(8, 8), target=predicted,
                                      other=true).values for i in chosen]
        np.testing.assert_allclose(cells["maps"][k], np.mean(maps, axis=0), atol=1e-5)


def test_a_rebuild_adds_the_maps_to_a_set_built_without_them_and_trains_nothing(built, digits):
    manifest = json.loads((built / art.MANIFEST).read_text())
    relative = manifest["models"]["sgd"]["files"].pop("cells")
    manifest["models"]["sgd"]["sha256"].pop(relative)
    manifest["files"].pop(relative)
    (built / art.MANIFEST).write_text(json.dumps(manifest))
    (built / relative).unlink()
    assert open_artifacts(built).cell_maps("sgd") is None
    result = build(dataset=digits, artifacts_dir=built, models="sgd,rf")
    assert result.reused == ["sgd", "rf"] and result.built == []
    assert open_artifacts(built).cell_maps("sgd")["maps"].shape[1:] == (8, 8)
