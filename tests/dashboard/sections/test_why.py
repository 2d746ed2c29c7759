"""The image dialog's map through AppTest: the contrast class, the score, the map image's size."""

from __future__ import annotations

import base64
import re

import numpy as np
from scipy.special import softmax

from core.artifacts import open_artifacts
from tests.dashboard.apptest import assert_clean, open_app


def test_the_dialog_explains_the_models_answer_against_the_true_label_and_a_picked_class(monkeypatch, artifact_dir):
    stored = open_artifacts(artifact_dir)
    pred = stored.predictions("rf")
    row = int(np.flatnonzero(pred.y_pred != pred.y_true)[0])
    said, true = int(pred.y_pred[row]), int(pred.y_true[row])
    at = open_app(monkeypatch, artifact_dir, state={"detail_model": "rf"})
    at.query_params["image"] = str(row)
    at.switch_page("app_pages/errors.py").run()
    toggle = at.toggle(key=f"detail_why_rf_{row}")
    assert toggle.label.startswith(f"Why does Random forest say {said}?")
    toggle.set_value(True).run()
    assert_clean(at)
    picker = at.selectbox(key=f"detail_why_other_rf_{row}")
    assert picker.value == true and said not in picker.options
    proba = pred.scores[row] if pred.score_kind == "proba" else softmax(pred.scores[row] / pred.temperature)
    caption = next(c.value for c in at.caption if c.value.startswith("occlusion"))
    assert f"p({said}) − p({true}) = {proba[said] - proba[true]:.3f}" in caption
    tiles = next(b.value for b in at.html if "map of why" in b.value)
    png = re.search(r'src="data:image/png;base64,([^"]+)"', tiles)[1]
    assert len(base64.b64decode(png)) <= 2048, "a map travels as a small image"

    other = next(c for c in range(10) if c not in (said, true))
    picker.set_value(other).run()
    assert_clean(at)
    caption = next(c.value for c in at.caption if c.value.startswith("occlusion"))
    assert f"p({said}) − p({other}) = {proba[said] - proba[other]:.3f}" in caption
    assert any(c.value.startswith("Area under the curve") for c in at.caption)


def test_the_dialogs_morph_flips_where_the_model_first_gives_the_true_label(monkeypatch, artifact_dir):
    stored = open_artifacts(artifact_dir)
    pred = stored.predictions("rf")
    explore, space, forest = stored.explore(), stored.load_feature_space(), stored.load_model("rf")
    y_train = stored.data().y_train
    for row in np.flatnonzero(pred.y_pred != pred.y_true)[:10]:
        true = int(pred.y_true[row])
        image = stored.data().X_test[row].astype(float)
        query = space.transform(image[None])[0]
        of_class = np.flatnonzero(y_train == true)
        toward = of_class[np.argmin(((explore["train_features"][of_class] - query) ** 2).sum(axis=1))]
        end = explore["train_images"][toward].astype(float)
        path = [np.clip(np.rint((1 - a) * image + a * end), 0, 255) for a in np.linspace(0, 1, 21)]
        answers = forest.predict_proba(np.array(path)).argmax(axis=1)
        if (answers == true).any():
            break
    flip = int(np.argmax(answers == true))
    at = open_app(monkeypatch, artifact_dir, state={"detail_model": "rf"})
    at.query_params["image"] = str(row)
    at.switch_page("app_pages/errors.py").run()
    at.toggle(key=f"detail_why_rf_{row}").set_value(True).run()
    assert_clean(at)
    assert any(f"towards training image #{toward}, the nearest **{true}**" in m.value for m in at.markdown)
    assert any(f"Random forest first says {true} at step {flip} of 20" in c.value for c in at.caption)
