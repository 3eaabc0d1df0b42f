"""Shared fixtures: tiny configs and data so every test runs in seconds on a CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from began.config import TrainConfig


@pytest.fixture(autouse=True)
def _single_thread():
    # Tiny nets run fastest on one thread and the results do not depend on the core count.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_config() -> TrainConfig:
    return TrainConfig(
        image_size=16, channels=1, num_filters=4, z_dim=8, h_dim=8, repeat=1, batch_size=4,
        log_every=2, sample_every=3, checkpoint_every=3, device="cpu", lr=1e-3, gamma=0.5,
        skip=False, residual_steps=0,
    )  # fmt: skip


@pytest.fixture
def tiny_images() -> np.ndarray:
    """40 real-looking 16x16 grey blobs of varied position and size, uint8 NHWC."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :16]
    images = []
    for _ in range(40):
        cy, cx, radius = rng.uniform(4, 12), rng.uniform(4, 12), rng.uniform(2, 6)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
        images.append((blob * 255).astype(np.uint8))
    return np.stack(images)[..., None]
