"""The training configuration: one typed object, the single source of every default.

The command line builds its flags from the fields below (name, type, default and help), so
a default lives here and nowhere else. ``validate`` checks the whole config before any work
starts and names the offending flag. Fields marked ``resumable`` may change when a run is
resumed (how long to train, how often to log); every other field must match the checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .performance import PRECISIONS


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the flag and the value."""


def _opt(default: Any, help: str, resumable: bool = False, **meta: Any) -> Any:
    return field(default=default, metadata={"help": help, "resumable": resumable, **meta})


@dataclass
class TrainConfig:
    """Every setting of a BEGAN training run.

    The defaults are tuned to train varied samples in minutes on a CPU (docs/tuning.md);
    ``PRESETS["paper"]`` holds the paper's values for faces at 64 px and beyond.
    """

    # Data
    data: str | None = _opt(
        None,
        "image folder, .zip, .npz/.npy or IDX file (default: the embedded data)",
        metavar="PATH",
    )
    image_size: int = _opt(32, "side of the square training images (power of two, 16-256)")
    channels: int = _opt(0, "image channels: 1 grey, 3 RGB; 0 picks 1 for grey data sets, else 3")
    crop: tuple[int, int, int, int] | None = _opt(
        None, "crop box LEFT TOP WIDTH HEIGHT applied before resizing", nargs=4
    )
    flip: bool = _opt(False, "random horizontal flips")

    # Architecture (paper section 3.5)
    num_filters: int = _opt(16, "n, the width of the first scale")
    z_dim: int = _opt(64, "N_z, the size of the generator's latent code")
    h_dim: int = _opt(16, "N_h, the size of the discriminator's embedding")
    repeat: int = _opt(2, "3x3 convolutions per scale")
    skip: bool = _opt(True, "skip connections from the 8x8 map to every scale")
    residual_steps: int = _opt(2000, "steps over which vanishing residuals fade out (0: off)")

    # Method
    gamma: float = _opt(1.0, "diversity ratio E[L(G(z))] / E[L(x)], in (0, 1]")
    lambda_k: float = _opt(0.01, "gain of the k_t controller")
    loss_p: int = _opt(1, "p of the L_p reconstruction loss (1 or 2)")

    # Optimisation
    lr: float = _opt(2e-4, "Adam learning rate of both networks")
    beta1: float = _opt(0.5, "Adam beta1")
    beta2: float = _opt(0.999, "Adam beta2")
    batch_size: int = _opt(16, "images per step")
    lr_patience: int = _opt(3000, "halve the lr after this many steps without a better M")
    lr_min: float = _opt(1e-5, "floor the lr is never halved below")
    seed: int = _opt(0, "seed of every random choice")

    # Length and bookkeeping: these may change when a run is resumed.
    steps: int = _opt(0, "stop after this many steps in all (0: no step limit)", True)
    minutes: float = _opt(0.0, "stop after this many minutes of this invocation (0: none)", True)
    log_every: int = _opt(100, "steps between log lines", True)
    sample_every: int = _opt(1000, "steps between sample grids", True)
    checkpoint_every: int = _opt(1000, "steps between checkpoints", True)
    device: str = _opt("auto", "auto, cpu, cuda or cuda:N", True)
    workers: int = _opt(0, "processes that decode images the first time (0: all cores)", True)
    eval_every: int = _opt(0, "steps between FID/KID measurements in the log (0: off)", True)
    eval_num: int = _opt(1000, "samples and real images each measurement compares", True)
    precision: str = _opt("auto", "auto, float32 or bfloat16 (auto: bf16 where it is fast)", True)
    compile: bool = _opt(False, "compile the networks with torch.compile", True)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        values = dict(values)
        if values.get("crop") is not None:
            values["crop"] = tuple(values["crop"])
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the first invalid flag; return self when all is well."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"--{flag_name(f.name)} {value}: must be a finite number")
        for name, ok, rule in _rules(self):
            if not ok:
                value = getattr(self, name)
                raise ConfigError(f"--{flag_name(name)} {_show(value)}: {rule}")
        return self

    def differences(self, saved: TrainConfig) -> list[str]:
        """Non-resumable settings where this (requested) config differs from ``saved``."""
        lines = []
        for f in dataclasses.fields(self):
            wanted, had = getattr(self, f.name), getattr(saved, f.name)
            if not f.metadata["resumable"] and wanted != had:
                lines.append(f"--{flag_name(f.name)}: run has {_show(had)}, asked {_show(wanted)}")
        return lines


