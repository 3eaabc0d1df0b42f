"""Write a folder of real images in every mode and format began reads, plus broken files.

The pictures are the real textures of ``textures-32.npz``, saved at several sizes as JPEG
(RGB, greyscale, CMYK), PNG (RGBA with transparency, palette, 16-bit greyscale), BMP, WebP,
GIF and TIFF, in nested folders, with a few truncated and fake files mixed in. Training on
it checks the whole ingest path on real content:

    python scripts/make_mixed_folder.py ../shared/data/textures-32/textures-32.npz mixed/
    began train --data mixed/ --minutes 10
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = [(32, 32), (48, 40), (64, 64), (90, 70), (37, 53)]


def save_variant(picture: Image.Image, index: int, folder: Path) -> None:
    """Save one texture in the format and mode picked by its index."""
    picture = picture.resize(SIZES[index % len(SIZES)], Image.Resampling.BICUBIC)
    kind = index % 10
    sub = folder / f"part{index % 3}"
    sub.mkdir(exist_ok=True)
    stem = sub / f"texture-{index:05d}"
    if kind == 0:
        picture.save(f"{stem}.jpg", quality=92)
    elif kind == 1:
        picture.convert("L").save(f"{stem}.JPEG", quality=92)
    elif kind == 2:
        picture.convert("CMYK").save(f"{stem}.jpg", quality=92)
    elif kind == 3:
        rgba = picture.convert("RGBA")
        alpha = np.full(rgba.size[::-1], 255, np.uint8)
        alpha[:, : alpha.shape[1] // 6] = 0  # a transparent strip on the left
        rgba.putalpha(Image.fromarray(alpha))
        rgba.save(f"{stem}.png")
    elif kind == 4:
        picture.quantize(64).save(f"{stem}.png")
    elif kind == 5:
        grey16 = np.asarray(picture.convert("L"), np.uint16) * 257
        Image.fromarray(grey16).save(f"{stem}.png")
    elif kind == 6:
        picture.save(f"{stem}.bmp")
    elif kind == 7:
        picture.save(f"{stem}.webp", quality=90)
    elif kind == 8:
        picture.save(f"{stem}.gif")
    else:
        picture.save(f"{stem}.tif")


def add_broken_files(folder: Path, source: Path) -> None:
    data = source.read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("this is not an image\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("npz", type=Path, help="textures-32.npz (array x, N x 32 x 32 x 3)")
    parser.add_argument("out", type=Path, help="folder to create")
    parser.add_argument("--count", type=int, default=2207)
    args = parser.parse_args()
    textures = np.load(args.npz)["x"][: args.count]
    args.out.mkdir(parents=True, exist_ok=True)
    for index, texture in enumerate(textures):
        save_variant(Image.fromarray(texture), index, args.out)
    add_broken_files(args.out, next(args.out.rglob("*.jpg")))
    print(f"wrote {len(textures)} images and 3 broken files to {args.out}")


if __name__ == "__main__":
    main()
