"""The BEGAN trainer: one step, the stopping rule, logging, snapshots and resume.

One step (arXiv 1703.10717, section 3.3):

1. update D on L_D = L(x) - k_t L(G(z_D)), with G frozen;
2. update G on L_G = L(G(z_G)), with D's weights frozen but its graph open, so G's
   gradient flows through the autoencoder;
3. update k_t and M_global from L(x) and L(G(z_G)); feed M to the lr schedule.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import ConfigError, TrainConfig
from .data import load_images
from .data.loader import BatchLoader
from .diagnostics import diversity
from .equilibrium import EquilibriumController, reconstruction_loss
from .images import save_grid
from .models import Discriminator, Generator, residual_carry, set_residual_carry
from .performance import MaybeCompiled, adam, autocast, keep_freed_memory, resolve_precision
from .run_folder import RunFolder, checkpoint_path, new_run_folder, run_folder_of
from .schedule import PlateauHalving

NUM_FIXED_SAMPLES = 64


class TrainingError(RuntimeError):
    """Training cannot go on (for example the losses became NaN); saved state is intact."""


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"--device {name}: CUDA is not available on this machine")
    return device


def build_generator(config: TrainConfig) -> Generator:
    return Generator(
        config.image_size, config.channels, config.num_filters, config.z_dim, config.repeat,
        config.skip,
    )  # fmt: skip


def build_discriminator(config: TrainConfig) -> Discriminator:
    return Discriminator(
        config.image_size, config.channels, config.num_filters, config.h_dim, config.repeat,
        config.skip,
    )  # fmt: skip


def sample_z(count: int, z_dim: int, generator: torch.Generator, device: torch.device):
    """The BEGAN prior: z uniform in [-1, 1]^z_dim."""
    return torch.rand(count, z_dim, generator=generator, device=device).mul_(2.0).sub_(1.0)


@dataclass
class StepLosses:
    """Per-step values, kept on the device until the trainer logs them."""

    loss_real: torch.Tensor
    loss_fake: torch.Tensor
    k: torch.Tensor
    measure: torch.Tensor

    def stacked(self) -> torch.Tensor:
        return torch.stack([self.loss_real, self.loss_fake, self.k, self.measure])


def refuse_changed_settings(requested: TrainConfig, saved: TrainConfig) -> None:
    """Raise CheckpointError listing every hyperparameter that differs from the run's."""
    differences = requested.differences(saved)
    if differences:
        raise CheckpointError(
            "refusing to resume with changed settings:\n  " + "\n  ".join(differences)
        )


