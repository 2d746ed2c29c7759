"""Score one drawn image quickly: the same numbers as the fitted model, without its per-call overhead.

On one row, most of a forest's or a one-vs-one model's time is scikit-learn's
bookkeeping, not arithmetic: a 100-tree forest dispatches every tree through
joblib (8 ms of 8.4), and one-vs-one SGD validates its input 45 times (18 ms).
:func:`quick_scorer` reads the fitted parameters once and scores a row with
the trees called directly (1.9 ms), with one matrix product for the 45
one-vs-one or 10 one-vs-rest linear classifiers (1.2 and 0.2 ms), or, for an
RBF support vector machine, with the kernel row through BLAS instead of
libsvm's loop over the support vectors (``best`` 6.8 -> 4.3 ms, of which
1.4 ms is its deskewing and gradient histograms). It is checked against the model itself on the rows it is given
and falls back to the model whenever they disagree, so a scikit-learn change
can slow the Draw page down but never change an answer.

Examples
--------
>>> from sklearn.datasets import load_digits
>>> from sklearn.ensemble import RandomForestClassifier
>>> X, y = load_digits(return_X_y=True)
>>> forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
>>> score = quick_scorer(forest, n_classes=10, check=X[:5])
>>> score(X[:1])[1]
'proba'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from scipy.sparse import issparse
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from threadpoolctl import ThreadpoolController

from core.data.preprocess import ShiftAugmentedClassifier
from core.models.training import class_columns, model_scores

Scorer = Callable[[np.ndarray], tuple[np.ndarray, str]]
#: Largest relative difference from the model's own scores that still counts as the same scores.
RTOL = 1e-5


def quick_scorer(model, *, n_classes: int, check: np.ndarray) -> Scorer:
    """A function ``X -> (scores, kind)`` equal to ``model_scores(model, X, n_classes=n_classes)``.

    Parameters
    ----------
    model : fitted estimator or Pipeline, as stored by a build
    n_classes : number of classes of the data set
    check : rows (raw pixels, as the model takes them) the quick path must reproduce; when it does
        not (or the model is of another kind) the model itself is returned, wrapped.
    """
    slow = partial(model_scores, model, n_classes=n_classes)
    heads, last = _unwrap(model)
    core = _forest(last) if isinstance(last, (RandomForestClassifier, ExtraTreesClassifier)) else (
        _one_vs_one(last) if _is_linear(last, OneVsOneClassifier) else (
            _one_vs_rest(last) if _is_linear(last, OneVsRestClassifier) else (
                _rbf_svc(last) if _is_rbf_svc(last) else None)))
    if core is None or getattr(last, "classes_", np.arange(n_classes)).size != n_classes:
        return slow

    def quick(X: np.ndarray) -> tuple[np.ndarray, str]:
        for head in heads:
            X = head.transform(X)
        return core(X)

    expected, kind = slow(check)
    scores, quick_kind = quick(check)
    same = quick_kind == kind and scores.shape == expected.shape and np.allclose(scores, expected, rtol=RTOL,
                                                                                atol=RTOL)
    return quick if same else slow


def _unwrap(model) -> tuple[list, object]:
    """The transforms a model applies before its final classifier, and that classifier: Pipelines are opened
    (nested ones too) and a shift-augmented classifier scores with its fitted ``estimator_``."""
    heads = []
    while True:
        if isinstance(model, Pipeline):
            heads += [model[:-1]] if len(model) > 1 else []
            model = model[-1]
        elif isinstance(model, ShiftAugmentedClassifier) and hasattr(model, "estimator_"):
            model = model.estimator_
        else:
            return heads, model


def _forest(forest) -> Scorer:
    """Mean of the trees' class probabilities, each tree called directly (as the forest does, in order)."""
    trees = list(forest.estimators_)

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        X = np.ascontiguousarray(X, dtype=np.float32)
        proba = np.zeros((X.shape[0], forest.n_classes_))
        for tree in trees:
            proba += tree.predict_proba(X, check_input=False)
        return (proba / len(trees)).astype(np.float32), "proba"
    return score


def _is_linear(model, kind: type) -> bool:
    """A fitted one-vs-one or one-vs-rest model of binary linear classifiers on all the features."""
    return (isinstance(model, kind) and getattr(model, "pairwise_indices_", None) is None
            and len(model.classes_) > 2 and not getattr(model, "multilabel_", False)
            and all(isinstance(e, LinearClassifierMixin) and e.coef_.shape[0] == 1 for e in model.estimators_))


