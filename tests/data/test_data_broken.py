"""Broken, empty and missing sources: skipped with one warning, or a clear DataError."""

import io
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from began.data import DataError, load_images


def load(source, **kwargs) -> np.ndarray:
    return load_images(source, image_size=8, channels=3, progress=False, **kwargs)


def noise_bytes(fmt: str, seed: int = 0) -> bytes:
    """A 64x64 noise image encoded as ``fmt``: noise keeps the pixel data large."""
    pixels = np.random.default_rng(seed).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return buffer.getvalue()


def write_broken(folder: Path) -> list[str]:
    """Write the four kinds of broken file into ``folder``; return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    jpeg, png = noise_bytes("JPEG"), noise_bytes("PNG")
    files = {
        "cut.jpg": jpeg[: len(jpeg) // 2],
        "cut.png": png[: len(png) // 2],
        "empty.png": b"",
        "notes.jpg": b"this is a text file with an image extension\n",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return sorted(files)


def skip_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if "unreadable" in str(w.message)]


def test_broken_files_are_skipped_with_one_counting_warning(tmp_path):
    folder = tmp_path / "src"
    broken = write_broken(folder)
    Image.new("RGB", (8, 8), (10, 20, 30)).save(folder / "good1.png")
    Image.new("RGB", (8, 8), (40, 50, 60)).save(folder / "good2.png")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = load(folder)
    assert out.shape == (2, 8, 8, 3)
    assert (out[0] == (10, 20, 30)).all() and (out[1] == (40, 50, 60)).all()
    messages = skip_warnings(record)
    assert len(messages) == 1
    assert "skipped 4 unreadable" in messages[0] and "and 1 more" in messages[0]
    assert sum(name in messages[0] for name in broken) == 3  # names at most three


def test_truncated_files_rejected_even_if_pillow_is_told_to_accept_them(tmp_path, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    folder = tmp_path / "src"
    folder.mkdir()
    for fmt, name in (("JPEG", "cut.jpg"), ("PNG", "cut.png")):
        data = noise_bytes(fmt)
        (folder / name).write_bytes(data[: len(data) * 3 // 4])
    Image.new("RGB", (8, 8)).save(folder / "good.png")
    with pytest.warns(UserWarning, match=r"skipped 2 unreadable.*cut\.jpg.*cut\.png"):
        out = load(folder)
    assert len(out) == 1
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the caller's setting is restored


def test_only_broken_files_is_an_error(tmp_path):
    folder = tmp_path / "src"
    write_broken(folder)
    with pytest.raises(DataError, match=r"src.*no usable image \(4 unreadable"):
        load(folder)


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(DataError, match=r"empty: no images found"):
        load(tmp_path / "empty")


def test_missing_path_is_an_error_naming_it(tmp_path):
    with pytest.raises(DataError, match=r"nowhere-to-be-found: no such file or folder"):
        load(tmp_path / "nowhere-to-be-found")


def test_unsupported_file_is_an_error(tmp_path):
    (tmp_path / "data.csv").write_text("1,2,3\n")
    with pytest.raises(DataError, match=r"data\.csv: unsupported data source"):
        load(tmp_path / "data.csv")


def test_not_a_zip_is_an_error(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"PK but not really")
    with pytest.raises(DataError, match=r"fake\.zip: cannot open zip archive"):
        load(tmp_path / "fake.zip")


def test_zip_without_images_is_an_error(tmp_path):
    with zipfile.ZipFile(tmp_path / "docs.zip", "w") as archive:
        archive.writestr("readme.txt", "no images here")
    with pytest.raises(DataError, match=r"docs\.zip: zip archive holds no image files"):
        load(tmp_path / "docs.zip")


def test_broken_zip_members_are_skipped(tmp_path):
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        archive.writestr("ok.png", noise_bytes("PNG"))
        archive.writestr("bad.jpg", b"garbage")
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image file\(s\): bad\.jpg"):
        out = load(tmp_path / "set.zip")
    assert len(out) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_size": 0, "channels": 3}, "image_size"),
        ({"image_size": 8.0, "channels": 3}, "image_size"),
        ({"image_size": 8, "channels": 2}, "channels"),
        ({"image_size": 8, "channels": 3, "crop": (0, 0, 5)}, "crop"),
        ({"image_size": 8, "channels": 3, "crop": (-1, 0, 5, 5)}, "crop"),
        ({"image_size": 8, "channels": 3, "workers": -1}, "workers"),
    ],
)
def test_invalid_parameters(tmp_path, kwargs, message):
    with pytest.raises(DataError, match=message):
        load_images(None, progress=False, **kwargs)
