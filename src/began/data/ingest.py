"""``load_images``: the one call that turns any supported source into a training array."""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np

from began.data import cache
from began.data.decode import decode_arrays, decode_files
from began.data.errors import DataError
from began.data.preprocess import Params
from began.data.readers import Source, describe_source, resolve_source

MAX_NAMED = 3  # broken files named in the warning; the rest are only counted


def load_images(
    source: str | os.PathLike[str] | None,
    *,
    image_size: int,
    channels: int,
    crop: tuple[int, int, int, int] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 0,
    progress: bool = True,
) -> np.ndarray:
    """Return every usable image of ``source`` as uint8 ``(N, image_size, image_size, channels)``.

    ``source`` is a folder of images (searched recursively), a ``.zip`` of images, a ``.npy`` or
    ``.npz`` uint8 array, an IDX file, a folder of IDX files, or None for the embedded
    Fashion-MNIST test split. ``channels`` is 1 (greyscale), 3 (RGB) or 0 (as the data: 1 when
    every decoded image is grey, else 3). ``crop`` is an optional ``(left, top, width, height)``
    box cut from every image before the centred square crop and the resize. The result is
    cached under ``cache_dir`` (default ``$BEGAN_CACHE`` or ``~/.cache/began``) and reused while
    the source and parameters are unchanged.

    ``workers`` > 0 decodes image files in that many processes (0: in this process); the output
    order is the same either way. ``progress`` shows a progress bar on stderr.

    Unreadable image files are skipped with one warning, repeated when the cache is used.
    Raises DataError when the source is missing or unsupported, when nothing usable remains,
    or when a parameter is invalid.
    """
    params = Params.checked(image_size, channels, crop)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise DataError(f"workers must be an integer >= 0, got {workers!r}")
    src = resolve_source(source)
    label = describe_source(source)
    cache_path = cache.cache_file(cache_dir, src, params)
    cached = cache.load(cache_path, params) or _from_any_channel_cache(cache_dir, src, params)
    if cached is not None:
        images, skipped = cached
    else:
        decoded_as = dataclasses.replace(params, channels=3) if params.channels == 0 else params
        images, skipped = _decode(src, label, decoded_as, workers=workers, progress=progress)
        if params.channels == 0:
            images = grey_if_all_grey(images)
        cache.save(cache_path, images, skipped)
    if skipped:
        warn_skipped(label, skipped)
    return images


def _from_any_channel_cache(
    cache_dir: str | os.PathLike[str] | None, src: Source, params: Params
) -> tuple[np.ndarray, list[tuple[str, str]]] | None:
    """A cache written with ``channels=0`` that holds the channel count asked for now (a run
    started "as the data" records the count it found, and resumes and evaluations ask for it)."""
    if params.channels == 0:
        return None
    any_params = dataclasses.replace(params, channels=0)
    cached = cache.load(cache.cache_file(cache_dir, src, any_params), any_params)
    return cached if cached is not None and cached[0].shape[-1] == params.channels else None


def grey_if_all_grey(images: np.ndarray) -> np.ndarray:
    """``images`` with one channel when all three channels are equal everywhere."""
    grey = images.shape[-1] == 3 and bool((images[..., :1] == images).all())
    return np.ascontiguousarray(images[..., :1]) if grey else images


def _decode(
    src: Source, label: str, params: Params, *, workers: int, progress: bool
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    desc = "embedded" if src.path is None else src.path.name
    if src.is_array:
        return decode_arrays(src, params, progress=progress, desc=desc), []
    images, skipped = decode_files(src, params, workers=workers, progress=progress, desc=desc)
    if not len(images):
        raise DataError(f"{label}: no usable image ({len(skipped)} unreadable file(s))")
    return images, skipped


def warn_skipped(label: str, skipped: list[tuple[str, str]]) -> None:
    named = ", ".join(f"{name} ({reason})" for name, reason in skipped[:MAX_NAMED])
    more = f" and {len(skipped) - MAX_NAMED} more" if len(skipped) > MAX_NAMED else ""
    warnings.warn(
        f"{label}: skipped {len(skipped)} unreadable image file(s): {named}{more}", stacklevel=3
    )
