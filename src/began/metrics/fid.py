"""Fréchet Inception Distance between two Gaussians fitted to feature sets (Heusel et al. 2017).

FID = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2).

The matrix square root of the non-symmetric product S1 S2 is never formed. Its trace equals
that of sqrt(A) with A = sqrt(S1) S2 sqrt(S1), which is symmetric positive semi-definite and
similar to S1 S2, so sum(sqrt(eigenvalues of A)) gives it exactly. Both steps use
``torch.linalg.eigh`` in float64. Rounding turns the zero eigenvalues of rank-deficient
covariances (N < 2048 images) into tiny values of either sign, and a square root magnifies
those (sqrt(1e-16) = 1e-8, times up to 2048 of them), so eigenvalues below the float64 noise
floor, dim * eps * the largest, are set to exactly zero, as a pseudo-inverse's cut-off does.
"""

from __future__ import annotations

import numpy as np
import torch


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) features, in float64."""
    x = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need (N >= 2, D) features, got shape {tuple(x.shape)}")
    mu = x.mean(dim=0)
    centred = x - mu
    # torch rather than numpy so that torch.set_num_threads bounds the work.
    return mu.numpy(), (centred.T @ centred / (len(x) - 1)).numpy()


def _denoised(values: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of a PSD matrix with those at the rounding-noise level set to zero."""
    floor = values.abs().max() * len(values) * torch.finfo(values.dtype).eps
    return torch.where(values > floor, values, torch.zeros_like(values))


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Symmetric square root of a symmetric PSD matrix."""
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * _denoised(values).sqrt()) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr sqrt(sigma1 @ sigma2) for symmetric PSD matrices, computed in float64."""
    s1 = torch.as_tensor(np.asarray(sigma1), dtype=torch.float64)
    s2 = torch.as_tensor(np.asarray(sigma2), dtype=torch.float64)
    root = _sqrt_psd((s1 + s1.T) / 2)
    inner = root @ s2 @ root
    values = torch.linalg.eigvalsh((inner + inner.T) / 2)
    return float(_denoised(values).sqrt().sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"shapes differ: {mu1.shape}/{mu2.shape}, {sigma1.shape}/{sigma2.shape}")
    diff = mu1 - mu2
    value = (
        diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2)
    )
    # The exact value is >= 0; rounding can leave about -1e-12 for identical statistics.
    return max(float(value), 0.0)


def fid_from_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID between two (N, D) feature sets."""
    return frechet_distance(*feature_stats(features1), *feature_stats(features2))
