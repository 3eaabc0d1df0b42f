import pytest
import torch

from began.diagnostics import diversity, mean_pairwise_distance


def test_mean_pairwise_distance_by_hand():
    images = torch.tensor([0.0, 3.0, 6.0]).view(3, 1, 1, 1)
    # pairs: 3, 6, 3 -> mean 4
    assert mean_pairwise_distance(images) == pytest.approx(4.0)


def test_a_collapsed_generator_scores_zero_and_a_copy_of_the_data_one():
    reals = torch.rand(16, 1, 8, 8) * 2 - 1
    collapsed = reals[:1].expand(16, -1, -1, -1)
    assert diversity(collapsed, reals) == pytest.approx(0.0, abs=1e-3)
    assert diversity(reals.flip(0), reals) == pytest.approx(1.0)


def test_one_image_has_no_spread():
    with pytest.raises(ValueError, match="two images"):
        mean_pairwise_distance(torch.zeros(1, 1, 2, 2))
