"""Improved precision and recall (Kynkäänniemi et al. 2019) on k-NN feature manifolds.

Each sample of a set defines a ball reaching its k-th nearest neighbour within that set (k = 3,
the paper's choice); the union of the balls estimates the set's manifold. Precision is the
share of generated samples inside the real manifold (are fakes realistic?); recall is the
share of real samples inside the generated manifold (is the real variety covered?).

The paper used VGG-16 features; here they are the same Inception pool3 features as FID, so the
figures are comparable with each other but not exactly with the paper's. Distances are computed
in float64 blocks of rows so that memory stays near ``block * N * 8`` bytes.
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_K = 3
BLOCK_ROWS = 1024


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """All pairwise squared Euclidean distances between rows of ``a`` and rows of ``b``."""
    d2 = (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)
    return d2.clamp_(min=0)  # rounding can push a zero distance slightly below zero


def knn_radii(x: torch.Tensor, k: int = DEFAULT_K) -> torch.Tensor:
    """Squared distance from each row of ``x`` to its k-th nearest other row."""
    if len(x) <= k:
        raise ValueError(f"k-NN radii need more than k = {k} samples, got {len(x)}")
    parts = []
    for start in range(0, len(x), BLOCK_ROWS):
        d2 = _squared_distances(x[start : start + BLOCK_ROWS], x)
        # The smallest entry is the row's distance to itself, so the k-th neighbour is k+1-th.
        parts.append(d2.kthvalue(k + 1, dim=1).values)
    return torch.cat(parts)


def precision_recall(
    fake_features: np.ndarray, real_features: np.ndarray, *, k: int = DEFAULT_K
) -> dict:
    """Returns ``{"precision", "recall", "pr_k"}`` for (N, D) generated and real features."""
    fake = torch.as_tensor(np.asarray(fake_features), dtype=torch.float64)
    real = torch.as_tensor(np.asarray(real_features), dtype=torch.float64)
    real_radii, fake_radii = knn_radii(real, k), knn_radii(fake, k)
    fake_inside = torch.zeros(len(fake), dtype=torch.bool)
    real_inside = torch.zeros(len(real), dtype=torch.bool)
    # One pass over the fake-real distances answers both questions.
    for start in range(0, len(fake), BLOCK_ROWS):
        d2 = _squared_distances(fake[start : start + BLOCK_ROWS], real)
        fake_inside[start : start + len(d2)] = (d2 <= real_radii).any(dim=1)
        real_inside |= (d2 <= fake_radii[start : start + len(d2), None]).any(dim=0)
    return {
        "precision": float(fake_inside.double().mean()),
        "recall": float(real_inside.double().mean()),
        "pr_k": k,
    }
