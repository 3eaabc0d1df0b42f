"""Image files of every supported format and mode come out with the right pixels."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from began.data import DataError, load_images
from began.data.preprocess import to_8bit

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255,) * 3, (0,) * 3


def load(source: Path, size: int, channels: int = 3, **kwargs) -> np.ndarray:
    return load_images(source, image_size=size, channels=channels, progress=False, **kwargs)


def only(folder: Path, img: Image.Image, name: str, **save_args) -> Path:
    """Save ``img`` as the single file of ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    img.save(folder / name, **save_args)
    return folder


def bands(width: int, height: int, colours: list, vertical: bool = True) -> Image.Image:
    """Equal bands of ``colours``, left to right (vertical) or top to bottom."""
    img = Image.new("RGB", (width, height))
    n = len(colours)
    for i, colour in enumerate(colours):
        if vertical:
            box = (i * width // n, 0, (i + 1) * width // n, height)
        else:
            box = (0, i * height // n, width, (i + 1) * height // n)
        img.paste(colour, box)
    return img


@pytest.mark.parametrize(
    ("name", "save_args"),
    [
        ("a.bmp", {}),
        ("a.webp", {"lossless": True}),
        ("a.gif", {}),
        ("a.tif", {}),
        ("a.tiff", {"compression": "tiff_lzw"}),
        ("a.png", {}),
    ],
)
def test_lossless_formats_keep_exact_colours(tmp_path, name, save_args):
    img = bands(12, 12, [RED, GREEN, BLUE, WHITE], vertical=False)
    out = load(only(tmp_path / "src", img, name, **save_args), 12)
    assert out.shape == (1, 12, 12, 3)
    np.testing.assert_array_equal(out[0], np.asarray(img))


def test_jpeg_rgb_and_greyscale(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    Image.new("RGB", (16, 16), (200, 40, 90)).save(folder / "a.jpg", quality=95)
    Image.new("L", (16, 16), 77).save(folder / "b.jpeg", quality=95)
    out = load(folder, 16)
    assert out.shape == (2, 16, 16, 3)
    assert np.abs(out[0].astype(int) - (200, 40, 90)).max() <= 4
    assert np.abs(out[1].astype(int) - 77).max() <= 2  # greyscale replicated to 3 channels


def test_exif_orientation_is_applied(tmp_path):
    # Stored 40x20: left half white, right half black. Orientation 6 means "rotate 90 degrees
    # clockwise to display", giving 20x40 with white on top; its centre square is then white
    # above black. Ignoring the tag would give white left of black instead.
    img = bands(40, 20, [WHITE, BLACK])
    exif = Image.Exif()
    exif[0x0112] = 6
    out = load(only(tmp_path / "src", img, "photo.jpg", exif=exif.tobytes(), quality=95), 20, 1)
    grey = out[0, :, :, 0].astype(int)
    assert grey[:8].mean() > 240 and grey[12:].mean() < 15


def test_rgba_composited_over_white(tmp_path):
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))  # fully transparent red
    img.paste((255, 0, 0, 255), (0, 0, 4, 2))  # opaque red top half
    img.paste((0, 0, 255, 128), (0, 2, 4, 3))  # half-transparent blue
    out = load(only(tmp_path / "src", img, "a.png"), 4)[0].astype(int)
    assert tuple(out[0, 0]) == RED
    assert np.abs(out[2, 0] - (127, 127, 255)).max() <= 1
    assert tuple(out[3, 0]) == WHITE


def test_la_with_alpha_to_greyscale(tmp_path):
    img = Image.new("LA", (2, 2), (0, 0))  # transparent black
    img.putpixel((0, 0), (30, 255))
    out = load(only(tmp_path / "src", img, "a.png"), 2, 1)[0, :, :, 0]
    assert out[0, 0] == 30 and out[1, 1] == 255


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_png(tmp_path, transparent):
    img = Image.new("P", (2, 2), 0)
    img.putpalette([0, 0, 0, 0, 255, 0] + [0] * (254 * 3))  # index 0 black, 1 green
    img.putpixel((1, 1), 1)
    args = {"transparency": 0} if transparent else {}
    out = load(only(tmp_path / "src", img, "a.png", **args), 2)[0]
    assert tuple(out[1, 1]) == GREEN
    assert tuple(out[0, 0]) == (WHITE if transparent else BLACK)


@pytest.mark.parametrize(("mode", "key"), [("RGB", (1, 2, 3)), ("L", 7)])
def test_png_colour_key_transparency(tmp_path, mode, key):
    img = Image.new(mode, (2, 1), key)  # every pixel has the transparent colour...
    img.putpixel((1, 0), (9, 9, 9) if mode == "RGB" else 9)  # ...but this one
    out = load(only(tmp_path / "src", img.crop((0, 0, 2, 2)), "a.png", transparency=key), 2)
    assert tuple(out[0, 0, 0]) == WHITE and tuple(out[0, 0, 1]) == (9, 9, 9)


def test_gif_transparency_composited(tmp_path):
    img = Image.new("P", (2, 2), 1)
    img.putpalette([0, 0, 255, 9, 9, 9] + [0] * (254 * 3))
    img.putpixel((0, 0), 0)
    out = load(only(tmp_path / "src", img, "a.gif", transparency=1), 2)[0]
    assert tuple(out[0, 0]) == BLUE and tuple(out[1, 1]) == WHITE


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[65535, 32768], [0, 257]], dtype=np.uint16)
    out = load(only(tmp_path / "src", Image.fromarray(values), "a.png"), 2, 1)[0, :, :, 0]
    np.testing.assert_array_equal(out, [[255, 128], [0, 1]])


