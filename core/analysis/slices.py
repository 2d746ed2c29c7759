"""Error slices: kinds of digits (true digit + image properties) on which a model errs far more than overall.

Shallow decision trees (scikit-learn, depth :data:`DEPTH`) are fitted to
predict "the model is wrong" from the stored image properties
(:mod:`core.data.properties`): one over all test images and one within each true
digit. Every leaf whose error rate is at least :data:`MIN_LIFT` times the
overall rate, with at least :data:`MIN_ERRORS` errors, is a slice; the rule is
the path to the leaf with bounds on one property merged into one. Slices are
ranked by their excess errors (errors beyond what the overall rate predicts
for their size), so a large slice with a moderate lift ranks beside a small,
extreme one.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> props = pd.DataFrame({"slant": rng.uniform(-1, 1, 2000), "loops": rng.integers(0, 3, 2000)})
>>> y = rng.integers(0, 3, 2000)
>>> wrong = (props["slant"].to_numpy() > 0.5) & (y == 2)
>>> top = find_slices(props, y_true=y, wrong=wrong, class_names=["0", "1", "2"]).slices[0]
>>> top.describe(), top.error_rate
('true 2, slant > 0.50', 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from core.analysis.intervals import rate_text, thin, wilson
from core.data.properties import PROPERTIES

DEPTH = 3
MIN_LIFT = 2.0
MIN_ERRORS = 3
#: Smallest leaf: this share of the images, at least :data:`MIN_LEAF` images.
LEAF_SHARE = 0.005
MIN_LEAF = 10
MAX_SLICES = 12
TRUE = "true"


@dataclass(frozen=True)
class Condition:
    """One part of a slice rule: ``feature`` ``op`` ``value`` with ``op`` in ``"<="``, ``">"``, ``"=="``."""

    feature: str
    op: str
    value: float

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        """Whether each row of ``frame`` (properties plus a ``true`` column) meets the condition."""
        column = np.asarray(frame[self.feature], dtype=np.float64)
        return {"<=": column <= self.value, ">": column > self.value, "==": column == self.value}[self.op]

    def words(self, class_names, frame_dtypes) -> str:
        """The condition as a reader would say it (integer properties in whole numbers)."""
        if self.feature == TRUE:
            return f"true {class_names[int(self.value)]}"
        name, unit = PROPERTIES.get(self.feature, (self.feature, ""))
        if frame_dtypes.get(self.feature) == "bool":
            return name if self.op == ">" else f"not {name}"
        if np.issubdtype(frame_dtypes.get(self.feature, np.float64), np.integer):
            whole = int(np.floor(self.value))
            text = f"{name} {'=' if whole == 0 else '≤'} {whole}" if self.op == "<=" else f"{name} ≥ {whole + 1}"
        else:
            text = f"{name} {'≤' if self.op == '<=' else '>'} {self.value:.2f}"
        return f"{text} {unit}".rstrip()


@dataclass(frozen=True)
class Slice:
    """A rule (conditions, all must hold) and what the model does on the images it selects."""

    conditions: tuple[Condition, ...]
    words: tuple[str, ...]
    size: int
    errors: int
    error_rate: float
    lift: float
    share_of_errors: float

    def describe(self) -> str:
        """The rule in words, e.g. ``"true 7, slant > 0.35, thickness ≤ 1.80 px"``."""
        return ", ".join(self.words)

    @property
    def rate_text(self) -> str:
        """The error rate with its 95% Wilson interval, marked thin for a slice under 30 images."""
        return rate_text(self.errors, self.size)

    def select(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows of ``frame`` (properties plus ``true``) the rule selects, as a bool mask."""
        mask = np.ones(len(frame), dtype=bool)
        for condition in self.conditions:
            mask &= condition.holds(frame)
        return mask


@dataclass(frozen=True, eq=False)
class SliceReport:
    """The slices of one model, best first, with its overall error rate and error count."""

    slices: tuple[Slice, ...]
    overall_rate: float
    n_errors: int
    n_images: int


def _merged(path: list[Condition]) -> tuple[Condition, ...]:
    """One lower and one upper bound per property (the tightest on the path); equalities kept."""
    out: dict[tuple[str, str], Condition] = {}
    for c in path:
        old = out.get((c.feature, c.op))
        if old is None or (c.op == "<=" and c.value < old.value) or (c.op == ">" and c.value > old.value):
            out[(c.feature, c.op)] = c
    return tuple(sorted(out.values(), key=lambda c: (c.feature != TRUE, c.feature, c.op)))


def _words(conditions: tuple[Condition, ...], class_names, dtypes) -> tuple[str, ...]:
    """Each condition in words; a float property bounded on both sides becomes one range
    ("1.73 < thickness ≤ 1.89 px")."""
    bounds: dict[str, dict[str, Condition]] = {}
    for c in conditions:
        bounds.setdefault(c.feature, {})[c.op] = c
    out = []
    for feature, ops in bounds.items():
        if {"<=", ">"} <= set(ops) and np.issubdtype(dtypes.get(feature, np.float64), np.floating):
            name, unit = PROPERTIES.get(feature, (feature, ""))
            out.append(f"{ops['>'].value:.2f} < {name} ≤ {ops['<='].value:.2f} {unit}".rstrip())
        else:
            out += [c.words(class_names, dtypes) for c in ops.values()]
    return tuple(out)


