"""Cache of reference statistics: Inception features, their mean and covariance, per data set.

A file is keyed by a hash of (format version, the content key of the reference images, the
preprocessing description, the weights' SHA-256), so a change to any of them misses the cache
instead of reusing stale figures. The content key is the SHA-256 of the image array itself
unless the caller supplies one. Files are ``.npz`` under ``$BEGAN_CACHE/metrics`` (default
``~/.cache/began/metrics``), written to a temporary file and renamed into place, so a crash
never leaves a torn file; an unreadable file is warned about and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from began.atomic import atomic_write
from began.data.cache import default_cache_dir

FORMAT_VERSION = 1


@dataclass
class ReferenceStats:
    """Features (N, 2048) float32 of the reference images, with their float64 mean and cov."""

    features: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray


def content_key(images: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    digest = hashlib.sha256(f"{images.dtype}{images.shape}".encode())
    digest.update(memoryview(np.ascontiguousarray(images)).cast("B"))
    return digest.hexdigest()


def cache_file(
    key: str,
    preprocessing: str,
    weights_sha256: str,
    cache_dir: str | os.PathLike | None = None,
    label: str = "images",
) -> Path:
    """Where the statistics for this (content, preprocessing, weights) triple live.

    ``label`` only makes the file name readable; it takes no part in the key.
    """
    blob = json.dumps(
        {"version": FORMAT_VERSION, "content": key, "pre": preprocessing, "w": weights_sha256},
        sort_keys=True,
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:24]
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:40]
    return root / "metrics" / f"ref-{label}-{digest}.npz"


def load(path: Path) -> ReferenceStats | None:
    """The cached statistics, or None when absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            stats = ReferenceStats(data["features"], data["mu"], data["sigma"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        warnings.warn(f"reference cache {path} is unreadable ({error}); rebuilding", stacklevel=2)
        return None
    dim = stats.features.shape[-1] if stats.features.ndim == 2 else -1
    if stats.mu.shape != (dim,) or stats.sigma.shape != (dim, dim):
        warnings.warn(f"reference cache {path} has inconsistent shapes; rebuilding", stacklevel=2)
        return None
    return stats


def save(path: Path, stats: ReferenceStats) -> None:
    """Write ``stats`` atomically: a temporary file in the same folder, then a rename."""
    with atomic_write(path) as file:
        np.savez(file, features=stats.features, mu=stats.mu, sigma=stats.sigma)
