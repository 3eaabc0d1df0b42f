"""How a step runs fast on the hardware at hand, without changing the maths.

* precision: bf16 autocast where the hardware computes it natively (CUDA with bf16, CPUs
  with AMX tiles); losses, k_t and M always stay in float32;
* fused Adam where PyTorch has a fused kernel for the device;
* optional ``torch.compile``, falling back to eager mode with a warning when the compiler
  (or a C++ toolchain for it) is missing;
* on CPU, freed activation memory kept for reuse instead of being returned to the system.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import warnings

import torch
from torch import nn

PRECISIONS = ("auto", "float32", "bfloat16")


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 matmuls and convolutions beat float32 on ``device``.

    CPUs with AVX-512 bf16 but no AMX convert to float32 around each kernel and measured
    slower than float32 in ``benchmarks/step_speed.py``; AMX and CUDA run bf16 natively.
    """
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
        return bool(amx())
    return False


def resolve_precision(requested: str, device: torch.device) -> str:
    if requested == "auto":
        return "bfloat16" if bf16_is_fast(device) else "float32"
    return requested


def autocast(precision: str, device: torch.device):
    """A context that runs the networks in ``precision``; float32 means no autocast."""
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


OFF_WORDS = ("0", "false", "no", "off")

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Make glibc keep freed memory in the heap for reuse; return whether it could.

    A CPU training step frees and reallocates the same multi-megabyte activation buffers every
    step. By default glibc serves each with fresh ``mmap`` pages and unmaps it on free, so the
    step pays a page fault per 4 KiB of activations; ``benchmarks/step_speed.py`` measures the
    difference. Process-wide and idempotent; a no-op outside Linux/glibc or when the environment
    sets ``BEGAN_KEEP_FREED_MEMORY`` to 0, false, no or off. The cost: the process stays at its
    peak resident size between steps instead of shrinking back.
    """
    opted_out = os.environ.get("BEGAN_KEEP_FREED_MEMORY", "").strip().lower() in OFF_WORDS
    if not sys.platform.startswith("linux") or opted_out:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def adam(params, lr: float, betas: tuple[float, float], device: torch.device):
    """Adam with the fused kernel on devices that have one (CUDA, and CPU since PyTorch 2.4)."""
    try:
        return torch.optim.Adam(params, lr, betas=betas, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr, betas=betas, foreach=device.type == "cuda")


class MaybeCompiled:
    """Calls ``torch.compile(module)``; on a compiler failure warns once and stays eager.

    A plain callable rather than a module, so the wrapped module's state dict, and with it
    every checkpoint, is the same whether a run was compiled or not.
    """

    def __init__(self, module: nn.Module, enabled: bool):
        self.module = module
        self._compiled = torch.compile(module) if enabled else None

    def __call__(self, *args, **kwargs):
        if self._compiled is not None:
            try:
                return self._compiled(*args, **kwargs)
            except Exception as error:  # inductor raises many kinds when no compiler is usable
                warnings.warn(f"torch.compile failed, running eagerly: {error}", stacklevel=2)
                self._compiled = None
        return self.module(*args, **kwargs)
