"""The trainer's optimised step must compute the same update as a plain, textbook step."""

import copy
import dataclasses
import platform
import resource
import sys
import warnings

import pytest
import torch

from began.equilibrium import reconstruction_loss
from began.models import set_residual_carry
from began.performance import MaybeCompiled, keep_freed_memory
from began.run_folder import RunFolder
from began.training import Trainer


def _reference_step(gen, disc, opt_g, opt_d, real, z_d, z_g, k, config):
    """Separate D passes, D's weight gradients computed in the G update, eager float32."""
    fake = gen(z_d).detach()
    loss_real = reconstruction_loss(real, disc(real), config.loss_p)
    loss_fake = reconstruction_loss(fake, disc(fake), config.loss_p)
    opt_d.zero_grad()
    (loss_real - k * loss_fake).backward()
    opt_d.step()
    fake_g = gen(z_g)
    loss_g = reconstruction_loss(fake_g, disc(fake_g), config.loss_p)
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    balance = config.gamma * loss_real.item() - loss_g.item()
    return min(max(k + config.lambda_k * balance, 0.0), 1.0)


@pytest.mark.parametrize("skip, residual_steps", [(False, 0), (True, 3)])
def test_fast_step_matches_the_reference_step(tiny_config, tiny_images, tmp_path, skip,
                                              residual_steps):  # fmt: skip
    config = dataclasses.replace(tiny_config, skip=skip, residual_steps=residual_steps,
                                 precision="float32", lambda_k=0.05)  # fmt: skip
    trainer = Trainer(config, tiny_images, RunFolder(tmp_path))
    gen, disc = copy.deepcopy(trainer.generator), copy.deepcopy(trainer.discriminator)
    betas = (config.beta1, config.beta2)
    opt_g = torch.optim.Adam(gen.parameters(), config.lr, betas=betas, foreach=False)
    opt_d = torch.optim.Adam(disc.parameters(), config.lr, betas=betas, foreach=False)

    codes = [torch.rand(config.batch_size, config.z_dim) * 2 - 1 for _ in range(6)]
    reals = [trainer.loader.next_batch() for _ in range(3)]
    served_codes, served_reals = iter(codes), iter(reals)
    trainer._sample_z = lambda count: next(served_codes)
    trainer.loader.next_batch = lambda: next(served_reals)

    k = 0.0
    for step in range(3):
        trainer.train_step()
        carry = max(0.0, 1 - step / residual_steps) if residual_steps else 0.0
        set_residual_carry(gen, carry)
        set_residual_carry(disc, carry)
        real = reals[step].contiguous()
        k = _reference_step(gen, disc, opt_g, opt_d, real, codes[2 * step],
                            codes[2 * step + 1], k, config)  # fmt: skip
    assert trainer.controller.k.item() == pytest.approx(k, abs=1e-6)
    for fast, ref in zip(trainer.generator.parameters(), gen.parameters()):
        torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-6)
    for fast, ref in zip(trainer.discriminator.parameters(), disc.parameters()):
        torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-6)


def test_bf16_step_stays_close_to_float32(tiny_config, tiny_images, tmp_path):
    runs = {}
    for precision in ("float32", "bfloat16"):
        config = dataclasses.replace(tiny_config, precision=precision, steps=4)
        folder = tmp_path / precision
        folder.mkdir()
        trainer = Trainer(config, tiny_images, RunFolder(folder))
        runs[precision] = [trainer.train_step() for _ in range(4)][-1]
    exact, low = runs["float32"], runs["bfloat16"]
    assert low.loss_real.dtype == torch.float32  # losses stay float32 under autocast
    assert low.loss_real.item() == pytest.approx(exact.loss_real.item(), rel=0.05)


def test_compile_failure_falls_back_to_eager_with_a_warning(monkeypatch):
    module = torch.nn.Linear(2, 2)

    def broken_compiled(*args):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", lambda m: broken_compiled)
    runner = MaybeCompiled(module, enabled=True)
    x = torch.ones(1, 2)
    with pytest.warns(UserWarning, match="torch.compile failed"):
        out = runner(x)
    torch.testing.assert_close(out, module(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner(x)  # warns once only


@pytest.mark.slow
def test_compiled_step_trains(tiny_config, tiny_images, tmp_path):
    config = dataclasses.replace(tiny_config, compile=True, steps=2)
    trainer = Trainer(config, tiny_images, RunFolder(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer.fit(progress=False)
    assert trainer.step == 2
    assert not [w for w in caught if "torch.compile failed" in str(w.message)]


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc's mallopt only",
)
def test_freed_activation_memory_is_reused_without_page_faults(monkeypatch):
    monkeypatch.delenv("BEGAN_KEEP_FREED_MEMORY", raising=False)
    assert keep_freed_memory()
    faults = []
    for _ in range(16):  # 64 MiB: above the largest block glibc would otherwise keep
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        buffer = torch.ones(16 * 2**20)
        del buffer
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    # Fresh mmap pages fault 16,384 times a round; once the heap has grown to fit, none.
    assert max(faults[-4:]) < 1000, faults


@pytest.mark.parametrize("value", ["0", "false", " Off ", "no"])
def test_keeping_freed_memory_can_be_turned_off(monkeypatch, value):
    monkeypatch.setenv("BEGAN_KEEP_FREED_MEMORY", value)
    assert not keep_freed_memory()
