import numpy as np
import pytest

from began.metrics import cache


def _stats(n=5, d=4):
    features = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return cache.ReferenceStats(features, features.mean(0).astype(np.float64), np.eye(d))


def test_round_trip_and_no_temporary_files_left(cache_dir):
    path = cache.cache_file("key", "pre", "w" * 64, label="fashion mnist")
    assert path.parent == cache_dir / "metrics" and path.name.startswith("ref-fashion_mnist-")
    assert cache.load(path) is None
    cache.save(path, _stats())
    loaded = cache.load(path)
    np.testing.assert_array_equal(loaded.features, _stats().features)
    np.testing.assert_array_equal(loaded.sigma, np.eye(4))
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_key_changes_with_content_preprocessing_and_weights(tmp_path):
    base = cache.cache_file("a", "pre", "w", tmp_path)
    assert base == cache.cache_file("a", "pre", "w", tmp_path, label="images")
    assert base != cache.cache_file("b", "pre", "w", tmp_path)
    assert base != cache.cache_file("a", "pre2", "w", tmp_path)
    assert base != cache.cache_file("a", "pre", "w2", tmp_path)


def test_content_key_sees_values_and_shape():
    images = np.zeros((2, 4, 4, 1), np.uint8)
    key = cache.content_key(images)
    changed = images.copy()
    changed[1, 2, 3, 0] = 1
    assert cache.content_key(changed) != key
    assert cache.content_key(images.reshape(2, 4, 2, 2)) != key
    assert cache.content_key(images.copy()) == key


def test_corrupt_file_is_rebuilt(tmp_path):
    path = cache.cache_file("k", "p", "w", tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    with pytest.warns(UserWarning, match="unreadable"):
        assert cache.load(path) is None
    cache.save(path, _stats())
    assert cache.load(path) is not None
