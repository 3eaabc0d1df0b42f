import numpy as np
import torch
from PIL import Image

from began.images import make_grid, save_grid, to_uint8


def test_to_uint8_maps_the_range_and_clips():
    images = torch.tensor([-1.0, 0.0, 1.0, 3.0]).view(1, 1, 1, 4)
    assert to_uint8(images).ravel().tolist() == [0, 128, 255, 255]


def test_grid_places_each_image_in_its_cell():
    images = np.stack([np.full((2, 3, 1), value, np.uint8) for value in (10, 20, 30)])
    grid = make_grid(images, columns=2, padding=1)
    assert grid.shape == (1 + 2 * 3, 1 + 2 * 4, 1)
    assert grid[1, 1, 0] == 10 and grid[1, 5, 0] == 20 and grid[4, 1, 0] == 30
    assert grid[4, 5, 0] == 0  # the empty fourth cell


def test_small_images_are_enlarged_by_a_whole_factor(tmp_path):
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    path = save_grid(images, tmp_path / "g.png", columns=2)
    grid = np.asarray(Image.open(path))
    assert grid.shape == (2 + 2 * 66, 2 + 2 * 66, 3)
    cell = grid[2:66, 2:66]
    assert np.array_equal(cell[::2, ::2], to_uint8(images)[0])
    assert np.array_equal(cell[1::2, 1::2], cell[::2, ::2])
