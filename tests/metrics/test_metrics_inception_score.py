import numpy as np
import pytest
import torch

from began.metrics.inception_score import inception_score


def test_uniform_predictions_score_one():
    features = np.random.default_rng(0).normal(size=(40, 2048))
    result = inception_score(features, torch.zeros(1008, 2048))
    assert result["is_mean"] == pytest.approx(1.0) and result["is_std"] == pytest.approx(0.0)


def test_confident_distinct_classes_score_their_number():
    # Image i is confidently class i % 10 and every split holds all ten classes -> IS = 10.
    features = np.zeros((100, 2048))
    features[np.arange(100), np.arange(100) % 10] = 100.0
    weight = torch.zeros(1008, 2048)
    weight[torch.arange(10), torch.arange(10)] = 1.0
    result = inception_score(features, weight)
    assert result["is_mean"] == pytest.approx(10.0, rel=1e-6)
    assert result["is_splits"] == 10


def test_one_class_everywhere_scores_one():
    features = np.zeros((30, 2048))
    features[:, 5] = 100.0
    weight = torch.zeros(1008, 2048)
    weight[5, 5] = 1.0
    assert inception_score(features, weight)["is_mean"] == pytest.approx(1.0, abs=1e-6)


def test_too_few_images_for_the_splits():
    with pytest.raises(ValueError, match="at least 10"):
        inception_score(np.zeros((5, 2048)), torch.zeros(1008, 2048))
