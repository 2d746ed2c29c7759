"""core.models.quick: the Draw page's quick scorers give the models' own scores, on a real MNIST slice."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.decomposition import PCA
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from core.data.features import GradientHistogram, VirtualSVClassifier
from core.data.preprocess import Deskew, PixelScaler
from core.models import quick
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
    "sgd": lambda: make_pipeline(PixelScaler(), StandardScaler(), _sgd()),
    "mlp": lambda: make_pipeline(PixelScaler(), MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=30,
                                                              random_state=0)),
    "knn": lambda: make_pipeline(PixelScaler(), PCA(n_components=40, random_state=0),
                                 KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm="kd_tree")),
    "knn_uniform": lambda: make_pipeline(PixelScaler(), KNeighborsClassifier(n_neighbors=5)),
    # sgd_ovr's decision values reach the thousands here, so its quick path never passes the check; with a
    # stronger penalty they stay below ~50 and the one-vs-rest quick path is the one used (and tested)
    "sgd_ovr_small_weights": lambda: make_pipeline(PixelScaler(), StandardScaler(), OneVsRestClassifier(
        SGDClassifier(alpha=0.1, max_iter=20, tol=None, random_state=0))),
}


#: Models whose quick path reproduces them to float32 on any data (a linear one-vs-rest model's decision
#: values in the thousands, summed in another order, can differ by more than the check's tolerance).
ALWAYS_QUICK = {"rf", "extra_trees", "sgd_ovo", "svc", "virtual_svc_hog", "knn", "knn_uniform", "logreg", "sgd",
                "mlp"}
#: Models whose quick path reproduces them on this slice, though not on any data.
QUICK_HERE = ALWAYS_QUICK | {"sgd_ovr_small_weights"}


def own_scores(model, X):
    """The fitted scikit-learn model's own answer: probabilities when it has them, else decision values."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X), "proba"
    return model.decision_function(X), "decision"


@pytest.fixture(scope="module")
def fitted(mnist_small):
    X, y = mnist_small.X_train[:1500], mnist_small.y_train[:1500]
    return {name: make().fit(X, y) for name, make in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_quick_scores_equal_the_models_on_every_test_image(mnist_small, fitted, name):
    model, X = fitted[name], mnist_small.X_test
    score = quick_scorer(model, n_classes=10, check=X[:8])
    expected, kind = own_scores(model, X)  # from scikit-learn, not model_scores: a fallback is checked too
    rows = [score(X[i:i + 1]) for i in range(0, len(X), 5)]
    assert {k for _, k in rows} == {kind}
    got = np.vstack([s for s, _ in rows])
    np.testing.assert_allclose(got, expected[::5], rtol=1e-4, atol=1e-4)
    assert np.array_equal(got.argmax(axis=1), expected[::5].argmax(axis=1))
    if name in QUICK_HERE:
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


def test_a_quick_path_that_fails_leaves_the_answer_to_the_model(mnist_small, fitted, monkeypatch):
    """A scikit-learn whose network no longer takes ``check_input``: the model answers, as it did."""
    forward = MLPClassifier._forward_pass_fast
    monkeypatch.setattr(MLPClassifier, "_forward_pass_fast", lambda self, X: forward(self, X))
    model, row = fitted["mlp"], mnist_small.X_test[40:41]
    score = quick_scorer(model, n_classes=10, check=mnist_small.X_test[:8])
    assert isinstance(score, partial)
    assert np.array_equal(score(row)[0], model_scores(model, row, n_classes=10)[0])


def test_a_k_nn_query_whose_neighbours_tie_beyond_the_candidates_is_left_to_the_model(mnist_small):
    """Forty copies of one training image are all at the k-th distance: the quick query cannot tell which of
    them the model's own query keeps, so it asks the model, and the scores stay the model's."""
    X, y = mnist_small.X_train[:1000].astype(np.float64), mnist_small.y_train[:1000]
    copies = np.repeat(X[:1], 40, axis=0)
    labels = np.r_[y, np.resize(np.unique(y), 40)]
    model = KNeighborsClassifier(n_neighbors=3).fit(np.vstack([X, copies]), labels)
    score = quick_scorer(model, n_classes=10, check=mnist_small.X_test[:8])
    assert not isinstance(score, partial)
    asked = []
    own = model.predict_proba
    model.predict_proba = lambda rows: asked.append(len(rows)) or own(rows)
    other = mnist_small.X_test[8:9]
    assert np.array_equal(score(other)[0], model_scores(model, other, n_classes=10)[0]) and asked == [1]
    row = X[:1] + 1.0
    expected, _ = model_scores(model, row, n_classes=10)
    assert np.array_equal(score(row)[0], expected) and asked == [1, 1, 1], "the tie went to the model"


def test_models_sharing_a_stateless_transform_compute_it_once_per_input(mnist_small, fitted, monkeypatch):
    scorers = [quick_scorer(fitted[name], n_classes=10, check=mnist_small.X_test[:8]) for name in ("rf", "svc", "knn")]
    quick._SHARED.__dict__.clear()
    calls = []
    original = PixelScaler.transform
    monkeypatch.setattr(PixelScaler, "transform", lambda self, X: calls.append(len(X)) or original(self, X))
    first, second = mnist_small.X_test[30:31], mnist_small.X_test[31:32]
    answers = [score(first)[0] for score in scorers]
    assert calls == [1], "three models scaled the same row once"
    assert [score(second)[0].argmax() for score in scorers] and calls == [1, 1]
    for name, got in zip(("rf", "svc", "knn"), answers):
        np.testing.assert_allclose(got, model_scores(fitted[name], first, n_classes=10)[0], rtol=1e-5, atol=1e-6)
