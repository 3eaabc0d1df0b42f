import pickle

import pytest
import torch

from began import checkpoint
from began.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


def test_round_trip(tmp_path):
    path = tmp_path / "sub" / "c.pt"
    save_checkpoint({"w": torch.arange(3), "step": 7, "config": {"gamma": 0.5}}, path)
    state = load_checkpoint(path)
    assert torch.equal(state["w"], torch.arange(3))
    assert state["step"] == 7 and state["config"] == {"gamma": 0.5}


def test_a_crash_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint({"step": 1}, path)

    def torn_save(obj, file):
        file.write(b"half a checkpoint")
        raise OSError("No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", torn_save)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint({"step": 2}, path)
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary file left


def test_a_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint({"w": torch.zeros(1000)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(path)


def test_pickled_code_is_refused_not_run(tmp_path):
    ran = []

    class Payload:
        def __reduce__(self):
            return (ran.append, ("ran",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as file:
        pickle.dump({"format_version": 1, "x": Payload()}, file)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    assert ran == []


def test_a_foreign_torch_file_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="not a began checkpoint"):
        load_checkpoint(path)


def test_checkpoints_get_the_usual_file_permissions(tmp_path):
    import os
    import stat

    path = tmp_path / "c.pt"
    save_checkpoint({"step": 1}, path)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_an_empty_file_says_so(tmp_path):
    path = tmp_path / "c.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty file"):
        load_checkpoint(path)
