"""The pure-PyTorch port against the TorchScript FID network (needs the weights file)."""

import numpy as np
import pytest
import torch

from began.metrics.preprocess import to_inception_input
from began.metrics.weights import load_inception

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.load


def _compare(weights_path, images: np.ndarray) -> float:
    model, info = load_inception(weights_path)
    assert info.kind == "torchscript" and info.official
    scripted = torch.jit.load(str(weights_path), map_location="cpu").eval()
    x = to_inception_input(images)
    with torch.inference_mode():
        ours = model(x.contiguous(memory_format=torch.channels_last))
        theirs = scripted(x)
    assert ours.shape == theirs.shape == (len(images), 2048)
    return float((ours - theirs).abs().max())


def test_port_matches_the_torchscript_features(weights_path, fashion_images):
    # Two random RGB images and two real Fashion-MNIST ones (28x28 grey, resized).
    noise = np.random.default_rng(0).integers(0, 256, size=(2, 28, 28, 3), dtype=np.uint8)
    real = np.repeat(fashion_images[:2], 3, axis=-1)
    error = _compare(weights_path, np.concatenate([noise, real]))
    assert error < 1e-4


@pytest.mark.slow
def test_port_matches_on_more_images(weights_path, fashion_images):
    noise = np.random.default_rng(1).integers(0, 256, size=(4, 64, 64, 3), dtype=np.uint8)
    real = np.repeat(fashion_images[4:8], 3, axis=-1)
    assert _compare(weights_path, noise) < 1e-4
    assert _compare(weights_path, real) < 1e-4


@pytest.mark.slow
def test_end_to_end_with_the_real_network(weights_path, fashion_images):
    from began.metrics import evaluate_images

    results = evaluate_images(fashion_images[:8], fashion_images[8:], device="cpu", progress=False)
    assert results["weights"]["official"] and results["num_fake"] == 8
    assert results["fid"] > 0 and 0 <= results["precision"] <= 1
    same = evaluate_images(fashion_images, fashion_images, device="cpu", progress=False)
    assert same["fid"] == pytest.approx(0.0, abs=1e-6) and same["recall"] == 1.0
