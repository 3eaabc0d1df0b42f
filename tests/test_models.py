import pytest
import torch

from began.models import (
    Discriminator,
    Encoder,
    Generator,
    num_scales,
    residual_carry,
    set_residual_carry,
)


@pytest.mark.parametrize("size, scales", [(16, 2), (32, 3), (64, 4), (128, 5), (256, 6)])
def test_bottleneck_is_always_8x8(size, scales):
    assert num_scales(size) == scales


@pytest.mark.parametrize("size", [8, 24, 48, 0])
def test_sizes_that_are_not_powers_of_two_from_16_are_refused(size):
    with pytest.raises(ValueError, match="power of two"):
        num_scales(size)


@pytest.mark.parametrize("size", [16, 32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("skip", [False, True])
def test_shapes_for_every_size_and_channel_count(size, channels, skip):
    generator = Generator(size, channels, num_filters=2, code_dim=5, repeat=1, skip=skip)
    discriminator = Discriminator(size, channels, num_filters=2, h_dim=3, repeat=1, skip=skip)
    images = generator(torch.rand(2, 5) * 2 - 1)
    assert images.shape == (2, channels, size, size)
    assert discriminator(images).shape == images.shape
    assert discriminator.encoder(images).shape == (2, 3)


def test_every_scale_has_its_own_weights():
    encoder = Encoder(64, 3, num_filters=4, h_dim=8, repeat=2)
    convs = [m for m in encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len({id(c.weight) for c in convs}) == len(convs) == 1 + 4 * 2 + 3
    # widths grow linearly with depth: n, 2n, 3n, 4n
    assert [b.convs[0].out_channels for b in encoder.blocks] == [4, 8, 12, 16]


def test_generator_scales_reach_full_resolution_with_one_block_each():
    generator = Generator(128, 3, num_filters=2, code_dim=4, repeat=2)
    assert len(generator.blocks) == 5
    assert sum(isinstance(m, torch.nn.Conv2d) for m in generator.modules()) == 5 * 2 + 1


def test_skip_connections_feed_the_code_to_every_finer_scale():
    generator = Generator(32, 1, num_filters=3, code_dim=4, repeat=1, skip=True)
    assert [b.convs[0].in_channels for b in generator.blocks] == [3, 6, 6]


def test_vanishing_residual_carry_schedule_and_effect():
    assert residual_carry(0, 100) == 1.0
    assert residual_carry(50, 100) == 0.5
    assert residual_carry(150, 100) == 0.0
    assert residual_carry(10, 0) == 0.0
    torch.manual_seed(0)
    generator = Generator(16, 1, num_filters=2, code_dim=4, repeat=2)
    z = torch.rand(3, 4)
    plain = generator(z)
    set_residual_carry(generator, 0.5)
    mixed = generator(z)
    set_residual_carry(generator, 0.0)
    assert not torch.allclose(plain, mixed)
    assert torch.equal(generator(z), plain)
