"""Score one drawn image quickly: the same numbers as the fitted model, without its per-call overhead.

On one row, most of a forest's or a one-vs-one model's time is scikit-learn's
bookkeeping, not arithmetic: a 100-tree forest dispatches every tree through
joblib (8 ms of 8.4), and one-vs-one SGD validates its input 45 times (18 ms).
:func:`quick_scorer` reads the fitted parameters once and scores a row with
the trees' Cython structures called directly (0.75 ms), with one matrix
product for the 45 one-vs-one or 10 one-vs-rest linear classifiers (0.9 and
0.3 ms), for an RBF support vector machine with the kernel row through BLAS
instead of libsvm's loop over the support vectors (``svc_virtual`` 6.8 -> 2.3 ms),
and for a Euclidean k-NN with one matrix-vector product whose nearest
candidates are then measured exactly (``knn`` 5.3 -> 1.0 ms). Linear models,
networks, standard scalers and PCA projections do their own arithmetic
without scikit-learn's input checks (~0.3 ms a call), and the one-vs-one
votes are two matrix products. The stateless transforms several models share
(pixel scaling, deskewing, gradient histograms) are computed once per input.
A scorer is checked against the model itself on the rows it is given and
falls back to the model whenever they disagree (or the quick path fails), so
a scikit-learn change can slow the Draw page down but never change an
answer. All 12 models of the full set: 26 -> 12 ms.

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

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache, partial

import numpy as np
from scipy.sparse import issparse
from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.extmath import softmax
from threadpoolctl import ThreadpoolController

from core.data.features import GradientHistogram
from core.data.preprocess import Deskew, PixelScaler, ShiftAugmentedClassifier
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
    core = _core(last)
    if core is None or getattr(last, "classes_", np.arange(n_classes)).size != n_classes:
        return slow
    steps = [_step(head) for head in heads]

    def quick(X: np.ndarray) -> tuple[np.ndarray, str]:
        for step in steps:
            X = step(X)
        return core(X)

    expected, kind = slow(check)
    try:
        scores, quick_kind = quick(check)
    except (AttributeError, TypeError, ValueError):
        return slow
    same = quick_kind == kind and scores.shape == expected.shape and np.allclose(scores, expected, rtol=RTOL,
                                                                                atol=RTOL)
    return quick if same else slow


def _core(last) -> Scorer | None:
    """The quick scorer of a final classifier, None for a kind without one."""
    kinds = ((_is_single_output_forest, _forest), (partial(_is_linear, kind=OneVsOneClassifier), _one_vs_one),
             (partial(_is_linear, kind=OneVsRestClassifier), _one_vs_rest), (_is_multiclass_linear, _linear),
             (_is_multiclass_mlp, _mlp), (_is_rbf_svc, _rbf_svc), (_is_euclidean_knn, _knn))
    return next((make(last) for applies, make in kinds if applies(last)), None)


def transform(pipeline: Pipeline, X: np.ndarray) -> np.ndarray:
    """``pipeline.transform(X)`` for a fitted Pipeline of transformers, its steps run as :func:`quick_scorer` runs
    a model's: the same arithmetic without scikit-learn's per-call checks, and the stateless steps shared with
    the models that scored the same rows.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> X, _ = load_digits(return_X_y=True)
    >>> space = make_pipeline(PixelScaler(), PCA(n_components=5, random_state=0)).fit(X)
    >>> bool(np.allclose(transform(space, X[:1]), space.transform(X[:1]), atol=1e-6))
    True
    """
    heads, last = _unwrap(pipeline)
    for step in heads + [last]:
        X = _step(step)(X)
    return X


def _unwrap(model) -> tuple[list, object]:
    """The transformers a model applies before its final classifier, step by step, and that classifier:
    Pipelines are opened (nested ones too) and a shift-augmented classifier scores with its fitted
    ``estimator_``."""
    heads = []
    while True:
        if isinstance(model, Pipeline):
            heads += [step for _, step in model.steps[:-1] if step is not None and step != "passthrough"]
            model = model[-1]
        elif isinstance(model, ShiftAugmentedClassifier) and hasattr(model, "estimator_"):
            model = model.estimator_
        else:
            return heads, model


#: Transformers whose output depends on their parameters and input alone (fitting only checks the rows):
#: the models that share one compute it once per input. On a drawn digit the 12 models ran 19 transforms,
#: ~0.5 ms each of it scikit-learn's input checks; the 10 pixel scalings, 3 deskewings and 2 gradient
#: histograms were the same few results.
STATELESS = (PixelScaler, Deskew, GradientHistogram)
#: Inputs of at most this many rows share their stateless transforms.
SHARED_ROWS = 16
_SHARED = threading.local()


def _step(step) -> Callable[[np.ndarray], np.ndarray]:
    """``step.transform`` as a function of rows. A dense StandardScaler or an unwhitened PCA does the same
    arithmetic, in the same order and types, without scikit-learn's input checks and output wrapping (~0.3 ms
    of each call on one row); a :data:`STATELESS` step is shared (:func:`_transform`)."""
    if type(step) is StandardScaler and hasattr(step, "n_features_in_"):
        mean, scale = step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None

        def standardise(X: np.ndarray) -> np.ndarray:
            X = np.array(X, dtype=X.dtype if X.dtype.kind == "f" else np.float64)
            if mean is not None:
                X -= mean
            if scale is not None:
                X /= scale
            return X
        return standardise
    if type(step) is PCA and hasattr(step, "components_") and not step.whiten:
        components = step.components_
        offset = step.mean_.reshape(1, -1) @ components.T

        def project(X: np.ndarray) -> np.ndarray:
            X = np.asarray(X)
            projected = (X if X.dtype in (np.float64, np.float32) else X.astype(np.float64)) @ components.T
            projected -= offset
            return projected
        return project
    return partial(_transform, step)


def _transform(step, X: np.ndarray) -> np.ndarray:
    """``step.transform(X)``; for a :data:`STATELESS` step on a few rows, the result this thread last
    computed for an equal step and an equal input (read-only, as it is shared)."""
    if not isinstance(step, STATELESS) or np.shape(X)[0] > SHARED_ROWS:
        return step.transform(X)
    X = np.asarray(X)
    key = (type(step), repr(sorted(step.get_params().items())), X.dtype.str, X.shape, X.tobytes())
    memo = _SHARED.__dict__.setdefault("results", OrderedDict())
    if key not in memo:
        result = step.transform(X)
        result.flags.writeable = False
        memo[key] = result
        if len(memo) > 8:
            memo.popitem(last=False)
    return memo[key]


def _forest(forest) -> Scorer:
    """Mean of the trees' class probabilities, each tree's Cython structure called directly, in order (as
    ``predict_proba`` does after checking, per tree, that it is fitted: ~10 us of 18)."""
    trees, n = [tree.tree_ for tree in forest.estimators_], forest.n_classes_

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        X = np.ascontiguousarray(X, dtype=np.float32)
        proba = np.zeros((X.shape[0], n))
        for tree in trees:
            proba += tree.predict(X)[:, :n]
        return (proba / len(trees)).astype(np.float32), "proba"
    return score


def _is_single_output_forest(model) -> bool:
    return isinstance(model, (RandomForestClassifier, ExtraTreesClassifier)) and model.n_outputs_ == 1


def _is_linear(model, *, kind: type) -> bool:
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


def _is_multiclass_linear(model) -> bool:
    """A fitted linear classifier with one row of weights per class (more than two) scoring by its decision
    values, or a logistic regression (whose probabilities are their softmax)."""
    return (isinstance(model, LinearClassifierMixin) and hasattr(model, "coef_") and not issparse(model.coef_)
            and len(model.classes_) > 2 and model.coef_.shape[0] == len(model.classes_)
            and (type(model) is LogisticRegression or not hasattr(model, "predict_proba")))


def _linear(model) -> Scorer:
    """Decision values ``X @ coef_.T + intercept_`` (and a logistic regression's softmax of them)."""
    weights, intercepts, proba = model.coef_, model.intercept_, type(model) is LogisticRegression

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        decision = np.asarray(X) @ weights.T + intercepts
        if proba:
            return softmax(decision, copy=False).astype(np.float32), "proba"
        return decision.astype(np.float32), "decision"
    return score


def _is_multiclass_mlp(model) -> bool:
    """A fitted multiclass network whose output layer is a softmax (its ``predict_proba``)."""
    return (type(model) is MLPClassifier and hasattr(model, "coefs_") and len(model.classes_) > 2
            and model.out_activation_ == "softmax")


def _mlp(mlp: MLPClassifier) -> Scorer:
    """The network's forward pass without its input check: ``predict_proba`` of a multiclass network."""
    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        return mlp._forward_pass_fast(np.asarray(X), check_input=False).astype(np.float32), "proba"
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
    (positive for the second class) is the pair ``k`` of ``np.triu_indices(n, 1)``. Each pair adds to its two
    classes, so the sums over pairs are products with the pairs' class indicators (45 pairs looped in Python
    were 0.7 ms a row)."""
    first_of, second_of = _pair_classes(n)
    second = np.asarray(second, dtype=np.float64)
    votes = (1 - second) @ first_of + second @ second_of
    sums = confidence @ (second_of - first_of)
    return class_columns((votes + sums / (3 * (np.abs(sums) + 1))).astype(np.float32))


@cache
def _pair_classes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indicators ``(pairs, n)`` of each pair's first and second class, pairs in ``np.triu_indices(n, 1)`` order."""
    first_class, second_class = np.triu_indices(n, k=1)
    first, second = np.eye(n)[first_class], np.eye(n)[second_class]
    first.flags.writeable = second.flags.writeable = False
    return first, second


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


