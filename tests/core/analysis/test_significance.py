"""core.analysis.significance against exact binomial sums, a hand-worked Holm example and real predictions."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from core.analysis import significance as sg


def exact_by_hand(b, c):
    """Two-sided exact McNemar p-value as a sum of binomial coefficients (exact integers)."""
    b, c = int(b), int(c)
    n = b + c
    if n == 0:
        return 1.0
    return float(min(1, Fraction(2 * sum(comb(n, k) for k in range(min(b, c) + 1)), 2 ** n)))


def test_eight_against_two_is_exact():
    # P(X <= 2), X ~ Bin(10, 1/2) = (1 + 10 + 45) / 1024; doubled: 112 / 1024
    test = sg.mcnemar_counts(8, 2)
    assert test.p == 112 / 1024 == 0.109375
    assert sg.mcnemar_counts(2, 8).p == 0.109375
    assert test.discordant == 10


@pytest.mark.parametrize("b", [0, 1, 5, 26, 300])
def test_equal_counts_give_one(b):
    assert sg.mcnemar_counts(b, b).p == 1.0


def test_exact_p_matches_binomial_sums_and_vectorises():
    b = np.array([0, 1, 0, 3, 9, 31, 40, 0, 120])
    c = np.array([0, 0, 6, 10, 2, 26, 12, 20, 80])
    expected = [exact_by_hand(x, y) for x, y in zip(b, c)]
    np.testing.assert_allclose(sg.exact_p(b, c), expected, rtol=1e-10)
    assert sg.exact_p(0, 6) == pytest.approx(2 / 64)
    assert isinstance(sg.exact_p(3, 4), float)
    with pytest.raises(ValueError, match="non-negative"):
        sg.exact_p(-1, 3)


def test_mcnemar_counts_only_the_discordant_rows():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    a = np.array([0, 1, 2, 3, 9, 9, 9, 9])      # right on 0-3
    b = np.array([0, 9, 9, 9, 4, 5, 9, 8])      # right on 0, 4, 5
    test = sg.mcnemar(y, a, b)
    assert (test.only_a, test.only_b) == (3, 2)
    assert test.p == pytest.approx(exact_by_hand(3, 2))
    with pytest.raises(ValueError, match="as long as y_true"):
        sg.mcnemar(y, a[:-1], b)


def test_verdict_in_plain_words():
    assert sg.verdict(sg.mcnemar_counts(31, 26)) == "not significant at 5%: 31 vs 26 images"
    assert sg.verdict(sg.mcnemar_counts(30, 5)) == "significant at 5%: 30 vs 5 images"
    assert sg.verdict(sg.McNemar(3, 1, 0.04), alpha=0.01) == "not significant at 1%: 3 vs 1 images"
    with pytest.raises(ValueError, match="alpha"):
        sg.verdict(sg.mcnemar_counts(1, 1), alpha=5)


def test_holm_hand_worked():
    # sorted: 0.005 (x4) = 0.02, 0.01 (x3) = 0.03, 0.03 (x2) = 0.06, 0.04 (x1) = 0.04 -> running max 0.06
    np.testing.assert_allclose(sg.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])


def test_holm_is_monotone_and_capped():
    np.testing.assert_array_equal(sg.holm([0.5, 0.6]), [1.0, 1.0])   # 0.5 x 2 -> 1, capped
    np.testing.assert_allclose(sg.holm([0.2]), [0.2])
    assert sg.holm([]).size == 0
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 50) ** 3
    adjusted = sg.holm(p)
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)
    assert np.all(adjusted >= p) and np.all(adjusted <= 1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sg.holm([0.1, 1.5])


def test_pairwise_of_real_predictions(digits_run):
    y, lr = digits_run["y_true"], digits_run["y_pred"]
    rng = np.random.default_rng(0)
    noisy = lr.copy()
    flip = rng.choice(len(y), size=40, replace=False)
    noisy[flip] = (noisy[flip] + 1) % 10
    shifted = np.where(np.arange(len(y)) % 3 == 0, (lr + 1) % 10, lr)
    predictions = {"lr": lr, "noisy": noisy, "shifted": shifted, "same": lr.copy()}
    table = sg.pairwise(y, predictions)
    assert list(table.columns) == ["a", "b", "only_a", "only_b", "p", "p_holm", "verdict"]
    names = list(predictions)
    assert list(zip(table["a"], table["b"])) == [(names[i], names[j]) for i in range(4)
                                                 for j in range(i + 1, 4)]
    for row in table.itertuples():
        right_a, right_b = predictions[row.a] == y, predictions[row.b] == y
        assert row.only_a == np.sum(right_a & ~right_b)
        assert row.only_b == np.sum(right_b & ~right_a)
        assert row.p == pytest.approx(exact_by_hand(row.only_a, row.only_b), rel=1e-9)
    np.testing.assert_allclose(table["p_holm"], sg.holm(table["p"]))
    same = table[(table["a"] == "lr") & (table["b"] == "same")].iloc[0]
    assert (same.only_a, same.only_b, same.p, same.p_holm) == (0, 0, 1.0, 1.0)
    assert same.verdict == "not significant at 5%: 0 vs 0 images"
    worst = table[(table["a"] == "lr") & (table["b"] == "shifted")].iloc[0]
    assert worst.p_holm < 1e-6 and worst.verdict.startswith("significant at 5%")


def test_pairwise_of_fewer_than_two_models():
    table = sg.pairwise([0, 1], {"only": np.array([0, 1])})
    assert table.empty and list(table.columns)[:2] == ["a", "b"]
