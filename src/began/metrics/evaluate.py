"""Library entry points: sample-quality metrics for two image arrays, or for a checkpoint."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from began.checkpoint import load_checkpoint
from began.data import describe_source, load_images
from began.metrics import cache as ref_cache
from began.metrics.errors import MetricsError
from began.metrics.features import extract_features
from began.metrics.fid import feature_stats, frechet_distance
from began.metrics.inception import FIDInceptionV3
from began.metrics.inception_score import DEFAULT_SPLITS, inception_score
from began.metrics.kid import kid
from began.metrics.precision_recall import DEFAULT_K, precision_recall
from began.metrics.preprocess import DESCRIPTION, check_images
from began.metrics.weights import (
    TORCHSCRIPT_SHA256,
    WeightsInfo,
    find_weights,
    load_inception,
    sha256_file,
)
from began.run_folder import checkpoint_path
from began.sampling import load_generator, sample_images

METRICS = ("fid", "kid", "pr", "is")
DEFAULT_METRICS = ("fid", "kid", "pr")
DEFAULT_BATCH_SIZE = 32
# The reference subset is drawn with a fixed seed, whatever the sampling seed, so that
# evaluations of different checkpoints share it and its cached statistics.
REF_SUBSET_SEED = 0
NO_HEAD = (
    "the Inception Score needs the network's 1008-way classifier, which the TorchScript FID file "
    "lacks; pass pytorch-fid's pt_inception-2015-12-05-6726825d.pth with --weights (or "
    "$BEGAN_INCEPTION_WEIGHTS), or leave 'is' out of the metrics"
)
# Smallest N each metric can work with: KID's unbiased estimate needs pairs, the k-NN radii
# need k other samples, and each of the IS splits needs at least one image.
_MIN_N = {"fid": 2, "kid": 2, "pr": DEFAULT_K + 1, "is": DEFAULT_SPLITS}


def evaluate_images(
    fake: np.ndarray,
    real: np.ndarray | None,
    *,
    weights: str | os.PathLike[str] | None = None,
    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str = "auto",
    cache_key: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    ref_label: str = "images",
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Compare generated uint8 (N, H, W, C) images with real ones; return a flat results dict.

    ``metrics`` is any of "fid", "kid", "pr" (precision and recall) and "is" (Inception Score,
    which needs weights with the classifier; ``real`` may be None when it is the only one).
    ``cache_key`` names the content of ``real`` for the reference-statistics cache (default: a
    hash of the array); ``cache=False`` neither reads nor writes it. ``seed`` drives the KID
    subsets. Keys: num_fake, num_real, fid, kid_mean, kid_std, kid_subset_size, kid_subsets,
    precision, recall, pr_k, is_mean, is_std, is_splits (for the metrics asked), and
    reference_cached, notes, weights, preprocessing, seconds.

    Raises MetricsError for unknown metrics, too few images, or missing or wrong weights.
    """
    start = time.perf_counter()
    wanted = check_metrics(metrics)
    fake = check_images(fake, "generated images")
    real = None if real is None else check_images(real, "reference images")
    _check_counts(wanted, len(fake), None if real is None else len(real))
    model, info = load_inception(weights, resolve_device(device))
    if "is" in wanted and not info.has_head:
        raise MetricsError(f"{NO_HEAD} (weights: {info.path})")
    fake_features = extract_features(
        model, fake, batch_size=batch_size, progress=progress, desc="generated"
    )
    results: dict = {"num_fake": len(fake)}
    if real is not None:
        ref, cached = reference_stats(
            model, info, real, cache_key=cache_key, cache=cache, cache_dir=cache_dir,
            label=ref_label, batch_size=batch_size, progress=progress,
        )  # fmt: skip
        results.update(num_real=len(real), reference_cached=cached)
        results.update(compare_features(fake_features, ref, wanted, seed=seed))
    if "is" in wanted:
        results.update(inception_score(fake_features, model.fc.weight))
    results["notes"] = _notes(wanted, results, info, fake_features.shape[1])
    results.update(weights=info.to_dict(), preprocessing=DESCRIPTION)
    results["seconds"] = round(time.perf_counter() - start, 2)
    return results


def compare_features(
    fake_features: np.ndarray, ref: ref_cache.ReferenceStats, wanted, *, seed: int = 0
) -> dict:
    """FID, KID and precision/recall (those in ``wanted``) from features alone."""
    results: dict = {}
    if "fid" in wanted:
        results["fid"] = frechet_distance(*feature_stats(fake_features), ref.mu, ref.sigma)
    if "kid" in wanted:
        results.update(kid(fake_features, ref.features, seed=seed))
    if "pr" in wanted:
        results.update(precision_recall(fake_features, ref.features))
    return results


