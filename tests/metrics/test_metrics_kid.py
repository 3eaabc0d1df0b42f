import itertools

import numpy as np
import pytest
import torch

from began.metrics.kid import kid, mmd2_unbiased, polynomial_kernel


def _kernel(a, b):
    return (np.dot(a, b) / len(a) + 1) ** 3


def test_hand_checked_mmd():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[2.0, 0.0], [0.0, 0.0], [1.0, -1.0]])
    m = len(x)
    pairs = [(i, j) for i, j in itertools.product(range(m), repeat=2) if i != j]
    expected = (
        sum(_kernel(x[i], x[j]) for i, j in pairs) / len(pairs)
        + sum(_kernel(y[i], y[j]) for i, j in pairs) / len(pairs)
        - 2 * np.mean([_kernel(a, b) for a in x for b in y])
    )
    got = mmd2_unbiased(torch.tensor(x), torch.tensor(y))
    assert got == pytest.approx(expected, rel=1e-12)
    assert polynomial_kernel(torch.tensor(x), torch.tensor(y))[0, 0] == pytest.approx(1.0)


def test_kid_is_unbiased_for_one_distribution():
    # Average many independent small-sample estimates: the mean must be ~0 (within its standard
    # error), while the biased estimate that keeps the diagonals is clearly positive.
    rng = np.random.default_rng(0)
    unbiased, biased = [], []
    for _ in range(300):
        x = torch.tensor(rng.normal(size=(20, 8)))
        y = torch.tensor(rng.normal(size=(20, 8)))
        unbiased.append(mmd2_unbiased(x, y))
        k_xx, k_yy = polynomial_kernel(x, x), polynomial_kernel(y, y)
        biased.append(float(k_xx.mean() + k_yy.mean() - 2 * polynomial_kernel(x, y).mean()))
    sem = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 4 * sem
    assert np.mean(biased) > 10 * sem


def test_kid_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(600, 32)), rng.normal(size=(600, 32))
    same = kid(x, y, subset_size=200, subsets=20)
    shifted = kid(x, y + 0.5, subset_size=200, subsets=20)
    assert abs(same["kid_mean"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid_mean"] > 10 * abs(same["kid_mean"]) and shifted["kid_mean"] > 0.05


def test_kid_subset_size_is_capped_and_seeded():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(50, 4))
    result = kid(x, y, subsets=5, seed=3)
    assert result["kid_subset_size"] == 30 and result["kid_subsets"] == 5
    assert kid(x, y, subsets=5, seed=3) == result
    with pytest.raises(ValueError, match="at least 2"):
        kid(x[:1], y)
