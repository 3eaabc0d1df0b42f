"""Training-step speed of began beside a plain reference step, measured side by side.

The reference step is written the way typical public PyTorch ports write BEGAN: float32,
NCHW, separate discriminator passes on real and fake images, a generator update that
back-propagates into D's weights too, and k_t read back to Python every step. Both steps
use the same architecture, batch and machine; their timings are interleaved and the median
of several rounds is reported, with the counted FLOPs of each step, the machine's measured
matmul peak (float32 and bf16) and the loader's throughput on a folder of JPEG files.
The "ceiling" column is the ratio a step would reach if it ran at the best measured matmul
rate: the most any rewrite of it can win on this machine.

    python benchmarks/step_speed.py              # all configurations, ~15 min on 2 cores
    python benchmarks/step_speed.py --compile    # also under torch.compile, ~20 min
    python benchmarks/step_speed.py --quick      # one small configuration
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from began.config import TrainConfig
from began.data import load_images
from began.data.loader import BatchLoader
from began.equilibrium import reconstruction_loss
from began.performance import keep_freed_memory
from began.run_folder import RunFolder
from began.training import Trainer, build_discriminator, build_generator

CONFIGS = [  # (image size, n, batch, channels)
    (32, 64, 64, 1),
    (32, 64, 64, 3),
    (64, 64, 16, 1),
    (64, 64, 16, 3),
]


class ReferenceStep:
    """A BEGAN step as most public ports write it; the maths match began's step."""

    def __init__(self, config: TrainConfig, device: torch.device):
        torch.manual_seed(config.seed)
        self.config, self.device = config, device
        self.generator = build_generator(config).to(device)
        self.discriminator = build_discriminator(config).to(device)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), config.lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), config.lr, betas=betas)
        self.k = 0.0
        size, channels = config.image_size, config.channels
        self.real = torch.rand(config.batch_size, channels, size, size, device=device) * 2 - 1

    def __call__(self) -> None:
        c, batch = self.config, self.config.batch_size
        z_d = torch.rand(batch, c.z_dim, device=self.device) * 2 - 1
        z_g = torch.rand(batch, c.z_dim, device=self.device) * 2 - 1
        fake = self.generator(z_d).detach()
        loss_real = reconstruction_loss(self.real, self.discriminator(self.real))
        loss_fake = reconstruction_loss(fake, self.discriminator(fake))
        self.opt_d.zero_grad()
        (loss_real - self.k * loss_fake).backward()
        self.opt_d.step()
        fake_g = self.generator(z_g)
        loss_g = reconstruction_loss(fake_g, self.discriminator(fake_g))
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        balance = c.gamma * loss_real.item() - loss_g.item()
        self.k = min(max(self.k + c.lambda_k * balance, 0.0), 1.0)


def product_step(config: TrainConfig, tmp: Path) -> Trainer:
    size, channels = config.image_size, config.channels
    images = np.random.default_rng(0).integers(0, 256, (256, size, size, channels), np.uint8)
    return Trainer(config, images, RunFolder(tmp))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_step(step, device: torch.device, steps: int) -> float:
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


def count_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def saved_activation_mb(step) -> float:
    """Largest total of tensors autograd keeps for one backward pass, in MB."""
    alive = {"now": 0, "peak": 0}

    def pack(tensor):
        alive["now"] += tensor.numel() * tensor.element_size()
        alive["peak"] = max(alive["peak"], alive["now"])
        return tensor

    def unpack(tensor):
        return tensor

    original_backward = torch.Tensor.backward

    def backward(self, *args, **kwargs):
        original_backward(self, *args, **kwargs)
        alive["now"] = 0

    torch.Tensor.backward = backward
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            step()
    finally:
        torch.Tensor.backward = original_backward
    return alive["peak"] / 2**20


def matmul_peak(dtype: torch.dtype, device: torch.device, size: int = 2048) -> float:
    """Measured FLOP/s of a large square matmul in ``dtype``."""
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    for _ in range(2):
        a @ b
    rounds = []
    for _ in range(5):
        rounds.append(seconds_per_step(lambda: a @ b, device, 3))
    return 2 * size**3 / min(rounds)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One timed step: the reference or began's, and how it runs."""

    name: str
    reference: bool
    precision: str = "float32"
    compile: bool = False
    keep_freed_memory: bool = True  # began does this on CPU; a typical port does not


