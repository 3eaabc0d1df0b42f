import dataclasses
import json

import numpy as np
import pytest
import torch

from began.checkpoint import CheckpointError
from began.run_folder import RunFolder
from began.sampling import load_generator
from began.training import Trainer, TrainingError, train


def _trainer(config, images, tmp_path, name="run"):
    folder = tmp_path / name
    folder.mkdir()
    return Trainer(config, images, RunFolder(folder))


def _weights(module):
    return [p.detach().clone() for p in module.parameters()]


def test_one_step_changes_both_networks(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(tiny_config, tiny_images, tmp_path)
    g_before, d_before = _weights(trainer.generator), _weights(trainer.discriminator)
    losses = trainer.train_step()
    assert all(not torch.equal(a, b) for a, b in zip(g_before, trainer.generator.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(d_before, trainer.discriminator.parameters()))
    assert losses.loss_real.item() > 0 and losses.loss_fake.item() > 0
    assert trainer.step == 1


def test_generator_gradient_flows_through_the_discriminator(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(tiny_config, tiny_images, tmp_path)
    seen = {}
    first_conv = trainer.discriminator.encoder.stem
    first_conv.register_full_backward_hook(lambda m, gin, gout: seen.update(grad=gout) or None)
    d_before = _weights(trainer.discriminator)
    trainer.update_generator()
    # D's input gradient exists (G learns through D), yet D's weights do not move.
    assert seen["grad"][0].abs().sum() > 0
    assert all(torch.equal(a, b) for a, b in zip(d_before, trainer.discriminator.parameters()))
    assert all(p.grad is None for p in trainer.discriminator.parameters())
    assert all(p.requires_grad for p in trainer.discriminator.parameters())


def test_discriminator_update_leaves_the_generator_alone(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(tiny_config, tiny_images, tmp_path)
    g_before = _weights(trainer.generator)
    trainer.update_discriminator(trainer.loader.next_batch())
    assert all(torch.equal(a, b) for a, b in zip(g_before, trainer.generator.parameters()))


def test_k_moves_by_lambda_times_the_balance(tiny_config, tiny_images, tmp_path):
    config = dataclasses.replace(tiny_config, lambda_k=0.1, gamma=1.0)
    trainer = _trainer(config, tiny_images, tmp_path)
    losses = trainer.train_step()
    expected = min(max(0.1 * (losses.loss_real - losses.loss_fake).item(), 0.0), 1.0)
    assert trainer.controller.k.item() == pytest.approx(expected, abs=1e-7)


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tiny_config, tiny_images, tmp_path):
    config = dataclasses.replace(tiny_config, flip=True, residual_steps=4, skip=True)
    straight = _trainer(dataclasses.replace(config, steps=6), tiny_images, tmp_path, "a")
    straight.fit(progress=False)

    first = _trainer(dataclasses.replace(config, steps=3), tiny_images, tmp_path, "b")
    first.fit(progress=False)
    second = _trainer(dataclasses.replace(config, steps=6), tiny_images, tmp_path, "c")
    second.resume(first.run.checkpoint)
    assert second.step == 3
    second.fit(progress=False)

    for a, b in zip(straight.generator.parameters(), second.generator.parameters()):
        assert torch.equal(a, b)
    for a, b in zip(straight.discriminator.parameters(), second.discriminator.parameters()):
        assert torch.equal(a, b)
    assert straight.controller.k.item() == second.controller.k.item()
    assert straight.opt_g.state_dict()["state"][0]["step"] == 6


def test_resume_refuses_changed_hyperparameters(tiny_config, tiny_images, tmp_path):
    first = _trainer(dataclasses.replace(tiny_config, steps=1), tiny_images, tmp_path, "a")
    first.fit(progress=False)
    changed = dataclasses.replace(tiny_config, gamma=0.7, lr=5e-4, steps=2)
    other = _trainer(changed, tiny_images, tmp_path, "b")
    with pytest.raises(CheckpointError) as error:
        other.resume(first.run.checkpoint)
    assert "--gamma: run has 0.5, asked 0.7" in str(error.value)
    assert "--lr" in str(error.value)


def test_fit_writes_a_self_describing_run_folder(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(dataclasses.replace(tiny_config, steps=4), tiny_images, tmp_path)
    record = trainer.fit(progress=False)
    folder = trainer.run.path
    lines = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines if "loss_real" in r] == [2, 4]
    assert [r["step"] for r in lines if "diversity" in r] == [3, 4]
    assert all(0.0 < r["diversity"] < 10.0 for r in lines if "diversity" in r)
    assert set(record) >= {"loss_real", "loss_fake", "k", "M", "lr", "images_per_s"}
    assert (folder / "reals.png").is_file()
    assert sorted(p.name for p in (folder / "samples").iterdir()) == [
        "step-0000003.png",
        "step-0000004.png",
    ]
    assert (folder / "reconstructions" / "step-0000004.png").is_file()
    assert (folder / "checkpoints" / "latest.pt").is_file()


def test_nan_stops_training_without_touching_the_checkpoint(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(dataclasses.replace(tiny_config, steps=3), tiny_images, tmp_path)
    trainer.fit(progress=False)
    saved = trainer.run.checkpoint.read_bytes()
    with torch.no_grad():
        for p in trainer.generator.parameters():
            p.fill_(float("nan"))
    trainer.config = dataclasses.replace(trainer.config, steps=6)
    with pytest.raises(TrainingError, match="non-finite"):
        trainer.fit(progress=False)
    assert trainer.run.checkpoint.read_bytes() == saved


def test_train_entry_point_resolves_grey_channels_and_refuses_bad_values(tmp_path):
    with pytest.raises(ValueError, match="--gamma 1.5: must lie in"):
        train({"gamma": 1.5}, out=tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_signal_stops_between_steps_and_saves(tiny_config, tiny_images, tmp_path):
    import os
    import signal

    trainer = _trainer(dataclasses.replace(tiny_config, steps=50), tiny_images, tmp_path)
    original = trainer.train_step

    def step_then_signal():
        losses = original()
        if trainer.step == 4:
            os.kill(os.getpid(), signal.SIGTERM)
        return losses

    trainer.train_step = step_then_signal
    trainer.fit(progress=False)
    assert trainer.step == 4
    resumed = _trainer(tiny_config, tiny_images, tmp_path, "other")
    resumed.resume(trainer.run.checkpoint)
    assert resumed.step == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_non_finite_weights_are_never_checkpointed(tiny_config, tiny_images, tmp_path):
    trainer = _trainer(dataclasses.replace(tiny_config, steps=1), tiny_images, tmp_path)
    trainer.fit(progress=False)
    saved = trainer.run.checkpoint.read_bytes()
    with torch.no_grad():
        next(trainer.discriminator.parameters()).view(-1)[0] = float("inf")
    with pytest.raises(TrainingError, match="discriminator's weights became non-finite"):
        trainer.save()
    assert trainer.run.checkpoint.read_bytes() == saved


def test_fid_and_kid_during_training_go_to_the_log(tiny_config, tiny_images, tmp_path):
    from began.metrics import MetricsError, find_weights

    try:
        find_weights()
    except MetricsError:
        pytest.skip("the FID Inception weights are not installed")
    config = dataclasses.replace(tiny_config, steps=2, eval_every=2, eval_num=6)
    trainer = _trainer(config, tiny_images, tmp_path)
    trainer.fit(progress=False)
    lines = [json.loads(line) for line in (trainer.run.path / "log.jsonl").read_text().split("\n")
             if line]  # fmt: skip
    (record,) = [r for r in lines if "fid" in r]
    assert record["step"] == 2 and record["eval_n"] == 6
    assert record["fid"] > 0 and np.isfinite(record["kid"])


@pytest.mark.parametrize("steps", [3, 12])  # inside and past the residuals' fade-out
def test_a_loaded_generator_is_the_one_that_trained(tiny_config, tiny_images, tmp_path, steps):
    config = dataclasses.replace(tiny_config, residual_steps=10, steps=steps)
    trainer = Trainer(config, tiny_images, RunFolder(tmp_path))
    trainer.fit(progress=False)
    generator, _ = load_generator(tmp_path)
    with torch.no_grad():
        expected = trainer.generator(trainer.fixed_z)
        torch.testing.assert_close(generator(trainer.fixed_z), expected)
