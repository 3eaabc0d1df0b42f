"""Cheap checks of a run's health that need no extra weights.

``diversity`` catches mode collapse early: the mean pairwise distance between generated
images divided by the same mean for real images. Near 1 the samples vary as much as the
data; a collapsed generator, one picture repeated, scores near 0.
"""

from __future__ import annotations

import torch


def mean_pairwise_distance(images: torch.Tensor) -> float:
    """Mean L2 distance between distinct pairs of a batch (N, C, H, W), N >= 2."""
    flat = images.detach().float().flatten(1)
    count = len(flat)
    if count < 2:
        raise ValueError("need at least two images to measure their spread")
    return float(torch.cdist(flat, flat).sum() / (count * (count - 1)))


def diversity(samples: torch.Tensor, reals: torch.Tensor) -> float:
    """Spread of ``samples`` relative to ``reals`` (both in [-1, 1], (N, C, H, W))."""
    return mean_pairwise_distance(samples) / max(mean_pairwise_distance(reals), 1e-12)
