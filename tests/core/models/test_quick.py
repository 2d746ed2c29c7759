"""core.models.quick: the Draw page's quick scorers give the models' own scores, on a real MNIST slice."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from core.data.features import GradientHistogram, VirtualSVClassifier
from core.data.preprocess import Deskew, PixelScaler
from core.models.quick import quick_scorer
from core.models.training import model_scores


def _sgd():
    return SGDClassifier(max_iter=20, tol=None, random_state=0)


MODELS = {
    "rf": lambda: make_pipeline(PixelScaler(), RandomForestClassifier(n_estimators=30, random_state=0)),
    "extra_trees": lambda: make_pipeline(PixelScaler(), ExtraTreesClassifier(n_estimators=30, random_state=0)),
    "sgd_ovo": lambda: make_pipeline(PixelScaler(), StandardScaler(), OneVsOneClassifier(_sgd())),
    "sgd_ovr": lambda: make_pipeline(PixelScaler(), StandardScaler(), OneVsRestClassifier(_sgd())),
    "svc": lambda: make_pipeline(PixelScaler(), SVC(gamma="scale")),
    "virtual_svc_hog": lambda: make_pipeline(Deskew(), VirtualSVClassifier(
        estimator=make_pipeline(GradientHistogram(), SVC(C=5.0, gamma=1.5)))),
    "logreg": lambda: make_pipeline(PixelScaler(), LogisticRegression(max_iter=200)),
}


#: Models whose quick path reproduces them to float32 on any data (a linear one-vs-rest model's decision
#: values in the thousands can differ by more than the check's tolerance, and logistic regression has none).
ALWAYS_QUICK = {"rf", "extra_trees", "sgd_ovo", "svc", "virtual_svc_hog"}


@pytest.fixture(scope="module")
def fitted(mnist_small):
    X, y = mnist_small.X_train[:1500], mnist_small.y_train[:1500]
    return {name: make().fit(X, y) for name, make in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_quick_scores_equal_the_models_on_every_test_image(mnist_small, fitted, name):
    model, X = fitted[name], mnist_small.X_test
    score = quick_scorer(model, n_classes=10, check=X[:8])
    expected, kind = model_scores(model, X, n_classes=10)
    rows = [score(X[i:i + 1]) for i in range(0, len(X), 5)]
    assert {k for _, k in rows} == {kind}
    got = np.vstack([s for s, _ in rows])
    np.testing.assert_allclose(got, expected[::5], rtol=1e-4, atol=1e-4)
    assert np.array_equal(got.argmax(axis=1), expected[::5].argmax(axis=1))
    if name in ALWAYS_QUICK:
        assert not isinstance(score, partial), "the quick path reproduced the model, so it is the one used"


class SharpForest(RandomForestClassifier):
    """A forest whose probabilities are not the mean of its trees' (as a future scikit-learn's might not be)."""

    def predict_proba(self, X):
        proba = super().predict_proba(X) ** 2
        return proba / proba.sum(axis=1, keepdims=True)


def test_a_model_the_quick_path_cannot_reproduce_is_asked_itself(mnist_small):
    X, y = mnist_small.X_train[:1500], mnist_small.y_train[:1500]
    model = make_pipeline(PixelScaler(), SharpForest(n_estimators=20, random_state=0)).fit(X, y)
    score = quick_scorer(model, n_classes=10, check=mnist_small.X_test[:8])
    row = mnist_small.X_test[20:21]
    expected, _ = model_scores(model, row, n_classes=10)
    assert np.array_equal(score(row)[0], expected)
    mean_of_trees = np.mean([t.predict_proba(PixelScaler().fit_transform(row)) for t in model[-1].estimators_], axis=0)
    assert not np.allclose(expected, mean_of_trees, atol=1e-3)