def variants_to_time(args) -> list[Variant]:
    variants = [
        Variant("reference", reference=True, keep_freed_memory=False),
        Variant("reference, memory kept", reference=True),  # the allocator's share alone
    ]
    for precision in args.precisions:
        for compiled in (False, True) if args.compile else (False,):
            name = f"began {precision}" + (" compiled" if compiled else "")
            variants.append(Variant(name, reference=False, precision=precision, compile=compiled))
    return variants


def serve_step(conn, variant: Variant, base: dict) -> None:
    """Child process: build one step, then time or measure it on the parent's command.

    Each step has a process of its own, so the allocator setting, the compiled code and the
    peak memory of one do not leak into another; the parent interleaves their rounds.
    """
    if variant.keep_freed_memory:
        keep_freed_memory()
    else:
        os.environ["BEGAN_KEEP_FREED_MEMORY"] = "0"  # stops the Trainer from doing it
    config = TrainConfig(**{**base, "precision": variant.precision, "compile": variant.compile})
    device = torch.device(config.device)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = max_resident_mb()
        step = ReferenceStep(config, device) if variant.reference else (
            product_step(config, Path(tmp)).train_step
        )  # fmt: skip
        for _ in range(3):  # warm-up: allocator, kernel selection, compilation
            step()
        conn.send("ready")
        while (command := conn.recv()) != "stop":
            if command == "time":
                conn.send(seconds_per_step(step, device, conn.recv()))
            elif command == "measure":  # after the timings: counting slows the step down
                flops = None if variant.compile else count_flops(step)
                saved = None if variant.compile else saved_activation_mb(step)
                conn.send((flops, saved, peak_memory_mb(device, baseline)))


def max_resident_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB on Linux


