"""Score one drawn image quickly: the same numbers as the fitted model, without its per-call overhead.

On one row, most of a forest's or a one-vs-one model's time is scikit-learn's
bookkeeping, not arithmetic: a 100-tree forest dispatches every tree through
joblib (8 ms of 8.4), and one-vs-one SGD validates its input 45 times (18 ms).
:func:`quick_scorer` reads the fitted parameters once and scores a row with
the trees called directly (1.9 ms), or with one matrix product for the 45
one-vs-one or 10 one-vs-rest linear classifiers (1.2 and 0.2 ms). It is checked against the model itself on the rows it is given
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
from sklearn.pipeline import Pipeline
from threadpoolctl import ThreadpoolController

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
    head, last = (model[:-1], model[-1]) if isinstance(model, Pipeline) and len(model) > 1 else (None, model)
    core = _forest(last) if isinstance(last, (RandomForestClassifier, ExtraTreesClassifier)) else (
        _one_vs_one(last) if _is_linear(last, OneVsOneClassifier) else (
            _one_vs_rest(last) if _is_linear(last, OneVsRestClassifier) else None))
    if core is None or getattr(last, "classes_", np.arange(n_classes)).size != n_classes:
        return slow

    def quick(X: np.ndarray) -> tuple[np.ndarray, str]:
        return core(X if head is None else head.transform(X))

    expected, kind = slow(check)
    scores, quick_kind = quick(check)
    same = quick_kind == kind and scores.shape == expected.shape and np.allclose(scores, expected, rtol=RTOL,
                                                                                atol=RTOL)
    return quick if same else slow


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
    first, second = np.triu_indices(n, k=1)
    pairs = np.arange(first.size)

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        confidence = np.asarray(X) @ weights.T + intercepts
        predicted = labels[pairs, (confidence > 0).astype(int)]
        votes = np.zeros((confidence.shape[0], n))
        sums = np.zeros((confidence.shape[0], n))
        for k, (i, j) in enumerate(zip(first, second)):
            sums[:, i] -= confidence[:, k]
            sums[:, j] += confidence[:, k]
            votes[predicted[:, k] == 0, i] += 1
            votes[predicted[:, k] == 1, j] += 1
        decision = votes + sums / (3 * (np.abs(sums) + 1))
        return class_columns(decision.astype(np.float32)), "decision"
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