def reference_stats(
    model: FIDInceptionV3,
    info: WeightsInfo,
    real: np.ndarray,
    *,
    cache_key: str | None = None,
    cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    label: str = "images",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> tuple[ref_cache.ReferenceStats, bool]:
    """Features, mean and covariance of ``real``, from the cache when possible.

    Returns (stats, whether they came from the cache).
    """
    path = None
    if cache:
        key = cache_key if cache_key is not None else ref_cache.content_key(real)
        path = ref_cache.cache_file(key, DESCRIPTION, info.sha256, cache_dir, label)
        stats = ref_cache.load(path)
        if stats is not None and len(stats.features) == len(real):
            return stats, True
    features = extract_features(
        model, real, batch_size=batch_size, progress=progress, desc="reference"
    )
    stats = ref_cache.ReferenceStats(features, *feature_stats(features))
    if path is not None:
        ref_cache.save(path, stats)
    return stats, False


def evaluate_checkpoint(
    checkpoint: str | os.PathLike[str],
    ref: str | os.PathLike[str] | None = None,
    num: int = 10_000,
    *,
    num_ref: int | None = None,
    weights: str | os.PathLike[str] | None = None,
    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    cache: bool = True,
    progress: bool = True,
) -> dict:
    """Sample ``num`` images from a run folder or checkpoint and compare them with real data.

    The reference is ``ref`` (any source ``began.data.load_images`` reads) or, by default, the
    run's own training data with its crop box; either way at the run's image size. It is cut
    to ``num_ref`` images (default ``num``) by a fixed-seed random subset, so that both sides
    have the same N. Returns ``evaluate_images``'s dict plus checkpoint, its training step,
    reference, and the whole call's seconds (sampling and data loading included).
    """
    start = time.perf_counter()
    num_ref = num if num_ref is None else num_ref
    wanted = check_metrics(metrics)
    _check_counts(wanted, num, num_ref)  # refuse before the slow steps, not after
    step = load_checkpoint(checkpoint_path(checkpoint)).get("step")  # refuses unsafe files first
    device = str(resolve_device(device))
    weights = _early_weights_check(weights, wanted)
    fake, config = _sample(checkpoint, num, seed, device)
    real, label = None, None
    if set(wanted) - {"is"}:  # the Inception Score alone needs no real images
        real, label = load_reference(config, ref, num_ref, progress=progress)
    results = evaluate_images(
        fake, real, weights=weights, metrics=wanted, batch_size=batch_size, device=device,
        cache=cache, ref_label=label or "images", seed=seed, progress=progress,
    )  # fmt: skip
    results = {"checkpoint": str(Path(checkpoint)), "step": step, "reference": label,
               "seed": seed, **results}  # fmt: skip
    results["seconds"] = round(time.perf_counter() - start, 2)
    return results


def _early_weights_check(weights, wanted) -> Path:
    """Find the weights and refuse known-unusable ones before the slow sampling and loading."""
    path = find_weights(weights)
    if "is" in wanted and sha256_file(path) == TORCHSCRIPT_SHA256:
        raise MetricsError(f"{NO_HEAD} (weights: {path})")
    return path


def _sample(checkpoint, num: int, seed: int, device: str):
    generator, config = load_generator(checkpoint, device)
    return sample_images(generator, config, num, seed), config


def load_reference(config, ref, count: int, *, progress: bool = True) -> tuple[np.ndarray, str]:
    """The reference images for a run's ``config`` (at most ``count``) and a label for them."""
    source = config.data if ref is None else ref
    images = load_images(
        source, image_size=config.image_size, channels=config.channels or 3,
        crop=config.crop if ref is None else None, progress=progress,
    )  # fmt: skip
    if count < len(images):
        rng = np.random.default_rng(REF_SUBSET_SEED)
        images = images[np.sort(rng.choice(len(images), count, replace=False))]
    return images, describe_source(source)


def check_metrics(metrics) -> tuple[str, ...]:
    """Normalise a list of metric names ("fid", "kid", "pr", "is"), refusing unknown ones."""
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    wanted = tuple(dict.fromkeys(m.strip().lower() for m in metrics if m.strip()))
    unknown = [m for m in wanted if m not in METRICS]
    if unknown or not wanted:
        choices = ", ".join(METRICS)
        raise MetricsError(f"unknown metrics {unknown or metrics}: choose from {choices}")
    return wanted


def _check_counts(wanted, num_fake: int, num_real: int | None) -> None:
    if num_real is None and set(wanted) - {"is"}:
        raise MetricsError(f"{', '.join(wanted)}: reference images are needed")
    for metric in wanted:
        sides = [("generated", num_fake)]
        if metric != "is":
            sides.append(("reference", num_real))
        for side, count in sides:
            if count < _MIN_N[metric]:
                raise MetricsError(
                    f"{metric}: needs at least {_MIN_N[metric]} {side} images, got {count}"
                )


def _notes(wanted, results: dict, info: WeightsInfo, dim: int) -> list[str]:
    """Caveats that change how the figures may be read."""
    notes = []
    sizes = [results["num_fake"], results.get("num_real", results["num_fake"])]
    if "fid" in wanted and min(sizes) < dim:
        notes.append(
            f"N = {min(sizes)} < {dim}: the covariance is singular and FID is strongly "
            "biased upward; compare FIDs only at the same N"
        )
    if "kid_subset_size" in results and 2 * results["kid_subset_size"] > min(sizes):
        notes.append(
            f"KID subsets of {results['kid_subset_size']} from {min(sizes)} images overlap "
            "heavily: kid_std understates the uncertainty"
        )
    if sizes[0] != sizes[1]:
        notes.append(
            f"{sizes[0]} generated against {sizes[1]} reference images: the figures depend on "
            "both counts; compare them only at the same pair"
        )
    if not info.official:
        notes.append("weights are not a known standard file: figures are not comparable")
    return notes


def resolve_device(name: str | torch.device) -> torch.device:
    """'auto' picks CUDA when available; asking for CUDA without it is an error."""
    if str(name) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise MetricsError(f"--device {name}: CUDA is not available on this machine")
    return device
