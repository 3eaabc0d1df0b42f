"""Conversions between model tensors and pictures: uint8 arrays, grids and PNG files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C); values outside the range are clipped."""
    pixels = images.detach().float().cpu().clamp(-1.0, 1.0).add(1.0).mul(127.5).round()
    return pixels.to(torch.uint8).permute(0, 2, 3, 1).numpy()


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile uint8 (N, H, W, C) images into one (rows*H', columns*W', C) picture."""
    count, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.zeros(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        dtype=np.uint8,
    )
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def to_pil(image: np.ndarray) -> Image.Image:
    """uint8 (H, W, C) with C in 1, 3 -> PIL image."""
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


MIN_CELL = 64  # grids of small images are enlarged (nearest neighbour) to at least this


def save_grid(images: torch.Tensor | np.ndarray, path: str | Path, columns: int | None = None):
    """Save a batch, tensor in [-1, 1] or uint8 NHWC array, as one PNG grid.

    Images smaller than 64 px are enlarged by a whole factor without smoothing, so a grid of
    32 px samples is readable as it is, and every pixel stays a block of the true value.
    """
    array = to_uint8(images) if isinstance(images, torch.Tensor) else images
    factor = max(1, -(-MIN_CELL // array.shape[1]))
    if factor > 1:
        array = array.repeat(factor, axis=1).repeat(factor, axis=2)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_pil(make_grid(array, columns)).save(path)
    return path