def _is_euclidean_knn(model) -> bool:
    """A fitted single-output k-NN classifier on dense features, Euclidean, uniform or distance weights."""
    return (isinstance(model, KNeighborsClassifier) and hasattr(model, "_fit_X") and not issparse(model._fit_X)
            and model.effective_metric_ == "euclidean" and not model.effective_metric_params_
            and model.weights in ("uniform", "distance") and not model.outputs_2d_
            and model.n_samples_fit_ > model.n_neighbors)


#: Candidates a quick k-NN query takes beyond k before checking them exactly.
SPARE = 16


def _knn(knn: KNeighborsClassifier) -> Scorer:
    """The k nearest training rows found with one matrix-vector product (a kd-tree in 40 dimensions visits
    most of the 60,000 rows one by one, 2.7 ms), then checked exactly: the k + SPARE closest by the product
    are measured again, and a row whose exact k-th distance does not clear every other row's lower bound
    (the product's value less its rounding) is left to the model's own query."""
    points = np.asarray(knn._fit_X, dtype=np.float64)
    squares = np.einsum("ij,ij->i", points, points)
    labels, k, n = knn._y, knn.n_neighbors, len(knn.classes_)
    spare = min(k + SPARE, len(points) - 1)
    largest = float(squares.max())

    def slack(x: np.ndarray) -> float:
        """A bound on the rounding of ``squares - 2 * points @ x`` (generous: float64 keeps ~1e-16)."""
        return 1e-9 * (largest + float(x @ x))

    def query(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        rough = squares - 2 * (points @ x)
        part = np.argpartition(rough, spare)
        near, beyond = part[:spare], rough[part[spare]]
        exact = np.sqrt(np.einsum("ij,ij->i", points[near] - x, points[near] - x))
        order = np.lexsort((near, exact))[:k]
        if exact[order[-1]] ** 2 >= beyond + x @ x - 2 * slack(x):
            return None
        return near[order], exact[order]

    def score(X: np.ndarray) -> tuple[np.ndarray, str]:
        X = np.asarray(X, dtype=np.float64)
        proba = np.zeros((X.shape[0], n))
        for i, x in enumerate(X):
            found = query(x)
            if found is None:
                return knn.predict_proba(X).astype(np.float32), "proba"
            rows, distances = found
            weights = np.ones(k) if knn.weights == "uniform" else _inverse(distances)
            np.add.at(proba[i], labels[rows], weights)
        return (proba / proba.sum(axis=1, keepdims=True)).astype(np.float32), "proba"
    return score


def _inverse(distances: np.ndarray) -> np.ndarray:
    """scikit-learn's distance weights: 1 / d, or, when some neighbour is at distance 0, those alone."""
    with np.errstate(divide="ignore"):
        weights = 1.0 / distances
    zero = np.isinf(weights)
    return zero.astype(float) if zero.any() else weights


@cache
def _threads() -> ThreadpoolController:
    """The process's thread pools (OpenMP, BLAS), found once."""
    return ThreadpoolController()


def one_thread():
    """Context in which numeric libraries use one thread: a k-NN query of one row is ~2 ms of work, and
    OpenMP threads waiting for busy cores made it ~90 ms on this 2-core machine (``bench/concepts.py``)."""
    return _threads().limit(limits=1)


__all__ = ["RTOL", "Scorer", "one_thread", "quick_scorer", "transform"]
