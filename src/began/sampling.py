"""Using a trained generator: load it from a checkpoint and draw images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .checkpoint import load_checkpoint
from .config import TrainConfig
from .images import to_uint8
from .models import Generator, residual_carry, set_residual_carry
from .run_folder import checkpoint_path
from .training import build_generator, resolve_device, sample_z


def load_generator(run_or_checkpoint: str | Path, device: str = "auto"):
    """Return (generator in eval mode, its TrainConfig) from a run folder or checkpoint."""
    state = load_checkpoint(checkpoint_path(run_or_checkpoint))
    config = TrainConfig.from_dict(state["config"])
    generator = build_generator(config)
    generator.load_state_dict(state["generator"])
    # The vanishing-residual weight is not saved: it follows the step. Use the one the last
    # training step ran with, or a run stopped early samples from a different network.
    last_step = max(int(state.get("step", config.residual_steps + 1)) - 1, 0)
    set_residual_carry(generator, residual_carry(last_step, config.residual_steps))
    return generator.to(resolve_device(device)).eval(), config


@torch.no_grad()
def sample_images(
    generator: Generator, config: TrainConfig, count: int, seed: int = 0, batch_size: int = 256
) -> np.ndarray:
    """``count`` samples as uint8 (N, H, W, C), reproducible from ``seed``."""
    device = next(generator.parameters()).device
    rng = torch.Generator(device).manual_seed(seed)
    chunks = []
    for start in range(0, count, batch_size):
        z = sample_z(min(batch_size, count - start), config.z_dim, rng, device)
        chunks.append(to_uint8(generator(z)))
    return np.concatenate(chunks)
