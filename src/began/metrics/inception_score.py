"""Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), over 10 splits.

p(y|x) is the softmax of the FID network's 1008-way classifier applied to the pool3 features.
As in the original Inception Score code, the logits are ``features @ W.T`` *without* the
classifier's bias, so figures are comparable with published ones. Only weight files that carry
the classifier (pytorch-fid's state dict) allow it; there is no fallback value.
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_SPLITS = 10


def class_log_probs(features: np.ndarray, fc_weight: torch.Tensor) -> torch.Tensor:
    """log p(y|x), float64 (N, 1008), from pool3 features and the classifier's weight."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    logits = x @ fc_weight.detach().to("cpu", torch.float64).T
    return torch.log_softmax(logits, dim=1)


def inception_score(
    features: np.ndarray, fc_weight: torch.Tensor, *, splits: int = DEFAULT_SPLITS
) -> dict:
    """Returns ``{"is_mean", "is_std", "is_splits"}``: mean and std of the per-split scores."""
    log_p = class_log_probs(features, fc_weight)
    n = len(log_p)
    if n < splits:
        raise ValueError(f"the Inception Score needs at least {splits} images, got {n}")
    scores = []
    for i in range(splits):
        part = log_p[i * n // splits : (i + 1) * n // splits]
        log_marginal = torch.logsumexp(part, dim=0) - np.log(len(part))  # log p(y) in the split
        kl = (part.exp() * (part - log_marginal)).sum(dim=1)
        scores.append(float(kl.mean().exp()))
    return {"is_mean": float(np.mean(scores)), "is_std": float(np.std(scores)), "is_splits": splits}
