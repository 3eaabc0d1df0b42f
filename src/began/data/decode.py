"""Decode a source into one uint8 array: image files one by one (optionally in worker
processes), array sources batch by batch. Unreadable image files are skipped and reported."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError
from tqdm import tqdm

from began.data.errors import DataError
from began.data.preprocess import Params, prepare_batch, prepare_image
from began.data.readers import Source, read_arrays

CHUNK = 64  # images per task: large enough to amortise inter-process overhead, small for bars
BATCH = 1024  # array images converted per Pillow call; bounds the temporary "tall" image

# (pixels, None) for a decoded image or (None, reason) for a skipped one.
Result = tuple[np.ndarray | None, str | None]


@contextmanager
def strict_truncation() -> Iterator[None]:
    """Make Pillow raise on truncated files even if other code enabled LOAD_TRUNCATED_IMAGES:
    a truncated file would otherwise come back silently padded with grey."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def decode_image(fp: BinaryIO, params: Params, name: str) -> np.ndarray:
    """Decode one image file (first frame of animations) into the run's format."""
    with Image.open(fp) as img:
        img.load()  # decode now, so broken data fails here rather than half-way through
        return prepare_image(img, params, name)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a recognised image"
    return str(exc) or type(exc).__name__


@contextmanager
def _opener(kind: str, root: Path) -> Iterator[Callable[[str], BinaryIO]]:
    if kind == "zip":
        with zipfile.ZipFile(root) as archive:
            # Members are read into memory: Pillow seeks freely, which compressed streams
            # handle badly, and nothing is extracted to disk.
            yield lambda name: io.BytesIO(archive.read(name))
    else:
        yield lambda name: io.BytesIO((root / name).read_bytes())


def _label(kind: str, root: Path, name: str) -> str:
    return f"{name} in {root}" if kind == "zip" else str(root / name)


def decode_chunk(kind: str, root: Path, names: Sequence[str], params: Params) -> list[Result]:
    """Decode the named members of a folder or zip; runs in a worker process when asked."""
    results: list[Result] = []
    with strict_truncation(), _opener(kind, root) as open_member:
        for name in names:
            try:
                with open_member(name) as fp:
                    results.append((decode_image(fp, params, _label(kind, root, name)), None))
            except DataError:
                raise  # a user error (crop box outside the image), not a broken file
            except Exception as exc:  # Pillow plugins raise many types on bad data
                results.append((None, _reason(exc)))
    return results


def _chunk_results(
    src: Source, params: Params, workers: int
) -> Iterator[tuple[Sequence[str], list[Result]]]:
    names = src.members
    chunks = [names[i : i + CHUNK] for i in range(0, len(names), CHUNK)]
    if workers == 0:
        for chunk in chunks:
            yield chunk, decode_chunk(src.kind, src.path, chunk, params)
        return
    executor = ProcessPoolExecutor(max_workers=workers)
    try:
        # map() yields results in submission order, so the output order never depends on
        # which worker finishes first.
        jobs = executor.map(
            decode_chunk,
            [src.kind] * len(chunks),
            [src.path] * len(chunks),
            chunks,
            [params] * len(chunks),
        )
        yield from zip(chunks, jobs, strict=True)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def decode_files(
    src: Source, params: Params, *, workers: int, progress: bool, desc: str
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Decode a folder or zip source; return the images and ``(name, reason)`` of skipped
    files."""
    size = params.image_size
    out = np.empty((len(src.members), size, size, params.channels), dtype=np.uint8)
    count = 0
    skipped: list[tuple[str, str]] = []
    with _progress(len(src.members), progress, desc) as bar:
        for chunk, results in _chunk_results(src, params, workers):
            for name, (pixels, reason) in zip(chunk, results, strict=True):
                if pixels is None:
                    skipped.append((name, reason or "unreadable"))
                else:
                    out[count] = pixels
                    count += 1
            bar.update(len(chunk))
    # Copy when files were skipped, so the result does not pin the oversized buffer.
    return (out if count == len(out) else out[:count].copy()), skipped


def decode_arrays(src: Source, params: Params, *, progress: bool, desc: str) -> np.ndarray:
    """Decode an array source (npy, npz, IDX, embedded) batch by batch."""
    parts = []
    for label, images in read_arrays(src):
        with _progress(len(images), progress, desc) as bar:
            for start in range(0, len(images), BATCH):
                batch = np.asarray(images[start : start + BATCH])
                parts.append(prepare_batch(batch, params, label))
                bar.update(len(batch))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _progress(total: int, enabled: bool, desc: str) -> tqdm:
    return tqdm(total=total, disable=not enabled, file=sys.stderr, unit="img", desc=desc)
