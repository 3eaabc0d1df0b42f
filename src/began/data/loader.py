"""Batches for training, sliced from the decoded uint8 array with a resumable order.

The whole data set sits in memory as uint8 (N, C, H, W); an epoch is a permutation drawn
from (seed, epoch), so the order can be rebuilt from two integers and a resumed run sees
exactly the batches it would have seen. Conversion to float and flips happen on the device.
"""

from __future__ import annotations

import numpy as np
import torch


class BatchLoader:
    """Endless shuffled batches of images in [-1, 1], (batch_size, C, H, W) on ``device``."""

    def __init__(
        self,
        images: np.ndarray,
        batch_size: int,
        seed: int,
        device: torch.device | str = "cpu",
        flip: bool = False,
    ):
        if images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError(
                f"expected uint8 (N, H, W, C) images, got {images.dtype} {images.shape}"
            )
        if len(images) < batch_size:
            raise ValueError(f"{len(images)} images cannot fill a batch of {batch_size}")
        self.images = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
        self.device = torch.device(device)
        if self.device.type == "cuda":
            self.images = self.images.pin_memory()
        self.batch_size = batch_size
        self.seed = seed
        self.flip = flip
        self.position = 0
        self._start_epoch(0)

    def _start_epoch(self, epoch: int) -> None:
        # Order and flips depend only on (seed, epoch), so a resumed run replays them.
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        self.epoch = epoch
        self._order = torch.randperm(len(self.images), generator=generator)
        self._flips = torch.rand(len(self.images), generator=generator) < 0.5

    def next_indices(self) -> torch.Tensor:
        """Indices of the next batch; an epoch's leftover smaller than a batch is dropped."""
        if self.position + self.batch_size > len(self._order):
            self._start_epoch(self.epoch + 1)
            self.position = 0
        indices = self._order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return indices

    def next_batch(self) -> torch.Tensor:
        indices = self.next_indices()
        batch = self.images[indices].to(self.device, non_blocking=True)
        batch = batch.float().div_(127.5).sub_(1.0)
        if self.flip:
            flips = self._flips[indices].to(self.device).view(-1, 1, 1, 1)
            batch = torch.where(flips, batch.flip(-1), batch)
        return batch.contiguous(memory_format=torch.channels_last)

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "num_images": len(self.images)}

    def load_state_dict(self, state: dict) -> None:
        if state["num_images"] != len(self.images):
            raise ValueError(
                f"the run was trained on {state['num_images']} images, the data now has "
                f"{len(self.images)}: resume with the same data"
            )
        self._start_epoch(int(state["epoch"]))
        self.position = int(state["position"])