def peak_memory_mb(device: torch.device, baseline: float) -> float:
    """Peak memory the step used: CUDA's allocator peak, or the growth of the peak RSS."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return max_resident_mb() - baseline


def best_peaks(device: torch.device, seen: dict[str, float]) -> dict[str, float]:
    """The best matmul rates measured so far in this run."""
    measured = {
        "fp32": matmul_peak(torch.float32, device),
        "bf16": matmul_peak(torch.bfloat16, device),
    }
    return {name: max(rate, seen[name]) for name, rate in measured.items()}


def benchmark_config(size, n, batch, channels, args, device) -> tuple[dict, dict]:
    # The paper's architecture: the options would add work the reference step does not do.
    base = TrainConfig(
        image_size=size, channels=channels, num_filters=n, batch_size=batch,
        device=str(device), precision="float32", skip=False, residual_steps=0,
    ).to_dict()  # fmt: skip
    variants = variants_to_time(args)
    context = multiprocessing.get_context("spawn")
    conns, processes = {}, []
    try:
        for variant in variants:  # one at a time, so each warms up on an idle machine
            parent, child = context.Pipe()
            process = context.Process(target=serve_step, args=(child, variant, base))
            process.start()
            child.close()  # so that a child that dies shows up here as EOFError
            processes.append(process)
            try:
                parent.recv()
            except EOFError:
                raise RuntimeError(f"{variant.name}: the step's process died") from None
            conns[variant.name] = parent
        timings = {name: [] for name in conns}
        for _ in range(args.rounds):
            for name, conn in conns.items():
                conn.send("time")
                conn.send(args.steps)
                timings[name].append(conn.recv())
        measured = {}
        for name, conn in conns.items():
            conn.send("measure")
            measured[name] = conn.recv()
            conn.send("stop")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    # Counters and hooks do not see inside compiled kernels; the maths are the eager ones.
    for variant in variants:
        if variant.compile:
            twin = measured[variant.name.removesuffix(" compiled")]
            measured[variant.name] = (twin[0], twin[1], measured[variant.name][2])
    return timings, measured


def print_config_table(config, rounds, timings, measured, peaks):
    size, n, batch, channels = config
    ref_seconds = statistics.median(timings["reference"])
    best_peak = max(peaks.values())
    print(f"\n{size} px, n={n}, batch {batch}, {channels} channel(s), median of {rounds}")
    print(f"  {'step':<25}{'img/s':>7}{'ratio':>7}{'GFLOP/step':>11}{'GFLOP/s':>9}"
          f"{'%fp32 pk':>9}{'%bf16 pk':>9}{'saved MB':>9}{'peak MB':>8}{'ceiling':>9}")  # fmt: skip
    for name in timings:
        seconds = statistics.median(timings[name])
        flops, saved, peak = measured[name]
        rate = flops / seconds
        # The ratio this step would reach running at the machine's best measured matmul rate.
        ceiling = ref_seconds / (flops / best_peak)
        print(
            f"  {name:<25}{batch / seconds:>7.1f}{ref_seconds / seconds:>7.2f}"
            f"{flops / 1e9:>11.2f}{rate / 1e9:>9.1f}{100 * rate / peaks['fp32']:>9.1f}"
            f"{100 * rate / peaks['bf16']:>9.1f}{saved:>9.1f}{peak:>8.0f}{ceiling:>8.2f}x"
        )


def loader_throughput(image_size: int, batch: int, count: int, device: torch.device) -> None:
    """Decode a folder of CelebA-sized JPEGs once, then time batches from the cache."""
    from PIL import Image

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "jpegs"
        folder.mkdir()
        base = rng.integers(0, 256, (8, 11, 3), np.uint8)
        for index in range(count):
            small = np.roll(base, index, axis=(0, 1)) // 2 + rng.integers(0, 128, 3, np.uint8)
            picture = Image.fromarray(small).resize((178, 218), Image.Resampling.BICUBIC)
            picture.save(folder / f"{index:06d}.jpg", quality=90)
        start = time.perf_counter()
        images = load_images(folder, image_size=image_size, channels=3, cache_dir=tmp,
                             workers=os.cpu_count() or 1, progress=False)  # fmt: skip
        decode = time.perf_counter() - start
        loader = BatchLoader(images, batch, seed=0, device=device, flip=True)
        loader.next_batch()
        seconds = seconds_per_step(loader.next_batch, device, 500)
    print(f"\nloader: {count} JPEGs 178x218 -> {image_size} px: first decode {decode:.1f} s "
          f"({count / decode:.0f} img/s); cached batches of {batch}: "
          f"{batch / seconds:,.0f} img/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small configuration")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per step (median)")
    parser.add_argument("--steps", type=int, default=3, help="steps per timed round")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="cpu, cuda or cuda:N (default: cuda when available)")  # fmt: skip
    parser.add_argument("--precisions", nargs="+", choices=["float32", "bfloat16"],
                        default=["float32", "bfloat16"], help="began steps to time")  # fmt: skip
    parser.add_argument("--jpegs", type=int, default=5000,
                        help="JPEG files made for the loader's measurement")  # fmt: skip
    parser.add_argument("--compile", action="store_true",
                        help="also time each began step under torch.compile")  # fmt: skip
    args = parser.parse_args()
    device = torch.device(args.device)
    print(f"device {device}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    configs = [(32, 16, 16, 1)] if args.quick else CONFIGS
    # The peak is measured between configurations and the best rate kept, so that a busy
    # moment of a shared machine does not lower the bar every step is measured against.
    peaks, results = {"fp32": 0.0, "bf16": 0.0}, []
    for config in configs:
        peaks = best_peaks(device, peaks)
        print(f"timing {config[0]} px, n={config[1]}, batch {config[2]}, "
              f"{config[3]} channel(s)", flush=True)  # fmt: skip
        results.append((config, *benchmark_config(*config, args, device)))
    peaks = best_peaks(device, peaks)
    print(f"best measured matmul rate: float32 {peaks['fp32'] / 1e9:.0f} GFLOP/s, "
          f"bf16 {peaks['bf16'] / 1e9:.0f} GFLOP/s")  # fmt: skip
    for config, timings, measured in results:
        print_config_table(config, args.rounds, timings, measured, peaks)
    loader_throughput(64, 16, 500 if args.quick else args.jpegs, device)


if __name__ == "__main__":
    main()
