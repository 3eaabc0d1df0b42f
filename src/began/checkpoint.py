"""Safe checkpoint files: atomic writes, and loads that never run code from the file.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts written with
``torch.save``. Loading uses ``weights_only=True``, PyTorch's restricted unpickler, so a
file crafted to execute code is refused instead of run. Writes go to a temporary file in
the same folder, are flushed to disk, then renamed over the old file: a crash at any moment
leaves either the previous checkpoint or the new one, never a torn file.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from .atomic import atomic_write

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, unsafe or from an incompatible version."""


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """Write ``state`` to ``path`` atomically."""
    with atomic_write(path) as file:
        torch.save({"format_version": FORMAT_VERSION, **state}, file)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint``, refusing anything that is not data."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: empty file, not a checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise CheckpointError(
            f"{path}: refused: corrupt, or it holds objects that could run code ({reason})"
        ) from None
    except Exception as error:  # truncated or foreign files raise many kinds of error
        raise CheckpointError(
            f"{path}: not a readable checkpoint ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: not a began checkpoint of format {FORMAT_VERSION}")
    return state
