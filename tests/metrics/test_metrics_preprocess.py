import numpy as np
import pytest
import torch

from began.metrics.errors import MetricsError
from began.metrics.preprocess import check_images, to_inception_input


def test_grey_is_replicated_and_scaled():
    grey = np.array([[[0], [255]], [[128], [64]]], dtype=np.uint8)[None]  # (1, 2, 2, 1)
    x = to_inception_input(grey)
    assert x.shape == (1, 3, 299, 299) and x.dtype == torch.float32
    assert torch.equal(x[:, 0], x[:, 1]) and torch.equal(x[:, 0], x[:, 2])
    assert x.min() >= -1.0 and x.max() <= 127 / 128
    rgb = np.repeat(grey, 3, axis=-1)
    assert torch.equal(to_inception_input(rgb), x)


def test_full_size_input_is_only_scaled():
    image = np.random.default_rng(0).integers(0, 256, size=(1, 299, 299, 3), dtype=np.uint8)
    x = to_inception_input(image)
    expected = (torch.from_numpy(image).permute(0, 3, 1, 2).float() - 128) / 128
    assert torch.equal(x, expected)
    assert x.min() >= -1.0 and x.max() <= 0.9921875


def test_resize_is_bilinear_without_corner_alignment():
    # A constant image stays constant; a step is interpolated with half-pixel centres.
    flat = np.full((1, 8, 8, 1), 200, np.uint8)
    assert torch.allclose(to_inception_input(flat), torch.tensor(72 / 128))
    step = np.zeros((1, 2, 2, 1), np.uint8)
    step[:, :, 1] = 255
    row = to_inception_input(step)[0, 0, 0]
    assert row[0] == -1.0 and row[-1] == 127 / 128  # edges clamp, as align_corners=False does


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 4, 4, 3), np.float32), np.zeros((2, 4, 4, 4), np.uint8),
     np.zeros((0, 4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)],
)  # fmt: skip
def test_bad_arrays_are_refused(bad):
    with pytest.raises(MetricsError):
        check_images(bad)


def test_three_dimensional_grey_is_accepted():
    assert check_images(np.zeros((2, 4, 4), np.uint8)).shape == (2, 4, 4, 1)
