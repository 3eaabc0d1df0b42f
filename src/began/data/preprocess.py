"""Turn decoded images into the run's format: uint8, square, ``image_size`` pixels, 1 or 3
channels.

Files and arrays follow the same steps, in this order: EXIF orientation (files only), depth
reduction to 8 bits, alpha composited over white, conversion to "L" or "RGB", the optional
crop box, a centred square crop, and an antialiased resize.

Choices:

* Transparent pixels are composited over **white**. Images with an alpha channel are mostly
  cut-out objects (product shots, icons, sprites) made to be shown on a white page, so white
  is how their authors saw them; a black background would also darken every antialiased edge.
* Resizing uses **Lanczos** (``Image.Resampling.LANCZOS``) with ``reducing_gap=3``. Lanczos is
  the sharpest antialiased filter Pillow has, and a GAN learns the sharpness of its data, so
  blurrier filters cost sample quality. ``reducing_gap=3`` first shrinks large photos by an
  integer factor with a box filter; Pillow documents the result at that gap as, in most cases,
  indistinguishable from a full Lanczos pass, and it makes large photos several times faster.
* Greyscale uses Pillow's "L" conversion (ITU-R 601-2 luma); arrays are converted by Pillow
  too, so a ``.npy`` and a folder of the same pixels give the same output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
from PIL import Image, ImageOps

from began.data.errors import DataError

BACKGROUND = (255, 255, 255)
RESAMPLE = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class Params:
    """Preprocessing parameters of one run; ``crop`` is ``(left, top, width, height)``;
    ``channels`` 0 means 1 or 3, whichever the data turn out to be."""

    image_size: int
    channels: int
    crop: tuple[int, int, int, int] | None = None

    @classmethod
    def checked(cls, image_size: object, channels: object, crop: object) -> Params:
        """Validate user-supplied values and build Params; raise DataError when invalid."""
        if not _is_int(image_size) or image_size < 1:
            raise DataError(f"image_size must be a positive integer, got {image_size!r}")
        if not _is_int(channels) or channels not in (0, 1, 3):
            raise DataError(
                f"channels must be 1 (greyscale), 3 (RGB) or 0 (as the data), got {channels!r}"
            )
        if crop is not None:
            values = tuple(crop) if isinstance(crop, (tuple, list)) else ()
            if len(values) != 4 or not all(_is_int(v) for v in values):
                raise DataError(f"crop must be (left, top, width, height) integers, got {crop!r}")
            left, top, width, height = (int(v) for v in values)
            if left < 0 or top < 0 or width < 1 or height < 1:
                raise DataError(f"crop {crop!r}: left and top must be >= 0, width and height >= 1")
            crop = (left, top, width, height)
        return cls(int(image_size), int(channels), crop)


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def orient(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag, so pixels are as a photo viewer would show them."""
    try:
        return ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        # Malformed EXIF does not make the pixels unusable; keep them as stored.
        return img


def to_8bit(img: Image.Image) -> Image.Image:
    """Reduce 16-bit, 32-bit integer and float greyscale images to 8-bit "L".

    16-bit values are scaled by 255/65535 (that is, divided by 257) and rounded: Pillow's own
    conversion clips them instead, turning almost everything white. Mode "I" is read as 16-bit
    data, the form older Pillow versions gave 16-bit PNGs. Mode "F" is taken as a 0..1 range
    when all values lie in it and as 0..255 otherwise.
    """
    if img.mode.startswith("I;16") or img.mode == "I":
        wide = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8))
    if img.mode == "F":
        values = np.nan_to_num(np.asarray(img, dtype=np.float64))
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            values = values * 255.0
        return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
    return img


def has_alpha(img: Image.Image) -> bool:
    """True for alpha modes and for palette/L/RGB images with a transparent colour."""
    return img.mode in _ALPHA_MODES or "transparency" in img.info


def to_channels(img: Image.Image, channels: int) -> Image.Image:
    """Convert any Pillow mode to "L" (1 channel) or "RGB" (3 channels)."""
    img = to_8bit(img)
    if has_alpha(img):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        img = Image.alpha_composite(background, rgba)
    if img.mode not in ("L", "RGB"):
        # One well-trodden route for P, 1, CMYK, YCbCr, RGBA...: Pillow converts each to RGB.
        img = img.convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return img if img.mode == target else img.convert(target)


def square_box(
    width: int, height: int, crop: tuple[int, int, int, int] | None, name: str
) -> tuple[int, int, int, int]:
    """The (left, upper, right, lower) box to keep: the crop box if any, then its centred
    square. Raise DataError naming ``name`` when the crop box does not fit the image."""
    left, top = 0, 0
    if crop is not None:
        left, top, box_w, box_h = crop
        if left + box_w > width or top + box_h > height:
            raise DataError(
                f"{name}: crop box (left={left}, top={top}, width={box_w}, height={box_h}) "
                f"falls outside the {width}x{height} image"
            )
        width, height = box_w, box_h
    side = min(width, height)
    left += (width - side) // 2
    top += (height - side) // 2
    return (left, top, left + side, top + side)


def resize_square(img: Image.Image, size: int) -> Image.Image:
    """Resize a square image to ``size`` x ``size`` with antialiasing (no-op if already so)."""
    if img.size == (size, size):
        return img
    return img.resize((size, size), RESAMPLE, reducing_gap=REDUCING_GAP)


def _to_array(img: Image.Image) -> np.ndarray:
    array = np.asarray(img)
    return array[..., np.newaxis] if array.ndim == 2 else array


def prepare_image(img: Image.Image, params: Params, name: str) -> np.ndarray:
    """One decoded image file -> uint8 ``(image_size, image_size, channels)``."""
    img = to_channels(orient(img), params.channels)
    img = img.crop(square_box(img.width, img.height, params.crop, name))
    return _to_array(resize_square(img, params.image_size))


def prepare_batch(batch: np.ndarray, params: Params, name: str) -> np.ndarray:
    """Equal-sized uint8 images ``(n, H, W, C)`` with C in 1, 3, 4 -> the run's format."""
    if batch.shape[3] == 1 and params.channels == 3:
        # Replicating after the resize gives the same pixels as before it, for a third of
        # the work.
        return np.repeat(prepare_batch(batch, replace(params, channels=1), name), 3, axis=3)
    batch = _batch_to_channels(batch, params.channels)
    n, height, width, channels = batch.shape
    left, top, right, bottom = square_box(width, height, params.crop, name)
    batch = batch[:, top:bottom, left:right]
    size = params.image_size
    if batch.shape[1] == size:
        return batch.copy()  # own, writable memory: the input may be a read-only file view
    out = np.empty((n, size, size, channels), dtype=np.uint8)
    for i in range(n):
        pixels = batch[i, :, :, 0] if channels == 1 else batch[i]
        out[i] = _to_array(resize_square(Image.fromarray(np.ascontiguousarray(pixels)), size))
    return out


def _batch_to_channels(batch: np.ndarray, channels: int) -> np.ndarray:
    n, height, width, have = batch.shape
    if have == channels:
        return batch
    # Stack the batch into one tall image so Pillow does the arithmetic (exactly as for files)
    # in a single call instead of one call per small image.
    tall = batch.reshape(n * height, width, have)
    tall = tall[..., 0] if have == 1 else tall
    converted = to_channels(Image.fromarray(np.ascontiguousarray(tall)), channels)
    return np.asarray(converted).reshape(n, height, width, channels)
