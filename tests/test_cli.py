import json

import numpy as np
import pytest
from PIL import Image

from began.cli import main


@pytest.fixture
def image_folder(tmp_path, tiny_images):
    """A folder of real PNG and JPEG files in several modes and sizes."""
    folder = tmp_path / "images"
    (folder / "nested").mkdir(parents=True)
    for index, image in enumerate(tiny_images[:24]):
        picture = Image.fromarray(image[..., 0]).resize((20 + index % 5, 18 + index % 3))
        if index % 3 == 0:
            picture.convert("RGB").save(folder / f"{index}.jpg", quality=95)
        elif index % 3 == 1:
            picture.convert("RGBA").save(folder / "nested" / f"{index}.png")
        else:
            picture.save(folder / f"{index}.png")
    (folder / "broken.png").write_bytes(b"not an image")
    return folder


TINY = ["--image-size", "16", "--num-filters", "4", "--z-dim", "8", "--h-dim", "8",
        "--repeat", "1", "--batch-size", "4", "--log-every", "2", "--sample-every", "2",
        "--checkpoint-every", "2", "--device", "cpu", "--quiet"]  # fmt: skip


def test_train_then_resume_then_sample(image_folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BEGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "runs"
    with pytest.warns(UserWarning, match="broken.png"):
        assert main(["train", "--data", str(image_folder), "--steps", "3", "--out", str(out),
                     *TINY]) == 0  # fmt: skip
    (run,) = out.iterdir()
    config = json.loads((run / "config.json").read_text())
    assert config["channels"] == 1  # grey pictures, even those stored as RGB/RGBA
    assert config["data"] == str(image_folder)

    assert main(["train", "--resume", str(run), "--steps", "5", "--quiet"]) == 0
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss_real" in r] == [2, 3, 4, 5]
    assert "step 5" in capsys.readouterr().out

    grid = tmp_path / "grid.png"
    singles = tmp_path / "singles"
    assert main(["sample", str(run), "-n", "5", "-o", str(grid), "--individual", str(singles),
                 "--device", "cpu"]) == 0  # fmt: skip
    assert Image.open(grid).size[0] > 16
    files = sorted(singles.iterdir())
    assert len(files) == 5
    assert np.asarray(Image.open(files[0])).shape == (16, 16)


@pytest.fixture
def two_step_run(image_folder, tmp_path, monkeypatch):
    """A run folder trained for 2 steps on ``image_folder``."""
    monkeypatch.setenv("BEGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "runs"
    with pytest.warns(UserWarning):
        main(["train", "--data", str(image_folder), "--steps", "2", "--out", str(out), *TINY])
    (run,) = out.iterdir()
    return run


def test_resume_with_a_changed_setting_is_refused(two_step_run, capsys):
    run = two_step_run
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    assert main(["train", "--resume", str(run), "--gamma", "0.9", "--quiet"]) == 2
    assert "--gamma: run has 1.0, asked 0.9" in capsys.readouterr().err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before


def test_resume_refuses_what_it_cannot_continue_in_place(two_step_run, image_folder, tmp_path,
                                                         capsys):  # fmt: skip
    run = two_step_run
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    loose = tmp_path / "copies" / "sub" / "my.pt"
    loose.parent.mkdir(parents=True)
    loose.write_bytes(before)
    assert main(["train", "--resume", str(loose), "--quiet"]) == 2
    assert "is not inside a run folder" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "copies").iterdir()) == ["sub"]  # nothing written

    # "--channels 0" (as the data) is what the run began with, not a changed setting.
    assert main(["train", "--resume", str(run), "--channels", "0", "--steps", "3", "--quiet"]) == 0
    before = (run / "checkpoints" / "latest.pt").read_bytes()

    Image.new("L", (20, 20), 128).save(image_folder / "new.png")  # the data set grew
    with pytest.warns(UserWarning):
        assert main(["train", "--resume", str(run), "--steps", "5", "--quiet"]) == 2
    assert "trained on 24 images, the data now has 25" in capsys.readouterr().err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--image-size", "48"], "--image-size 48: must be a power of two"),
        (["--gamma", "0"], "--gamma 0.0: must lie in (0, 1]"),
        (["--data", "/no/such/folder"], "/no/such/folder"),
        (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
        (["--lr", "inf"], "--lr inf: must be a finite number"),
        (["--config", "/no/such.json"], "--config /no/such.json: No such file"),
    ],
)
def test_bad_flags_give_an_error_that_names_them(flags, message, tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "runs"), "--quiet", *flags]) == 2
    assert message in capsys.readouterr().err


def test_sample_from_a_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "nothing.pt")]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_a_file_that_would_run_code_is_refused(tmp_path, capsys):
    import pickle

    class Payload:
        def __reduce__(self):
            return (print, ("code ran",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Payload()))
    assert main(["sample", str(path)]) == 2
    captured = capsys.readouterr()
    assert "code ran" not in captured.out
    assert "refused" in captured.err


def test_a_preset_sets_values_and_explicit_flags_win(tmp_path):
    out = tmp_path / "runs"
    assert main(["train", "--preset", "paper", "--steps", "1", "--out", str(out), *TINY]) == 0
    (run,) = out.iterdir()
    config = json.loads((run / "config.json").read_text())
    assert (config["gamma"], config["lambda_k"], config["skip"]) == (0.5, 0.001, False)
    assert (config["image_size"], config["num_filters"]) == (16, 4)  # from the flags


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--batch-size", "20000"], "--batch-size 20000: the data set has only 10000 images"),
        (["--device", "cuda:0"], "CUDA is not available"),
    ],
)
def test_problems_found_after_loading_are_one_line_errors(flags, message, tmp_path, capsys):
    if "cuda" in flags[1] and __import__("torch").cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["train", "--out", str(tmp_path / "runs"), "--quiet", *flags]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_out_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["train", "--out", str(tmp_path / "file"), "--quiet"]) == 1
    assert "exists and is not a folder" in capsys.readouterr().err


def test_relative_data_is_stored_resolved_so_resume_works_anywhere(
    image_folder, tmp_path, monkeypatch
):
    monkeypatch.setenv("BEGAN_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(image_folder.parent)
    with pytest.warns(UserWarning):
        main(["train", "--data", "images", "--steps", "2", "--out", "runs", *TINY])
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "config.json").read_text())["data"] == str(image_folder)
    monkeypatch.chdir(run)
    assert main(["train", "--resume", ".", "--steps", "3", "--data", str(image_folder),
                 "--quiet"]) == 0  # fmt: skip


def test_sample_refuses_an_output_it_cannot_write(tmp_path, capsys):
    assert main(["sample", str(tmp_path), "-o", str(tmp_path / "grid.txt")]) == 2
    assert "-o" in capsys.readouterr().err
