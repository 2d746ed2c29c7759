"""Is model A really better than model B? The exact McNemar test on paired predictions.

Two models that answer the same test images differ only on the images exactly
one of them gets right: ``only_a`` (A right, B wrong) and ``only_b`` (B right,
A wrong). Under the null hypothesis that both are equally good, each of those
``only_a + only_b`` discordant images is A's with probability 1/2, so
``only_a ~ Binomial(only_a + only_b, 1/2)``. The exact two-sided p-value is
``min(1, 2 · P(X <= min(only_a, only_b)))``; with no discordant images it is 1.
Images both get right or both get wrong carry no evidence either way.

Comparing many pairs at once inflates the chance of a false "significant";
:func:`holm` corrects a family of p-values (Holm, 1979), and
:func:`pairwise` does both for a set of models.

Examples
--------
>>> test = mcnemar_counts(8, 2)
>>> test.p
0.109375
>>> verdict(test)
'not significant at 5%: 8 vs 2 images'
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import binom

ALPHA = 0.05


@dataclass(frozen=True)
class McNemar:
    """The exact McNemar test of two models on the same images."""

    only_a: int          # images A gets right and B wrong
    only_b: int          # images B gets right and A wrong
    p: float             # exact two-sided p-value

    @property
    def discordant(self) -> int:
        """Images exactly one of the two models gets right."""
        return self.only_a + self.only_b


def exact_p(only_a, only_b):
    """Exact two-sided McNemar p-value from the discordant counts, elementwise over arrays.

    Parameters
    ----------
    only_a, only_b : int or array of int
        Images only A gets right, images only B gets right.

    Returns
    -------
    float or np.ndarray
        ``min(1, 2 · P(X <= min(only_a, only_b)))`` with
        ``X ~ Binomial(only_a + only_b, 1/2)``; 1 where both counts are 0.

    Examples
    --------
    >>> exact_p(np.array([8, 5, 0]), np.array([2, 5, 0])).tolist()
    [0.109375, 1.0, 1.0]
    """
    b = np.asarray(only_a, dtype=np.int64)
    c = np.asarray(only_b, dtype=np.int64)
    if np.any(b < 0) or np.any(c < 0):
        raise ValueError("discordant counts must be non-negative.")
    n = b + c
    p = np.where(n == 0, 1.0, np.minimum(1.0, 2.0 * binom.cdf(np.minimum(b, c), n, 0.5)))
    return float(p) if p.ndim == 0 else p


def mcnemar_counts(only_a: int, only_b: int) -> McNemar:
    """The test from the two discordant counts.

    Examples
    --------
    >>> mcnemar_counts(0, 0)
    McNemar(only_a=0, only_b=0, p=1.0)
    """
    return McNemar(int(only_a), int(only_b), exact_p(int(only_a), int(only_b)))


def mcnemar(y_true, pred_a, pred_b) -> McNemar:
    """The exact McNemar test of predictions ``pred_a`` against ``pred_b`` on the same rows.

    Examples
    --------
    >>> y = np.array([0, 1, 2, 3, 4])
    >>> mcnemar(y, np.array([0, 1, 2, 0, 0]), np.array([0, 0, 0, 3, 0]))
    McNemar(only_a=2, only_b=1, p=1.0)
    """
    y_true, right_a = _right(y_true, pred_a)
    _, right_b = _right(y_true, pred_b)
    return mcnemar_counts(int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a)))


def verdict(test: McNemar, *, alpha: float = ALPHA) -> str:
    """The test in plain words: significant or not at ``alpha``, and the two discordant counts.

    The counts read as "A right where B is wrong" vs "B right where A is wrong".

    Examples
    --------
    >>> verdict(mcnemar_counts(31, 26))
    'not significant at 5%: 31 vs 26 images'
    >>> verdict(mcnemar_counts(40, 12), alpha=0.01)
    'significant at 1%: 40 vs 12 images'
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    words = "significant" if test.p < alpha else "not significant"
    return f"{words} at {alpha * 100:g}%: {test.only_a} vs {test.only_b} images"


def holm(p_values) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values, in the order given.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1``
    (``i`` from 1), the results are made non-decreasing in that order and
    capped at 1. Rejecting where the adjusted value is below ``alpha`` keeps
    the chance of any false rejection in the family at most ``alpha``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}.")
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1].")
    order = np.argsort(p, kind="stable")
    scaled = p[order] * np.arange(p.size, 0, -1)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def pairwise(y_true, predictions, *, alpha: float = ALPHA) -> pd.DataFrame:
    """The exact McNemar test for every pair of models, Holm-corrected across the pairs.

    Parameters
    ----------
    y_true : array of int, shape (n,)
    predictions : mapping of str to array of int, shape (n,)
        Model name -> its predictions on the same rows; pairs follow the
        mapping's order (first with second, first with third, ...).
    alpha : float
        The level of the ``verdict`` column, read against ``p_holm``.

    Returns
    -------
    pd.DataFrame
        One row per pair: ``a``, ``b`` (names), ``only_a``, ``only_b`` (int),
        ``p`` (uncorrected), ``p_holm`` (corrected over all the pairs) and
        ``verdict`` (plain words at ``alpha`` on ``p_holm``).

    Examples
    --------
    >>> y = np.zeros(20, dtype=int)
    >>> table = pairwise(y, {"a": np.zeros(20), "b": np.r_[np.ones(10), np.zeros(10)],
    ...                      "c": np.ones(20)})
    >>> table[["a", "b", "only_a", "only_b"]].values.tolist()
    [['a', 'b', 10, 0], ['a', 'c', 20, 0], ['b', 'c', 10, 0]]
    >>> table["p_holm"].round(6).tolist()
    [0.003906, 6e-06, 0.003906]
    """
    right = {}
    for name, y_pred in predictions.items():
        _, right[name] = _right(y_true, y_pred)
    pairs = list(combinations(right, 2))
    only_a = np.array([np.sum(right[a] & ~right[b]) for a, b in pairs], dtype=np.int64)
    only_b = np.array([np.sum(right[b] & ~right[a]) for a, b in pairs], dtype=np.int64)
    p = np.asarray(exact_p(only_a, only_b), dtype=np.float64)
    p_holm = holm(p)
    words = [verdict(McNemar(int(x), int(y), float(q)), alpha=alpha)
             for x, y, q in zip(only_a, only_b, p_holm)]
    return pd.DataFrame({
        "a": [a for a, _ in pairs], "b": [b for _, b in pairs],
        "only_a": only_a, "only_b": only_b, "p": p, "p_holm": p_holm, "verdict": words,
    })


def _right(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.shape != y_true.shape:
        raise ValueError(f"predictions must be 1-D and as long as y_true, got shapes "
                         f"{y_pred.shape} and {y_true.shape}.")
    return y_true, y_pred == y_true
