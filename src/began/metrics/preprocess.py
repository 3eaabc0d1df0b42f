"""uint8 images -> the Inception network's input, the same way for real and generated images.

Steps, in order (a change here changes every figure, so the cache key includes ``DESCRIPTION``):

1. uint8 (N, H, W, C) with C = 1 or 3 (or (N, H, W) greyscale); greyscale is replicated to RGB;
2. to float32 in [0, 255], channels first;
3. bilinear resize to 299x299 with ``align_corners=False`` and no antialiasing (the same call as
   pytorch-fid). The images of this package are at most 256 px, so the resize always enlarges,
   where antialiasing would change nothing anyway;
4. ``(x - 128) / 128``, the scaling inside the TF graph, giving [-1, 0.9921875].

The TorchScript FID file does none of this itself: it expects 299x299 input already scaled.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from began.metrics.errors import MetricsError
from began.metrics.inception import INPUT_SIZE

DESCRIPTION = "uint8->rgb, bilinear 299 align_corners=False antialias=False, (x-128)/128"


def check_images(images: np.ndarray, what: str = "images") -> np.ndarray:
    """Return ``images`` as uint8 (N, H, W, C) with C in (1, 3), or raise MetricsError."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise MetricsError(
            f"{what}: expected uint8 (N, H, W, C) with C = 1 or 3, "
            f"got {images.dtype} {images.shape}"
        )
    if len(images) == 0:
        raise MetricsError(f"{what}: no images")
    return images


def to_inception_input(batch: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (B, H, W, C) -> float32 (B, 3, 299, 299) scaled as the FID network expects."""
    # np.array copies, so read-only inputs (np.frombuffer, memory maps) are fine; the copy to
    # the device stays uint8, four times less to move than float.
    x = torch.from_numpy(np.array(batch, order="C")).to(device).permute(0, 3, 1, 2).float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(
            x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=False
        )
    return (x - 128.0) / 128.0
