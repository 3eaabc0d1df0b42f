"""The BEGAN networks: encoder, decoder, generator and the autoencoder discriminator.

Shapes follow the paper (arXiv 1703.10717, section 3.5): every network works on a pyramid of
scales whose coarsest map is always 8x8, so a 32 px image has 3 scales, 64 px has 4, 128 px
has 5. Images are (N, C, H, W) in [-1, 1]; codes are (N, z_dim) or (N, h_dim).

Two options of the paper are built in:

* skip connections: the decoder's first 8x8 map is upsampled and concatenated after every
  upsampling step, so fine scales see the code directly;
* vanishing residuals: each block mixes its input back into its output with a weight
  ``carry`` that the trainer lowers from 1 to 0, so the nets start as shallow residual
  stacks and end as the plain architecture.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BOTTLENECK = 8  # side of the coarsest feature map at every image size


def num_scales(image_size: int) -> int:
    """Number of resolutions from ``image_size`` down to the 8x8 bottleneck, inclusive."""
    if image_size < 16 or image_size & (image_size - 1):
        raise ValueError(f"image size must be a power of two >= 16, got {image_size}")
    return int(math.log2(image_size // BOTTLENECK)) + 1


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)


class ConvBlock(nn.Module):
    """``repeat`` 3x3 convolutions with ELU at one scale, with an optional vanishing residual.

    ``extra_in`` channels (the skip connection) are concatenated to the input of the first
    convolution only; the residual mixes back the block's own input, so widths always match.
    """

    def __init__(self, width: int, repeat: int, extra_in: int = 0):
        super().__init__()
        widths_in = [width + extra_in] + [width] * (repeat - 1)
        self.convs = nn.ModuleList(conv3x3(w, width) for w in widths_in)
        # A tensor, so a compiled block does not recompile as the carry decays step by step.
        self.register_buffer("carry", torch.zeros(()), persistent=False)
        self.residual = False

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = x if skip is None else torch.cat([x, skip], dim=1)
        for conv in self.convs:
            out = F.elu(conv(out))
        if self.residual:  # carry * x + (1 - carry) * out, in one kernel
            out = torch.lerp(out, x, self.carry.to(out.dtype))
        return out


class Encoder(nn.Module):
    """Image (N, C, S, S) -> embedding (N, h_dim). Widths grow linearly: n, 2n, 3n, ..."""

    def __init__(self, image_size: int, channels: int, num_filters: int, h_dim: int, repeat: int):
        super().__init__()
        scales = num_scales(image_size)
        widths = [num_filters * (i + 1) for i in range(scales)]
        self.stem = conv3x3(channels, widths[0])
        self.blocks = nn.ModuleList(ConvBlock(w, repeat) for w in widths)
        # A stride-2 convolution between scales, one per transition, each with its own weights.
        self.downsample = nn.ModuleList(
            conv3x3(w_in, w_out, stride=2) for w_in, w_out in zip(widths, widths[1:])
        )
        self.to_embedding = nn.Linear(widths[-1] * BOTTLENECK * BOTTLENECK, h_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = F.elu(self.stem(images))
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i < len(self.downsample):
                x = F.elu(self.downsample[i](x))
        return self.to_embedding(x.flatten(1))


class Decoder(nn.Module):
    """Code (N, code_dim) -> image (N, C, S, S). Also the generator's architecture."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        num_filters: int,
        code_dim: int,
        repeat: int,
        skip: bool = False,
    ):
        super().__init__()
        scales = num_scales(image_size)
        self.num_filters = num_filters
        self.skip = skip
        self.from_code = nn.Linear(code_dim, num_filters * BOTTLENECK * BOTTLENECK)
        self.blocks = nn.ModuleList(
            ConvBlock(num_filters, repeat, extra_in=num_filters if skip and i > 0 else 0)
            for i in range(scales)
        )
        self.to_image = conv3x3(num_filters, channels)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        h0 = self.from_code(code).view(-1, self.num_filters, BOTTLENECK, BOTTLENECK)
        x = h0
        for i, block in enumerate(self.blocks):
            if i > 0:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            skip = None
            if self.skip and i > 0:
                skip = F.interpolate(h0, size=x.shape[-2:], mode="nearest")
            x = block(x, skip)
        return self.to_image(x)


class Generator(Decoder):
    """G: latent z (N, z_dim), uniform in [-1, 1], -> image (N, C, S, S)."""


class Discriminator(nn.Module):
    """D: the autoencoder. Returns the reconstruction of its input, same shape."""

    def __init__(
        self,
        image_size: int,
        channels: int,
        num_filters: int,
        h_dim: int,
        repeat: int,
        skip: bool = False,
    ):
        super().__init__()
        self.encoder = Encoder(image_size, channels, num_filters, h_dim, repeat)
        self.decoder = Decoder(image_size, channels, num_filters, h_dim, repeat, skip)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(images))


def set_residual_carry(module: nn.Module, carry: float) -> None:
    """Set the vanishing-residual weight of every block in ``module`` (0 disables it)."""
    for block in module.modules():
        if isinstance(block, ConvBlock):
            block.carry.fill_(carry)
            block.residual = carry > 0.0


def residual_carry(step: int, residual_steps: int) -> float:
    """Carry at ``step``: linear decay from 1 to 0 over ``residual_steps`` (0 means off)."""
    if residual_steps <= 0:
        return 0.0
    return max(0.0, 1.0 - step / residual_steps)