def _one_vs_rest(ovr: OneVsRestClassifier) -> Scorer:
    """Every class's decision value in one matrix product."""
    weights = np.vstack([e.coef_ for e in ovr.estimators_])
    intercepts = np.concatenate([e.intercept_ for e in ovr.estimators_])

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        return class_columns((np.asarray(X) @ weights.T + intercepts).astype(np.float32)), "decision"
    return score


def _one_vs_one(ovo: OneVsOneClassifier) -> Scorer:
    """One-vs-one votes plus scaled confidences (scikit-learn's rule), all pairs in one matrix product."""
    estimators = ovo.estimators_
    weights = np.vstack([e.coef_ for e in estimators])
    intercepts = np.concatenate([e.intercept_ for e in estimators])
    labels = np.vstack([e.classes_ for e in estimators])
    n = len(ovo.classes_)
    pairs = np.arange(n * (n - 1) // 2)

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        confidence = np.asarray(X) @ weights.T + intercepts
        return _votes(labels[pairs, (confidence > 0).astype(int)] == 1, confidence, n), "decision"
    return score


def _votes(second: np.ndarray, confidence: np.ndarray, n: int) -> np.ndarray:
    """Per class: one-vs-one votes plus confidences scaled into (-1/3, 1/3), as scikit-learn's
    ``_ovr_decision_function``; column ``k`` of ``second`` (the pair's second class won) and ``confidence``
    (positive for the second class) is the pair ``k`` of ``np.triu_indices(n, 1)``."""
    first_class, second_class = np.triu_indices(n, k=1)
    votes = np.zeros((confidence.shape[0], n))
    sums = np.zeros((confidence.shape[0], n))
    for k, (i, j) in enumerate(zip(first_class, second_class)):
        sums[:, i] -= confidence[:, k]
        sums[:, j] += confidence[:, k]
        votes[~second[:, k], i] += 1
        votes[second[:, k], j] += 1
    return class_columns((votes + sums / (3 * (np.abs(sums) + 1))).astype(np.float32))


def _is_rbf_svc(model) -> bool:
    """A fitted multiclass RBF-kernel SVC on dense support vectors, scoring one-vs-rest."""
    return (isinstance(model, SVC) and model.kernel == "rbf" and hasattr(model, "support_vectors_")
            and not issparse(model.support_vectors_) and len(model.classes_) > 2
            and model.decision_function_shape == "ovr")


def _rbf_svc(svc: SVC) -> Scorer:
    """libsvm's one-vs-one decisions as two matrix products: the kernel row against every support vector
    (through BLAS, not libsvm's per-vector loop) and each pair's dual coefficients."""
    vectors = np.asarray(svc.support_vectors_, dtype=np.float64)
    squares = np.einsum("ij,ij->i", vectors, vectors)
    n = len(svc.classes_)
    starts = np.r_[0, np.cumsum(svc.n_support_)]
    weights = np.zeros((n * (n - 1) // 2, vectors.shape[0]))
    for k, (i, j) in enumerate(zip(*np.triu_indices(n, k=1))):
        weights[k, starts[i]:starts[i + 1]] = svc.dual_coef_[j - 1, starts[i]:starts[i + 1]]
        weights[k, starts[j]:starts[j + 1]] = svc.dual_coef_[i, starts[j]:starts[j + 1]]
    gamma, intercepts = float(svc._gamma), np.asarray(svc.intercept_, dtype=np.float64)

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        X = np.asarray(X, dtype=np.float64)
        distances = squares[None, :] - 2 * X @ vectors.T + np.einsum("ij,ij->i", X, X)[:, None]
        decision = np.exp(-gamma * np.maximum(distances, 0)) @ weights.T + intercepts
        return _votes(decision < 0, -decision, n), "decision"
    return score


@cache
def _threads() -> ThreadpoolController:
    """The process's thread pools (OpenMP, BLAS), found once."""
    return ThreadpoolController()


def one_thread():
    """Context in which numeric libraries use one thread: a k-NN query of one row is ~2 ms of work, and
    OpenMP threads waiting for busy cores made it ~90 ms on this 2-core machine (``bench/concepts.py``)."""
    return _threads().limit(limits=1)


__all__ = ["RTOL", "Scorer", "one_thread", "quick_scorer"]