def _leaf_rules(tree: DecisionTreeClassifier, columns: list[str]) -> dict[int, list[Condition]]:
    inner = tree.tree_
    rules: dict[int, list[Condition]] = {}
    stack = [(0, [])]
    while stack:
        node, path = stack.pop()
        if inner.children_left[node] == -1:
            rules[node] = path
            continue
        feature, threshold = columns[inner.feature[node]], float(inner.threshold[node])
        stack.append((inner.children_left[node], [*path, Condition(feature, "<=", threshold)]))
        stack.append((inner.children_right[node], [*path, Condition(feature, ">", threshold)]))
    return rules


def _tree_slices(X: pd.DataFrame, wrong: np.ndarray, base: list[Condition], *, min_leaf: int, seed: int):
    """``(conditions, size, errors)`` of every leaf of a shallow tree fitted on ``X`` (plus the root itself)."""
    yield tuple(base), len(wrong), int(wrong.sum())
    if wrong.all() or not wrong.any() or len(wrong) < 2 * min_leaf:
        return
    tree = DecisionTreeClassifier(max_depth=DEPTH, min_samples_leaf=min_leaf, random_state=seed)
    tree.fit(X.to_numpy(dtype=np.float32), wrong)
    leaves = tree.apply(X.to_numpy(dtype=np.float32))
    for leaf, path in _leaf_rules(tree, list(X.columns)).items():
        members = leaves == leaf
        yield _merged([*base, *path]), int(members.sum()), int(wrong[members].sum())


def find_slices(properties: pd.DataFrame, *, y_true, wrong, class_names, seed: int = 0,
                max_slices: int = MAX_SLICES) -> SliceReport:
    """The error slices of a model whose mistakes on the test images are ``wrong`` (bool per image).

    Parameters
    ----------
    properties : one row per test image (:func:`core.data.properties.image_properties`)
    y_true : true class per image
    wrong : whether the model errs on each image
    class_names : names of the classes, for the rules in words
    """
    wrong = np.asarray(wrong, dtype=bool)
    y_true = np.asarray(y_true)
    n, n_errors = len(wrong), int(wrong.sum())
    overall = n_errors / max(n, 1)
    min_leaf = max(MIN_LEAF, int(LEAF_SHARE * n))
    dtypes = {**{c: properties[c].dtype for c in properties}, TRUE: np.dtype(np.int64)}
    candidates = list(_tree_slices(properties, wrong, [], min_leaf=min_leaf, seed=seed))[1:]
    for digit in np.unique(y_true):
        rows = y_true == digit
        candidates += _tree_slices(properties[rows].reset_index(drop=True), wrong[rows],
                                   [Condition(TRUE, "==", float(digit))], min_leaf=min_leaf, seed=seed)
    found: dict[tuple, Slice] = {}
    for conditions, size, errors in candidates:
        rate = errors / size if size else 0.0
        if size == 0 or errors < MIN_ERRORS or overall == 0 or rate < MIN_LIFT * overall:
            continue
        found.setdefault(conditions, Slice(
            conditions=conditions, words=_words(conditions, class_names, dtypes), size=size,
            errors=errors, error_rate=rate, lift=rate / overall, share_of_errors=errors / n_errors))
    ranked = sorted(found.values(), key=lambda s: (-(s.errors - s.size * overall), -s.lift))
    return SliceReport(slices=tuple(ranked[:max_slices]), overall_rate=overall, n_errors=n_errors, n_images=n)


def with_truth(properties: pd.DataFrame, y_true) -> pd.DataFrame:
    """``properties`` with the ``true`` column a rule's :meth:`Slice.select` reads."""
    return properties.assign(**{TRUE: np.asarray(y_true)})


def error_by_bins(values, wrong, *, bins: int = 8, per_value: int = 16) -> pd.DataFrame:
    """The error rate against one property: ``bin`` (label), ``images``, ``errors``, ``error_rate`` per bin, its
    95% Wilson interval (``low``, ``high``) and ``thin`` (fewer than :data:`core.analysis.intervals.THIN` images).

    Properties with at most ``per_value`` distinct values get one bin per value, and so do those whose quantile
    edges merge into one bin (one value dominates, e.g. the height of digits fitted into 20 px); others get
    ``bins`` quantile bins (equal numbers of images, edges made unique).
    A property with one value gets one bin: nothing to compare.

    >>> error_by_bins(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]))["error_rate"].tolist()
    [0.5, 1.0, 0.0]
    """
    values = np.asarray(values, dtype=np.float64)
    wrong = np.asarray(wrong, dtype=bool)
    distinct = np.unique(values)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
    if len(distinct) <= per_value or len(edges) < 3:
        codes = np.searchsorted(distinct, values)
        labels = [f"{v:g}" for v in distinct]
    else:
        codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
        labels = [f"{lo:.3g}–{hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:])]
    images = np.bincount(codes, minlength=len(labels))
    errors = np.bincount(codes, weights=wrong, minlength=len(labels)).astype(np.int64)
    keep = images > 0
    interval = wilson(errors[keep], images[keep])
    return pd.DataFrame({"bin": np.asarray(labels)[keep], "images": images[keep], "errors": errors[keep],
                         "error_rate": errors[keep] / images[keep], "low": interval.low, "high": interval.high,
                         "thin": thin(images[keep])})