def test_16bit_big_endian_and_32bit_modes():
    big = Image.frombytes("I;16B", (2, 1), np.array([65535, 32768], ">u2").tobytes())
    np.testing.assert_array_equal(np.asarray(to_8bit(big)), [[255, 128]])
    wide = Image.fromarray(np.array([[65535, 514, -5]], dtype=np.int32))
    assert wide.mode == "I"
    np.testing.assert_array_equal(np.asarray(to_8bit(wide)), [[255, 2, 0]])


def test_float_mode_unit_range_and_byte_range():
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(to_8bit(unit)), [[0, 128, 255]])
    byte = Image.fromarray(np.array([[0.0, 100.4, 300.0]], dtype=np.float32))
    np.testing.assert_array_equal(np.asarray(to_8bit(byte)), [[0, 100, 255]])


def test_float_tiff_file(tmp_path):
    img = Image.fromarray(np.full((3, 3), 0.25, dtype=np.float32))
    out = load(only(tmp_path / "src", img, "a.tif"), 3, 1)
    assert (out == 64).all()


def test_greyscale_and_bilevel(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    Image.new("L", (3, 3), 123).save(folder / "a.png")
    bilevel = Image.new("1", (3, 3), 0)
    bilevel.putpixel((2, 2), 1)
    bilevel.save(folder / "b.png")
    out = load(folder, 3, 1)[..., 0]
    assert (out[0] == 123).all()
    assert out[1, 2, 2] == 255 and out[1, 0, 0] == 0


@pytest.mark.parametrize("name", ["a.tif", "a.jpg"])
def test_cmyk_to_rgb(tmp_path, name):
    img = Image.new("CMYK", (8, 8), (0, 0, 0, 0))  # white
    img.paste((0, 255, 255, 0), (0, 0, 8, 4))  # red top half
    out = load(only(tmp_path / "src", img, name, quality=95), 8)[0].astype(int)
    assert np.abs(out[1, 1] - RED).max() <= 6
    assert np.abs(out[6, 6] - WHITE).max() <= 6


@pytest.mark.parametrize("vertical", [True, False])
def test_centre_crop_keeps_the_middle(tmp_path, vertical):
    size = (30, 10) if vertical else (10, 30)
    img = bands(*size, [RED, GREEN, BLUE], vertical=vertical)
    out = load(only(tmp_path / "src", img, "a.png"), 10)
    assert (out[0] == GREEN).all()


def test_crop_box_is_applied_before_centre_crop(tmp_path):
    img = Image.new("RGB", (40, 40), RED)
    img.paste(BLUE, (20, 5, 30, 25))  # 10x20 box: blue, its centre square too
    img.paste(GREEN, (20, 5, 30, 10))  # top 5 rows of the box fall outside the centre square
    out = load(only(tmp_path / "src", img, "a.png"), 10, crop=(20, 5, 10, 20))
    assert (out[0] == BLUE).all()


def test_crop_box_outside_an_image_names_the_file(tmp_path):
    folder = only(tmp_path / "src", Image.new("RGB", (40, 30)), "small.png")
    with pytest.raises(DataError, match=r"small\.png.*outside the 40x30 image"):
        load(folder, 8, crop=(10, 10, 30, 30))


def test_nested_folders_upper_case_extensions_and_sorted_order(tmp_path):
    folder = tmp_path / "src"
    (folder / "b" / "deep").mkdir(parents=True)
    Image.new("RGB", (4, 4), RED).save(folder / "b" / "deep" / "X.JPG", quality=95)
    Image.new("RGB", (4, 4), GREEN).save(folder / "A.PNG")
    Image.new("RGB", (4, 4), BLUE).save(folder / "b" / "c.Png")
    (folder / "notes.txt").write_text("not an image, not listed")
    out = load(folder, 4).astype(int)
    assert out.shape == (3, 4, 4, 3)  # the .txt is not an image extension, so never read
    expected = [GREEN, BLUE, RED]  # sorted: A.PNG, b/c.Png, b/deep/X.JPG
    for image, colour in zip(out, expected, strict=True):
        assert np.abs(image - colour).max() <= 4


@pytest.mark.parametrize("size", [16, 32, 64, 128, 256])
def test_output_sizes(tmp_path, size):
    folder = tmp_path / "src"
    folder.mkdir()
    Image.new("RGB", (70, 50), (90, 160, 30)).save(folder / "a.png")
    Image.new("L", (41, 97), 200).save(folder / "b.png")
    out = load(folder, size)
    assert out.shape == (2, size, size, 3) and out.dtype == np.uint8
    # A flat image stays flat through the resize: no ringing, no shift.
    assert (out[0] == (90, 160, 30)).all() and (out[1] == 200).all()


def test_downscale_is_antialiased(tmp_path):
    # A one-pixel checkerboard averages to mid-grey; a non-antialiased resize would alias it
    # to stripes or flat black or white.
    checker = (np.indices((64, 64)).sum(axis=0) % 2 * 255).astype(np.uint8)
    out = load(only(tmp_path / "src", Image.fromarray(checker), "a.png"), 16, 1)
    assert np.abs(out.astype(int) - 128).max() <= 3


def test_channel_conversions(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    Image.new("RGB", (5, 5), RED).save(folder / "a.png")
    Image.new("L", (5, 5), 99).save(folder / "b.png")
    grey = load(folder, 5, 1)
    luma = Image.new("RGB", (1, 1), RED).convert("L").getpixel((0, 0))
    assert luma == 76 and (grey[0] == luma).all() and (grey[1] == 99).all()
    rgb = load(folder, 5, 3)
    assert (rgb[1] == 99).all() and (rgb[0] == RED).all()


def test_first_frame_of_an_animation(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in (RED, BLUE)]
    folder = tmp_path / "src"
    folder.mkdir()
    frames[0].save(folder / "a.gif", save_all=True, append_images=frames[1:])
    out = load(folder, 4)
    assert out.shape == (1, 4, 4, 3) and (out[0] == RED).all()
