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
    channels = f"{params.channels}ch" if params.channels else "any-ch"
    return directory / f"{stem}-{params.image_size}px-{channels}-{digest}.npy"


def load(path: Path, params: Params) -> tuple[np.ndarray, list[tuple[str, str]]] | None:
    """The cached array and the ``(name, reason)`` of the files skipped when it was built, or
    None when absent or unusable (a corrupt file is warned about and will be overwritten by
    the rebuilt one)."""
    if not path.is_file():
        return None
    try:
        images = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        warnings.warn(f"cache file {path} is corrupt ({exc}); rebuilding it", stacklevel=3)
        return None
    size = params.image_size
    allowed = (1, 3) if params.channels == 0 else (params.channels,)
    usable = images.dtype == np.uint8 and images.ndim == 4
    if not usable or images.shape[1:3] != (size, size) or images.shape[3] not in allowed:
        warnings.warn(
            f"cache file {path} holds {images.dtype} {images.shape}, expected uint8 "
            f"(N, {size}, {size}, {' or '.join(map(str, allowed))}); rebuilding it",
            stacklevel=3,
        )
        return None
    if len(images) == 0:
        return None
    log.info("loaded %d images from cache %s", len(images), path)
    return images, _load_skipped(_skipped_file(path))


def save(path: Path, images: np.ndarray, skipped: list[tuple[str, str]] = ()) -> None:
    """Write ``images`` atomically: a temporary file in the same folder, then ``os.replace``,
    so readers never see a half-written cache. The names of skipped files go beside it, so a
    cached run warns about them too. Failure to write only warns."""
    try:
        if skipped:
            with atomic_write(_skipped_file(path)) as handle:
                handle.write(json.dumps([list(entry) for entry in skipped]).encode())
        else:  # a list left by an earlier build of the same key is no longer true
            _skipped_file(path).unlink(missing_ok=True)
        with atomic_write(path) as handle:
            np.save(handle, images)
    except OSError as exc:
        warnings.warn(
            f"cannot write cache file {path} ({exc}); continuing without it", stacklevel=3
        )
        return
    log.info("cached %d images in %s", len(images), path)


def _skipped_file(path: Path) -> Path:
    return path.with_name(path.stem + ".skipped.json")


def _load_skipped(path: Path) -> list[tuple[str, str]]:
    try:
        entries = json.loads(path.read_text())
        return [(str(name), str(reason)) for name, reason in entries if isinstance(name, str)]
    except (OSError, ValueError, TypeError):  # absent or damaged: the images are still good
        return []
