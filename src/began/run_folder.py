"""The self-describing run folder: config, JSON-lines log, image grids and checkpoints.

runs/00003-fashion-mnist/
    config.json          the resolved configuration
    log.jsonl            one JSON record per logging interval
    reals.png            a grid of training images
    samples/step-*.png   samples from the run's fixed latent codes
    reconstructions/     real images (left) beside D's reconstructions (right)
    checkpoints/latest.pt
    evaluations.jsonl    one JSON record per ``began evaluate`` of the run
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONFIG_NAME = "config.json"
CHECKPOINT_NAME = "checkpoints/latest.pt"
EVALUATIONS_NAME = "evaluations.jsonl"


def new_run_folder(root: str | Path, label: str) -> Path:
    """Create ``root/NNNNN-label`` with the next free number."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"--out {root}: exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := re.match(r"(\d+)-", p.name))]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "run"
    folder = root / f"{max(numbers, default=0) + 1:05d}-{slug}"
    folder.mkdir()
    return folder


def checkpoint_path(run_or_checkpoint: str | Path) -> Path:
    """Accept a run folder or a checkpoint file and return the checkpoint file."""
    path = Path(run_or_checkpoint)
    return path / CHECKPOINT_NAME if path.is_dir() else path


def run_folder_of(checkpoint: str | Path) -> RunFolder | None:
    """The run folder a checkpoint file sits in, or None for a checkpoint copied elsewhere."""
    run = RunFolder(Path(checkpoint).resolve().parent.parent)
    return run if run.config.is_file() else None


class RunFolder:
    """Paths inside one run folder, and its append-only JSON-lines log."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def config(self) -> Path:
        return self.path / CONFIG_NAME

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_NAME

    @property
    def reals(self) -> Path:
        return self.path / "reals.png"

    def samples(self, step: int) -> Path:
        return self.path / "samples" / f"step-{step:07d}.png"

    def reconstructions(self, step: int) -> Path:
        return self.path / "reconstructions" / f"step-{step:07d}.png"

    def log(self, record: dict[str, Any], name: str = "log.jsonl") -> None:
        """Append ``record`` to the JSON-lines file ``name`` (the training log by default)."""
        with open(self.path / name, "a") as log:
            log.write(json.dumps(record) + "\n")
