"""Array sources: .npy, .npz, IDX files and folders, the embedded set and the shared sets."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from began.data import DataError, describe_source, load_images

SHARED = Path("/work/shared/data")
RNG = np.random.default_rng(7)


def load(source, size: int, channels: int = 3, **kwargs) -> np.ndarray:
    return load_images(source, image_size=size, channels=channels, progress=False, **kwargs)


def idx_bytes(images: np.ndarray, type_code: int = 0x08) -> bytes:
    """Build an IDX file by hand: 00 00 <type> <ndim>, big-endian uint32 sizes, then data."""
    header = bytes([0, 0, type_code, images.ndim]) + struct.pack(f">{images.ndim}I", *images.shape)
    return header + images.tobytes()


def noise(*shape: int) -> np.ndarray:
    return RNG.integers(0, 256, shape, dtype=np.uint8)


def test_npy_nhw_is_greyscale(tmp_path):
    images = noise(3, 6, 6)
    np.save(tmp_path / "a.npy", images)
    out = load(tmp_path / "a.npy", 6, 1)
    np.testing.assert_array_equal(out, images[..., None])
    assert out.flags.writeable  # not a read-only view of the memory-mapped file


def test_npy_single_channel_replicated_to_rgb(tmp_path):
    images = noise(2, 5, 5, 1)
    np.save(tmp_path / "a.npy", images)
    out = load(tmp_path / "a.npy", 5, 3)
    np.testing.assert_array_equal(out, np.repeat(images, 3, axis=3))


def test_npz_prefers_named_array_and_converts_rgb_to_luma(tmp_path):
    images = noise(4, 7, 9, 3)
    np.savez(tmp_path / "a.npz", labels=np.arange(4), images=images)
    out = load(tmp_path / "a.npz", 7, 1)
    expected = [np.asarray(Image.fromarray(img[:, 1:8]).convert("L")) for img in images]
    np.testing.assert_array_equal(out[..., 0], np.stack(expected))


def test_npz_first_array_when_unnamed(tmp_path):
    np.savez(tmp_path / "a.npz", np.zeros((2, 4, 4), np.uint8), np.ones((5, 4, 4), np.uint8))
    assert load(tmp_path / "a.npz", 4, 1).shape == (2, 4, 4, 1)


def test_rgba_array_composited_over_white(tmp_path):
    images = np.zeros((1, 2, 2, 4), np.uint8)
    images[0, 0, 0] = (0, 0, 255, 255)  # opaque blue; the rest transparent black
    np.save(tmp_path / "a.npy", images)
    out = load(tmp_path / "a.npy", 2, 3)[0]
    assert tuple(out[0, 0]) == (0, 0, 255) and tuple(out[1, 1]) == (255, 255, 255)


@pytest.mark.parametrize("shape", [(3, 6, 9, 3), (3, 6, 9, 4), (3, 9, 6, 1)])
@pytest.mark.parametrize("channels", [1, 3])
def test_arrays_and_files_give_the_same_pixels(tmp_path, shape, channels):
    images = noise(*shape)
    if shape[3] == 4:
        images[..., 3] = RNG.choice([0, 100, 255], shape[:3])
    np.save(tmp_path / "a.npy", images)
    folder = tmp_path / "png"
    folder.mkdir()
    for i, img in enumerate(images):
        Image.fromarray(img[..., 0] if shape[3] == 1 else img).save(folder / f"{i}.png")
    from_array = load(tmp_path / "a.npy", 4, channels)
    from_files = load(folder, 4, channels)
    assert from_array.shape == (3, 4, 4, channels)
    np.testing.assert_array_equal(from_array, from_files)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((2, 4, 4), np.float32), "dtype is float32"),
        (np.zeros((2, 4, 4, 2), np.uint8), r"shape is \(2, 4, 4, 2\)"),
        (np.zeros((4, 4), np.uint8), r"shape is \(4, 4\)"),
        (np.zeros((0, 4, 4), np.uint8), "holds no images"),
    ],
)
def test_bad_arrays_are_errors(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match=rf"bad\.npy: .*{message}"):
        load(tmp_path / "bad.npy", 4)


def test_corrupt_npy_and_empty_npz_are_errors(tmp_path):
    (tmp_path / "x.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(DataError, match=r"x\.npy: cannot read"):
        load(tmp_path / "x.npy", 4)
    np.savez(tmp_path / "y.npz")
    with pytest.raises(DataError, match=r"y\.npz: \.npz archive holds no arrays"):
        load(tmp_path / "y.npz", 4)


@pytest.mark.parametrize("compressed", [False, True])
def test_idx_file(tmp_path, compressed):
    images = noise(5, 3, 4)
    data = idx_bytes(images)
    path = tmp_path / ("x-images-idx3-ubyte" + (".gz" if compressed else ""))
    path.write_bytes(gzip.compress(data) if compressed else data)
    out = load(path, 3, 1)
    np.testing.assert_array_equal(out[..., 0], images[:, :, :3])  # centre square of 3x4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x01\x02\x08\x03" + bytes(12), "bad magic number 01020803"),
        (idx_bytes(np.zeros((2, 2, 2), np.float32), 0x0D), "data type is float32"),
        (idx_bytes(np.zeros(4, np.uint8)), "1 dimension.*labels file"),
        (idx_bytes(noise(2, 3, 3))[:-1], "holds 17"),
        (gzip.compress(idx_bytes(noise(2, 3, 3)))[:-6], "corrupt or truncated gzip"),
    ],
)
def test_bad_idx_files_are_errors(tmp_path, data, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(DataError, match=rf"bad-idx3-ubyte: .*{message}"):
        load(path, 2, 1)


def test_idx_folder_reads_train_then_test_once_each(tmp_path):
    train, test, other = noise(3, 2, 2), noise(2, 2, 2), noise(1, 2, 2)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(test)))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(train))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(train)))
    (tmp_path / "aaa-images-idx3-ubyte").write_bytes(idx_bytes(other))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    out = load(tmp_path, 2, 1)[..., 0]
    np.testing.assert_array_equal(out, np.concatenate([train, test, other]))


def test_embedded_default_set():
    out = load(None, 28, 1)
    assert out.shape == (10000, 28, 28, 1) and out.dtype == np.uint8
    assert 40 < out.mean() < 110  # Fashion-MNIST: dark background, bright garments
    assert "Fashion-MNIST" in describe_source(None)


def test_embedded_set_in_rgb_at_another_size():
    out = load(None, 32, 3)
    assert out.shape == (10000, 32, 32, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])


@pytest.mark.skipif(not (SHARED / "fashion-mnist").is_dir(), reason="shared data absent")
def test_shared_fashion_mnist_folder():
    out = load(SHARED / "fashion-mnist", 28, 1)
    assert out.shape == (70000, 28, 28, 1)
    # Training images come first; the last 10k are the test split, which is embedded.
    np.testing.assert_array_equal(out[60000:], load(None, 28, 1))


@pytest.mark.skipif(
    not (SHARED / "textures-32" / "textures-32.npz").is_file(), reason="shared data absent"
)
def test_shared_textures_at_16():
    path = SHARED / "textures-32" / "textures-32.npz"
    out = load(path, 16, 3)
    assert out.shape == (2207, 16, 16, 3)
    with np.load(path) as archive:
        first = archive["x"][0]
    expected = Image.fromarray(first).resize((16, 16), Image.Resampling.LANCZOS, reducing_gap=3)
    np.testing.assert_array_equal(out[0], np.asarray(expected))


def test_describe_source(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"")
    assert describe_source(tmp_path / "a.zip") == f"zip archive {tmp_path / 'a.zip'}"
    assert describe_source(tmp_path) == f"folder {tmp_path}"
    assert describe_source(tmp_path / "gone.npy").endswith("gone.npy (missing)")
