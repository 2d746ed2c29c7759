"""core.analysis.answers on real data: a drawn stroke as a model row, and digits models' answers to it."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import answers
from core.data.pictures import canvas_to_mnist


def _stroke_canvas(size=280):
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[60:220, 130:150, :3] = 255
    return rgba


def test_digit_row_feeds_both_image_sizes():
    rgba = _stroke_canvas()
    row = answers.digit_row(rgba, image_shape=(28, 28))
    assert row.shape == (1, 784) and row.dtype == np.uint8
    assert np.array_equal(row.reshape(28, 28), canvas_to_mnist(rgba))
    small = answers.digit_row(rgba, image_shape=(8, 8))
    assert small.shape == (1, 64) and small.max() == 255
    image = small.reshape(8, 8)
    assert image[:, 0].max() == 0 and image[:, -1].max() == 0 and image[0].max() > 0
    blank = np.zeros((280, 280, 4), dtype=np.uint8)
    assert answers.digit_row(blank, image_shape=(28, 28)) is None
    with pytest.raises(ValueError, match="square"):
        answers.digit_row(rgba, image_shape=(28, 20))


def test_predict_all_agrees_with_each_model(digits, fitted):
    models = {name: model for name, (model, _, _) in fitted.items()}
    row = digits.X_test[:1]
    votes = answers.predict_all(models, row, class_names=digits.class_names)
    assert list(votes.probabilities.index) == list(models)
    assert np.allclose(votes.probabilities.sum(axis=1), 1.0)
    for name, model in models.items():
        assert votes.summary.loc[name, "predicted"] == str(model.predict(row)[0])
    assert np.allclose(votes.probabilities.loc["logreg"], models["logreg"].predict_proba(row)[0])
    assert np.allclose(votes.summary["confidence"], votes.probabilities.max(axis=1))
    assert votes.agree == (votes.summary["predicted"].nunique() == 1)
    disagreeing = next(i for i in range(len(digits.X_test))
                       if fitted["logreg"][1][i] != fitted["sgd"][1][i])
    assert not answers.predict_all(models, digits.X_test[disagreeing:disagreeing + 1],
                                 class_names=digits.class_names).agree


def test_scores_decide_holds_for_argmax_models_and_catches_a_mismatch(digits, fitted):
    for _, y_pred, scores in fitted.values():
        assert answers.scores_decide(y_pred, scores)
    _, y_pred, scores = fitted["logreg"]
    changed = y_pred.copy()
    changed[0] = (changed[0] + 1) % 10
    assert not answers.scores_decide(changed, scores)
    assert not answers.scores_decide(y_pred[:0], scores[:0])


def test_predict_all_from_scores_answers_like_predict_without_calling_it(digits, fitted):
    class NoPredict:
        """A fitted model whose ``predict`` must not be called."""

        def __init__(self, model):
            self.model = model

        def decision_function(self, X):
            return self.model.decision_function(X)

        def predict(self, X):
            raise AssertionError("predict was called")

    models = {"sgd": NoPredict(fitted["sgd"][0]), "logreg": fitted["logreg"][0]}
    rows = digits.X_test[:40]
    for i in range(len(rows)):
        votes = answers.predict_all(models, rows[i:i + 1], class_names=digits.class_names, from_scores={"sgd"},
                                  temperatures={"sgd": 3.0})
        assert votes.summary.loc["sgd", "predicted"] == str(fitted["sgd"][1][i])
        assert votes.summary.loc["logreg", "predicted"] == str(fitted["logreg"][1][i])
        decision = fitted["sgd"][2][i] / 3.0
        expected = np.exp(decision - decision.max()) / np.exp(decision - decision.max()).sum()
        assert np.allclose(votes.probabilities.loc["sgd"], expected, atol=1e-6)
