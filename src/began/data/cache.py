"""Cache of decoded data sets: one uint8 ``.npy`` file per (source, preprocessing) pair.

The key hashes a format version, the preprocessing parameters and a *fingerprint* of the
source. The fingerprint is stat-based for files on disk: resolved path, size and modification
time (ns) of every file read (each image of a folder; the archive itself for zip/npy/npz/IDX).
That is cheap even for large folders and catches edits, additions and removals; an edit that
keeps size and mtime is missed. The embedded data set is fingerprinted by a hash of its bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from began.atomic import atomic_write
from began.data.preprocess import Params
from began.data.readers import EMBEDDED_FILE, Source

# Bump whenever decoding or preprocessing changes its output, so old caches are not reused.
FORMAT_VERSION = 1

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$BEGAN_CACHE`` if set and not empty, else ``~/.cache/began``."""
    configured = os.environ.get("BEGAN_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "began"


def fingerprint(src: Source) -> list[object]:
    """What identifies the content of ``src`` (see the module docstring)."""
    if src.kind == "embedded":
        data = resources.files("began.data").joinpath("embedded", EMBEDDED_FILE).read_bytes()
        return ["embedded", EMBEDDED_FILE, hashlib.sha256(data).hexdigest()]
    entries: list[object] = [src.kind, str(src.path.resolve())]
    for path in src.files():
        stat = path.stat()
        name = "" if path == src.path else path.relative_to(src.path).as_posix()
        entries.append([name, stat.st_size, stat.st_mtime_ns])
    return entries


def cache_file(cache_dir: str | os.PathLike[str] | None, src: Source, params: Params) -> Path:
    """Path of the cache file for ``src`` under ``params``; the name is readable for humans."""
    key = json.dumps(
        {
            "version": FORMAT_VERSION,
            "source": fingerprint(src),
            "params": [params.image_size, params.channels, params.crop],
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    stem = "embedded" if src.path is None else src.path.name
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:40]
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return directory / f"{stem}-{params.image_size}px-{params.channels}ch-{digest}.npy"


def load(path: Path, params: Params) -> np.ndarray | None:
    """The cached array, or None when absent or unusable (a corrupt file is warned about and
    will be overwritten by the rebuilt one)."""
    if not path.is_file():
        return None
    try:
        images = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        warnings.warn(f"cache file {path} is corrupt ({exc}); rebuilding it", stacklevel=3)
        return None
    expected = (params.image_size, params.image_size, params.channels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != expected:
        warnings.warn(
            f"cache file {path} holds {images.dtype} {images.shape}, expected uint8 "
            f"(N, {', '.join(map(str, expected))}); rebuilding it",
            stacklevel=3,
        )
        return None
    if len(images) == 0:
        return None
    log.info("loaded %d images from cache %s", len(images), path)
    return images


def save(path: Path, images: np.ndarray) -> None:
    """Write ``images`` atomically: a temporary file in the same folder, then ``os.replace``,
    so readers never see a half-written cache. Failure to write only warns."""
    try:
        with atomic_write(path) as handle:
            np.save(handle, images)
    except OSError as exc:
        warnings.warn(
            f"cannot write cache file {path} ({exc}); continuing without it", stacklevel=3
        )
        return
    log.info("cached %d images in %s", len(images), path)