class StopRequest:
    """Turns SIGINT and SIGTERM into a request to stop between steps.

    The loop finishes the step in progress, then saves, so an interrupted run resumes
    exactly. A second signal stops at once, as Python would by default.
    """

    def __init__(self):
        self.requested: str | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class Trainer:
    """Owns the networks, optimisers, controller, schedule and data order of one run."""

    def __init__(self, config: TrainConfig, images: np.ndarray, run: RunFolder):
        if config.channels != images.shape[-1]:
            raise ValueError(f"config has {config.channels} channels, images {images.shape}")
        self.config = config
        self.run = run
        self.device = resolve_device(config.device)
        if self.device.type == "cpu":
            keep_freed_memory()
        torch.manual_seed(config.seed)
        self.generator = build_generator(config).to(self.device, memory_format=torch.channels_last)
        self.discriminator = build_discriminator(config).to(
            self.device, memory_format=torch.channels_last
        )
        self.precision = resolve_precision(config.precision, self.device)
        self.run_g = MaybeCompiled(self.generator, config.compile)
        self.run_d = MaybeCompiled(self.discriminator, config.compile)
        betas = (config.beta1, config.beta2)
        self.opt_g = adam(self.generator.parameters(), config.lr, betas, self.device)
        self.opt_d = adam(self.discriminator.parameters(), config.lr, betas, self.device)
        self.controller = EquilibriumController(config.gamma, config.lambda_k, self.device)
        self.schedule = PlateauHalving(
            [self.opt_g, self.opt_d], config.lr, config.lr_patience, config.lr_min
        )
        self.loader = BatchLoader(
            images, config.batch_size, config.seed, self.device, flip=config.flip
        )
        self.z_rng = torch.Generator(self.device).manual_seed(config.seed)
        self.fixed_z = sample_z(NUM_FIXED_SAMPLES, config.z_dim, self.z_rng, self.device)
        self.fixed_reals = self.loader.images[:NUM_FIXED_SAMPLES]
        self.step = 0
        self.interrupted: str | None = None

    # -- one step -------------------------------------------------------------------------

    def train_step(self) -> StepLosses:
        if self.step <= self.config.residual_steps:  # the carry fades to 0, then stays there
            carry = residual_carry(self.step, self.config.residual_steps)
            set_residual_carry(self.generator, carry)
            set_residual_carry(self.discriminator, carry)
        real = self.loader.next_batch()
        loss_real, _ = self.update_discriminator(real)
        loss_fake = self.update_generator()
        measure = self.controller.update(loss_real, loss_fake)
        self.schedule.step(measure)
        self.step += 1
        return StepLosses(loss_real.detach(), loss_fake.detach(), self.controller.k, measure)

    def update_discriminator(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam step on L_D; real and fake go through D as one batch."""
        p = self.config.loss_p
        with torch.no_grad(), self._autocast():
            fake = self.run_g(self._sample_z(len(real))).float()
        with self._autocast():
            recon = self.run_d(torch.cat([real, fake]))
        recon_real, recon_fake = recon.split(len(real))
        loss_real = reconstruction_loss(real, recon_real, p)
        loss_fake = reconstruction_loss(fake, recon_fake, p)
        self.opt_d.zero_grad(set_to_none=True)
        self.controller.discriminator_loss(loss_real, loss_fake).backward()
        self.opt_d.step()
        return loss_real, loss_fake

    def update_generator(self) -> torch.Tensor:
        """One Adam step on L_G = L(G(z_G)); the gradient reaches G through D."""
        self.discriminator.requires_grad_(False)  # no weight gradients for D here
        try:
            with self._autocast():
                fake = self.run_g(self._sample_z(self.config.batch_size))
                recon = self.run_d(fake)
            loss_fake = reconstruction_loss(fake, recon, self.config.loss_p)
            self.opt_g.zero_grad(set_to_none=True)
            loss_fake.backward()
            self.opt_g.step()
        finally:
            self.discriminator.requires_grad_(True)
        return loss_fake

    def _autocast(self):
        return autocast(self.precision, self.device)

    def _sample_z(self, count: int) -> torch.Tensor:
        return sample_z(count, self.config.z_dim, self.z_rng, self.device)

    # -- the loop -------------------------------------------------------------------------

    def fit(self, progress: bool = True) -> dict:
        """Train until --steps or --minutes; return the last log record."""
        config = self.config
        if not self.run.reals.exists():
            save_grid(self.loader.images[:NUM_FIXED_SAMPLES].permute(0, 2, 3, 1).numpy(),
                      self.run.reals)  # fmt: skip
        deadline = time.monotonic() + config.minutes * 60 if config.minutes else None
        bar = tqdm(total=config.steps or None, initial=self.step, disable=not progress,
                   unit="step", dynamic_ncols=True)  # fmt: skip
        sums, interval_start, interval_steps, record = None, time.perf_counter(), 0, {}
        with StopRequest() as stop, bar:
            while not (stop.requested or self._should_stop(deadline)):
                losses = self.train_step().stacked()
                sums = losses if sums is None else sums + losses
                interval_steps += 1
                bar.update(1)
                if self.step % config.log_every == 0:
                    elapsed = time.perf_counter() - interval_start
                    record = self._log(sums / interval_steps, interval_steps, elapsed, bar)
                    sums, interval_start, interval_steps = None, time.perf_counter(), 0
                self._maybe_snapshot()
        self.interrupted = stop.requested
        if stop.requested:
            print(f"began: stopping at step {self.step} ({stop.requested})", file=sys.stderr)
        if interval_steps:  # a short last interval is logged, but a full one is the summary
            elapsed = time.perf_counter() - interval_start
            last = self._log(sums / interval_steps, interval_steps, elapsed, None)
            record = record if interval_steps < config.log_every // 2 and record else last
        self.snapshot()
        return record

    def _should_stop(self, deadline: float | None) -> bool:
        if self.config.steps and self.step >= self.config.steps:
            return True
        return deadline is not None and time.monotonic() >= deadline

    def _log(self, means: torch.Tensor, steps: int, seconds: float, bar) -> dict:
        loss_real, loss_fake, k, measure = means.tolist()
        if not np.isfinite([loss_real, loss_fake, measure]).all():
            raise TrainingError(
                f"losses became non-finite by step {self.step} (L(x)={loss_real}, "
                f"L(G(z))={loss_fake}); {self._last_good()}. Try a lower --lr."
            )
        record = {
            "step": self.step,
            "loss_real": loss_real,
            "loss_fake": loss_fake,
            "k": k,
            "M": measure,
            "lr": self.schedule.lr,
            "images_per_s": steps * self.config.batch_size / max(seconds, 1e-9),
            "time": time.time(),
        }
        self.run.log(record)
        if bar is not None:
            bar.set_postfix_str(
                f"L(x)={loss_real:.4f} L(G)={loss_fake:.4f} k={k:.4f} M={measure:.4f} "
                f"lr={self.schedule.lr:.1e} img/s={record['images_per_s']:.0f}"
            )
        return record

    def _maybe_snapshot(self) -> None:
        c = self.config
        if any(self.step % every == 0 for every in (c.sample_every, c.checkpoint_every)):
            self.check_finite()
        if self.config.eval_every and self.step % self.config.eval_every == 0:
            self.evaluate()
        if self.step % self.config.sample_every == 0:
            self.save_images()
        if self.step % self.config.checkpoint_every == 0:
            self.save()

    def snapshot(self) -> None:
        """Final grids and checkpoint, unless the loop already wrote them at this step."""
        self.check_finite()
        if self.step % self.config.sample_every:
            self.save_images()
        if self.step % self.config.checkpoint_every:
            self.save()

    # -- outputs --------------------------------------------------------------------------

    @torch.no_grad()
    def save_images(self) -> None:
        """Sample and reconstruction grids, and the samples' diversity in the log."""
        samples = self.generator(self.fixed_z)
        reals = self.fixed_reals.to(self.device).float().div(127.5).sub(1.0)
        half = reals[: NUM_FIXED_SAMPLES // 2].contiguous(memory_format=torch.channels_last)
        recons = self.discriminator(half)
        save_grid(samples, self.run.samples(self.step), columns=8)
        pairs = torch.stack([half, recons], dim=1).flatten(0, 1)
        save_grid(pairs, self.run.reconstructions(self.step), columns=8)
        self.run.log({"step": self.step, "diversity": diversity(samples, reals)})

    def evaluate(self) -> dict:
        """FID and KID of --eval-num samples against as many training images, into the log.

        The samples come from a fixed seed and the real images are a fixed subset, so the
        figures of one run are comparable across steps (and the reference is cached).
        """
        from .metrics import evaluate_images
        from .sampling import sample_images

        count = min(self.config.eval_num, len(self.loader.images))
        fake = sample_images(self.generator, self.config, count, seed=self.config.seed)
        real = self.loader.images[:count].permute(0, 2, 3, 1).numpy()
        results = evaluate_images(fake, real, metrics=("fid", "kid"), progress=False)
        record = {"step": self.step, "eval_n": count, "fid": results["fid"]}
        record.update(kid=results["kid_mean"], kid_std=results["kid_std"])
        self.run.log(record)
        return record

    def check_finite(self) -> None:
        """Raise TrainingError, before anything is written, if a weight is NaN or infinite."""
        for name, net in (("generator", self.generator), ("discriminator", self.discriminator)):
            if not all(torch.isfinite(p).all() for p in net.parameters()):
                raise TrainingError(
                    f"the {name}'s weights became non-finite by step {self.step}; "
                    f"{self._last_good()}. Try a lower --lr."
                )

    def _last_good(self) -> str:
        if self.run.checkpoint.exists():
            return f"kept the last good checkpoint {self.run.checkpoint}"
        return "no checkpoint had been written yet"

    def save(self) -> None:
        """Write the checkpoint, unless the weights went non-finite since the last one."""
        self.check_finite()
        save_checkpoint(self.state_dict(), self.run.checkpoint)

    def state_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "step": self.step,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "controller": self.controller.state_dict(),
            "schedule": self.schedule.state_dict(),
            "loader": self.loader.state_dict(),
            "z_rng": self.z_rng.get_state(),
            "fixed_z": self.fixed_z.cpu(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.controller.load_state_dict(state["controller"])
        self.schedule.load_state_dict(state["schedule"])
        self.loader.load_state_dict(state["loader"])
        self.z_rng.set_state(state["z_rng"])
        self.fixed_z = state["fixed_z"].to(self.device)
        self.step = int(state["step"])

    def resume(self, path: str | Path) -> None:
        state = load_checkpoint(path)
        refuse_changed_settings(self.config, TrainConfig.from_dict(state["config"]))
        self.load_state_dict(state)


# -- the entry point the CLI calls ---------------------------------------------------------


@dataclass
class TrainResult:
    run: Path
    step: int
    record: dict
    interrupted: str | None = None

    def summary(self) -> str:
        r = self.record
        if not r:
            return f"run {self.run}: at step {self.step}, nothing to do"
        return (
            f"run {self.run}: step {self.step}; mean over the interval to step {r['step']}: "
            f"L(x)={r['loss_real']:.4f} "
            f"L(G(z))={r['loss_fake']:.4f} k={r['k']:.4f} M={r['M']:.4f} lr={r['lr']:.2e} "
            f"images/s={r['images_per_s']:.0f}\nsamples: {self.run / 'samples'}"
        )


def load_training_images(
    config: TrainConfig, progress: bool = True
) -> tuple[TrainConfig, np.ndarray]:
    """Decode (or fetch from cache) the data set; resolve ``channels=0`` from the data."""
    images = load_images(
        config.data, image_size=config.image_size, channels=config.channels, crop=config.crop,
        workers=config.workers or os.cpu_count() or 1, progress=progress,
    )  # fmt: skip
    return dataclasses.replace(config, channels=images.shape[-1]), images


def run_label(data: str | None) -> str:
    """A short name for run folders: the data set's file or folder name."""
    return "fashion-mnist-test" if data is None else Path(data).name.split(".")[0]


def train(settings: dict, out: str | Path = "runs", resume: str | Path | None = None,
          progress: bool = True) -> TrainResult:  # fmt: skip
    """Validate ``settings``, prepare data and a run folder, train, and report."""
    if settings.get("data") is not None:  # runs resume from any folder, and compare paths
        settings = {**settings, "data": str(Path(settings["data"]).expanduser().resolve())}
    if resume is not None:
        checkpoint = checkpoint_path(resume)
        state = load_checkpoint(checkpoint)
        run = run_folder_of(checkpoint)
        if run is None:  # writing beside a copied checkpoint would make a run two folders up
            raise ConfigError(
                f"--resume {resume}: {checkpoint} is not inside a run folder (no config.json "
                "two folders up); resume the run folder itself"
            )
        saved = TrainConfig.from_dict(state["config"])
        if settings.get("channels") == 0:  # "as the data" was resolved when the run began
            settings = {**settings, "channels": saved.channels}
        config = TrainConfig.from_dict({**saved.to_dict(), **settings}).validate()
        refuse_changed_settings(config, saved)
    else:
        config = TrainConfig.from_dict(settings).validate()
        run = None
    resolve_device(config.device)  # fail before any work when the device or weights are missing
    if config.eval_every:
        from .metrics import find_weights

        find_weights()
    config, images = load_training_images(config, progress)
    if len(images) < config.batch_size:
        raise ConfigError(
            f"--batch-size {config.batch_size}: the data set has only {len(images)} images"
        )
    if run is None:
        run = RunFolder(new_run_folder(out, run_label(config.data)))
        run.config.write_text(config.to_json())
    trainer = Trainer(config, images, run)
    if resume is not None:
        try:
            trainer.load_state_dict(state)  # the settings were compared above
        except ValueError as error:  # e.g. the data set no longer has the run's size
            raise ConfigError(f"--resume {resume}: {error}") from None
        del state
        run.config.write_text(config.to_json())
    if progress:
        print(
            f"began: {len(images)} images, {config.image_size} px, {config.channels} channel(s); "
            f"run folder {run.path}; {trainer.device}, {trainer.precision}",
            file=sys.stderr,
        )
    record = trainer.fit(progress=progress)
    return TrainResult(run.path, trainer.step, record, trainer.interrupted)
