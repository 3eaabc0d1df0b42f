"""Batched extraction of the 2048-d Inception features, with a progress bar on stderr."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from began.metrics.errors import MetricsError
from began.metrics.inception import FIDInceptionV3
from began.metrics.preprocess import check_images, to_inception_input


@torch.inference_mode()
def extract_features(
    model: FIDInceptionV3,
    images: np.ndarray,
    *,
    batch_size: int = 32,
    progress: bool = True,
    desc: str = "features",
) -> np.ndarray:
    """Pool3 features of uint8 (N, H, W, C) ``images`` as float32 (N, 2048)."""
    images = check_images(images, desc)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise MetricsError(f"batch size must be a positive integer, got {batch_size!r}")
    device = next(model.parameters()).device
    chunks = []
    with tqdm(total=len(images), desc=desc, unit="img", disable=not progress, leave=False) as bar:
        for start in range(0, len(images), batch_size):
            batch = to_inception_input(images[start : start + batch_size], device)
            batch = batch.contiguous(memory_format=torch.channels_last)
            chunks.append(model(batch).float().cpu().numpy())
            bar.update(len(batch))
    return np.concatenate(chunks)