# Named sets of values a user can start from; explicit flags override them.
PRESETS: dict[str, dict[str, Any]] = {
    # Section 4 of the paper: 64 px faces, wide nets, the slow controller, no options.
    "paper": {
        "image_size": 64, "num_filters": 64, "h_dim": 64, "gamma": 0.5, "lambda_k": 0.001,
        "lr": 1e-4, "skip": False, "residual_steps": 0,
    },
}  # fmt: skip


def flag_name(field_name: str) -> str:
    return field_name.replace("_", "-")


def _show(value: Any) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, tuple):
        return " ".join(map(str, value))
    return str(value)


def _power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def _rules(c: TrainConfig):
    """(field, passes, rule) for every check; the first failure is reported."""
    return [
        ("image_size", _power_of_two(c.image_size) and 16 <= c.image_size <= 256,
         "must be a power of two from 16 to 256"),
        ("channels", c.channels in (0, 1, 3), "must be 0 (auto), 1 or 3"),
        ("crop", c.crop is None or (len(c.crop) == 4 and min(c.crop[:2]) >= 0
                                    and min(c.crop[2:]) > 0),
         "needs LEFT TOP >= 0 and WIDTH HEIGHT > 0"),
        ("num_filters", c.num_filters >= 1, "must be at least 1"),
        ("z_dim", c.z_dim >= 1, "must be at least 1"),
        ("h_dim", c.h_dim >= 1, "must be at least 1"),
        ("repeat", c.repeat >= 1, "must be at least 1"),
        ("residual_steps", c.residual_steps >= 0, "must be 0 (off) or positive"),
        ("gamma", 0.0 < c.gamma <= 1.0, "must lie in (0, 1]"),
        ("lambda_k", 0.0 < c.lambda_k <= 1.0, "must lie in (0, 1]"),
        ("loss_p", c.loss_p in (1, 2), "must be 1 or 2"),
        ("lr", c.lr > 0.0, "must be positive"),
        ("beta1", 0.0 <= c.beta1 < 1.0, "must lie in [0, 1)"),
        ("beta2", 0.0 <= c.beta2 < 1.0, "must lie in [0, 1)"),
        ("batch_size", c.batch_size >= 1, "must be at least 1"),
        ("lr_patience", c.lr_patience >= 1, "must be at least 1"),
        ("lr_min", 0.0 <= c.lr_min <= c.lr, "must lie in [0, lr]"),
        ("steps", c.steps >= 0, "must be 0 (no limit) or positive"),
        ("minutes", c.minutes >= 0.0, "must be 0 (no limit) or positive"),
        ("log_every", c.log_every >= 1, "must be at least 1"),
        ("sample_every", c.sample_every >= 1, "must be at least 1"),
        ("checkpoint_every", c.checkpoint_every >= 1, "must be at least 1"),
        ("device", c.device in ("auto", "cpu", "cuda") or c.device.startswith("cuda:"),
         "must be auto, cpu, cuda or cuda:N"),
        ("workers", c.workers >= 0, "must be 0 (all cores) or positive"),
        ("eval_every", c.eval_every >= 0, "must be 0 (off) or positive"),
        ("eval_num", c.eval_num >= 2, "must be at least 2"),
        ("precision", c.precision in PRECISIONS, f"must be one of {', '.join(PRECISIONS)}"),
    ]  # fmt: skip
