"""The decoded-array cache: reused, keyed on parameters and content, robust to corruption."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from began.data import cache, ingest, load_images
from began.data.preprocess import Params


def load(source, size: int = 8, channels: int = 3, **kwargs) -> np.ndarray:
    return load_images(source, image_size=size, channels=channels, progress=False, **kwargs)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "src"
    path.mkdir()
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        Image.new("RGB", (12, 10), colour).save(path / f"{i}.png")
    return path


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every real decode that load_images performs."""
    calls: list[str] = []
    real = ingest._decode

    def counting(src, *args, **kwargs):
        calls.append(src.kind)
        return real(src, *args, **kwargs)

    monkeypatch.setattr(ingest, "_decode", counting)
    return calls


def cached_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*.npy"))


def test_second_call_reads_the_cache(folder, cache_dir, decodes, monkeypatch):
    first = load(folder)
    assert decodes == ["folder"] and len(cached_files(cache_dir)) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of using the cache")

    monkeypatch.setattr(ingest, "_decode", no_decoding)
    np.testing.assert_array_equal(load(folder), first)


def test_changed_parameters_use_a_new_key(folder, cache_dir, decodes):
    load(folder, 8, 3)
    load(folder, 8, 1)
    load(folder, 16, 3)
    load(folder, 8, 3, crop=(1, 1, 8, 8))
    load(folder, 8, 3)  # unchanged: from the cache
    assert len(decodes) == 4 and len(cached_files(cache_dir)) == 4


def test_changed_source_content_is_decoded_again(folder, decodes):
    assert len(load(folder)) == 3
    Image.new("RGB", (12, 10)).save(folder / "3.png")
    assert len(load(folder)) == 4
    stat = (folder / "0.png").stat()
    os.utime(folder / "0.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    load(folder)
    assert len(decodes) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong shape"])
def test_corrupt_cache_file_is_rebuilt(folder, cache_dir, decodes, damage):
    expected = load(folder)
    (path,) = cached_files(cache_dir)
    if damage == "garbage":
        path.write_bytes(b"not a numpy file")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        np.save(path, np.zeros((3, 4, 4, 3), np.uint8))
    with pytest.warns(UserWarning, match="rebuilding"):
        again = load(folder)
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_array_equal(np.load(path), expected)  # rewritten, valid again
    assert len(decodes) == 2


def test_writes_are_atomic_and_leave_no_temporary_files(folder, cache_dir, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src).parent, Path(dst).parent))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    load(folder)
    assert seen == [(cache_dir, cache_dir)]  # written beside the target, then renamed
    assert [p.suffix for p in cache_dir.iterdir()] == [".npy"]


def test_unwritable_cache_only_warns(folder, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="cannot write cache file"):
        out = load(folder, cache_dir=blocker / "cache")
    assert out.shape == (3, 8, 8, 3)


def test_explicit_cache_dir(folder, tmp_path, cache_dir):
    load(folder, cache_dir=tmp_path / "mine")
    assert len(cached_files(tmp_path / "mine")) == 1 and not cache_dir.exists()


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("BEGAN_CACHE", str(tmp_path / "env"))
    assert cache.default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("BEGAN_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_cache_dir() == tmp_path / "home" / ".cache" / "began"


def test_embedded_set_is_cached(cache_dir, decodes):
    first = load(None, 28, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = load(None, 28, 1)
    assert decodes == ["embedded"] and first.shape == second.shape == (10000, 28, 28, 1)
    assert [p.name.startswith("embedded-28px-1ch-") for p in cached_files(cache_dir)] == [True]


def test_channels_zero_caches_grey_data_with_one_channel(tmp_path, cache_dir):
    grey, colour = tmp_path / "grey", tmp_path / "colour"
    for path, mode in [(grey, "L"), (colour, "RGB")]:
        path.mkdir()
        for i in range(3):
            Image.new(mode, (9, 9), (40 * i) if mode == "L" else (40 * i, 0, 200)).save(
                path / f"{i}.png"
            )
    assert load(grey, channels=0).shape == (3, 8, 8, 1)
    assert load(colour, channels=0).shape == (3, 8, 8, 3)
    stored = sorted(np.load(path).shape[-1] for path in cache_dir.glob("*any-ch*.npy"))
    assert stored == [1, 3]  # the grey set is not stored three times over
    assert load(grey, channels=0).shape == (3, 8, 8, 1)  # and reads back as it was stored


def test_a_cache_hit_repeats_the_skipped_files_warning(folder, decodes):
    (folder / "broken.png").write_bytes(b"not a picture")
    for _ in range(2):
        with pytest.warns(UserWarning, match=r"skipped 1 unreadable.*broken\.png"):
            assert len(load(folder)) == 3
    assert decodes == ["folder"]  # the second warning came from the cache


def test_a_damaged_skipped_list_does_not_lose_the_cache(folder, cache_dir, decodes):
    (folder / "broken.png").write_bytes(b"not a picture")
    with pytest.warns(UserWarning, match="skipped 1"):
        first = load(folder)
    (sidecar,) = cache_dir.glob("*.skipped.json")
    sidecar.write_text("{not json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(load(folder), first)
    assert decodes == ["folder"]


def test_a_rebuild_without_broken_files_drops_the_old_list(tmp_path):
    # Same key, different outcome: e.g. a file that could not be opened (permissions, which
    # the fingerprint does not see) and now can.
    path = tmp_path / "set-8px-3ch-key.npy"
    images = np.zeros((2, 8, 8, 3), np.uint8)
    params = Params.checked(8, 3, None)
    cache.save(path, images, [("a.png", "Permission denied")])
    assert cache.load(path, params)[1] == [("a.png", "Permission denied")]
    cache.save(path, images, [])
    assert cache.load(path, params)[1] == []
    assert list(tmp_path.glob("*.json")) == []


def test_a_count_found_with_channels_zero_reuses_that_cache(tmp_path, decodes):
    grey = tmp_path / "grey"
    grey.mkdir()
    for i in range(3):
        Image.new("L", (9, 9), 40 * i).save(grey / f"{i}.png")
    first = load(grey, channels=0)
    np.testing.assert_array_equal(load(grey, channels=1), first)  # as a resumed run asks
    assert len(decodes) == 1
    assert load(grey, channels=3).shape[-1] == 3 and len(decodes) == 2  # not what was stored
