"""Worker processes, zip archives and the progress bar."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from began.data import load_images

RNG = np.random.default_rng(3)


def make_folder(folder: Path, count: int = 9) -> None:
    """Noise images of assorted sizes and formats in nested folders, plus one broken file."""
    (folder / "sub").mkdir(parents=True)
    for i in range(count):
        size = (20 + 3 * i, 30 - 2 * i)
        img = Image.fromarray(RNG.integers(0, 256, (*size[::-1], 3), dtype=np.uint8))
        target = folder / ("sub" if i % 2 else "") / f"img{i}.{'png' if i % 3 else 'bmp'}"
        img.save(target)
    (folder / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")


def load(source, **kwargs) -> np.ndarray:
    return load_images(source, image_size=12, channels=3, progress=False, **kwargs)


def test_workers_give_the_same_array(tmp_path, monkeypatch):
    make_folder(tmp_path / "src")
    monkeypatch.setattr("began.data.decode.CHUNK", 2)  # several chunks per worker
    with pytest.warns(UserWarning, match="skipped 1"):
        serial = load(tmp_path / "src", workers=0, cache_dir=tmp_path / "c0")
    with pytest.warns(UserWarning, match="skipped 1"):
        parallel = load(tmp_path / "src", workers=2, cache_dir=tmp_path / "c2")
    assert serial.shape == (9, 12, 12, 3)
    np.testing.assert_array_equal(serial, parallel)


def test_zip_matches_folder_and_ignores_macos_junk(tmp_path):
    folder = tmp_path / "src"
    make_folder(folder)
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
        archive.writestr("__MACOSX/sub/._img1.png", b"resource fork")
        archive.writestr("readme.txt", "not an image")
    with pytest.warns(UserWarning, match=r"skipped 1 .*sub/broken\.png"):
        from_folder = load(folder)
    with pytest.warns(UserWarning, match=r"skipped 1 .*sub/broken\.png"):
        from_zip = load(tmp_path / "set.zip", workers=2)
    np.testing.assert_array_equal(from_zip, from_folder)


def test_zip_is_not_extracted(tmp_path):
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        archive.writestr("a/b.png", b"")
        img = Image.new("RGB", (12, 12), (1, 2, 3))
        with archive.open("a/c.png", "w") as member:
            img.save(member, "PNG")
    with pytest.warns(UserWarning, match="skipped 1"):
        out = load(tmp_path / "set.zip")
    assert (out == (1, 2, 3)).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "set.zip"]


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_goes_to_stderr(tmp_path, capsys, progress):
    folder = tmp_path / "src"
    folder.mkdir()
    Image.new("RGB", (12, 12)).save(folder / "a.png")
    load_images(folder, image_size=12, channels=3, progress=progress)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert ("1/1" in captured.err) is progress
