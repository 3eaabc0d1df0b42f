"""Kernel Inception Distance (Bińkowski et al. 2018): an unbiased MMD^2 estimate.

The kernel is the cubic polynomial k(x, y) = (x.y / d + 1)^3 on d-dimensional features. Unlike
FID, the estimate is unbiased, so its expectation does not depend on N; it is averaged over
random subsets (without replacement within a subset) and reported with the standard deviation
across subsets, which shows how much the figure moves with the draw.
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_SUBSET_SIZE = 1000
DEFAULT_SUBSETS = 100


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """k(x, y) = (x.y / d + 1)^3 for all pairs of rows."""
    return (x @ y.T / x.shape[1] + 1) ** 3


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD^2 between two equal-size samples: the diagonals k(x_i, x_i) are left out."""
    m = len(x)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (k_xx.sum() - k_xx.trace() + k_yy.sum() - k_yy.trace()) / (m * (m - 1))
    return float(within - 2 * k_xy.mean())


def kid(
    features1: np.ndarray,
    features2: np.ndarray,
    *,
    subset_size: int = DEFAULT_SUBSET_SIZE,
    subsets: int = DEFAULT_SUBSETS,
    seed: int = 0,
) -> dict:
    """KID mean and std over ``subsets`` random subsets of ``min(subset_size, N1, N2)`` each.

    Returns ``{"kid_mean", "kid_std", "kid_subset_size", "kid_subsets"}``.
    """
    x = torch.as_tensor(np.asarray(features1), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(features2), dtype=torch.float64)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError("KID needs at least 2 samples on each side")
    rng = np.random.default_rng(seed)
    values = np.array(
        [
            mmd2_unbiased(
                x[rng.choice(len(x), size, replace=False)],
                y[rng.choice(len(y), size, replace=False)],
            )
            for _ in range(subsets)
        ]
    )
    return {
        "kid_mean": float(values.mean()),
        "kid_std": float(values.std()),
        "kid_subset_size": size,
        "kid_subsets": subsets,
    }
