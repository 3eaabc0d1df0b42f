import numpy as np
import pytest

from began.metrics import precision_recall as pr_module
from began.metrics.precision_recall import knn_radii, precision_recall


def test_identical_sets_have_full_precision_and_recall():
    x = np.random.default_rng(0).normal(size=(50, 16)).astype(np.float32)
    result = precision_recall(x, x.copy())
    assert result == {"precision": 1.0, "recall": 1.0, "pr_k": 3}


def test_disjoint_sets_have_none():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(60, 16))
    fake = rng.normal(size=(60, 16)) + 50.0
    result = precision_recall(fake, real)
    assert result["precision"] == 0.0 and result["recall"] == 0.0


def test_hand_checked_one_dimensional_example():
    # Real points 0, 1, 2, 3 (k = 1 radii: 1 each); fake points 0.5, 10, 11.
    # Precision: 0.5 is within 1 of a real point, 10 and 11 are not -> 1/3.
    # Fake radii (k = 1): 9.5, 1, 1. Recall: every real point is within 9.5 of 0.5 -> 1.
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0], [11.0]])
    result = precision_recall(fake, real, k=1)
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == 1.0


def test_radii_exclude_the_point_itself():
    import torch

    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    assert knn_radii(x, k=1).tolist() == [1.0, 1.0, 4.0, 16.0]  # squared distances
    assert knn_radii(x, k=3).tolist() == [49.0, 36.0, 16.0, 49.0]
    with pytest.raises(ValueError, match="more than k"):
        knn_radii(x, k=4)


def test_blocks_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(70, 8)), rng.normal(size=(45, 8)) * 1.5
    whole = precision_recall(fake, real)
    monkeypatch.setattr(pr_module, "BLOCK_ROWS", 7)
    assert precision_recall(fake, real) == whole
    assert 0.0 < whole["precision"] < 1.0 and 0.0 < whole["recall"] <= 1.0
