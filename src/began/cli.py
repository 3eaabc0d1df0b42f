"""The ``began`` command line: parses flags into the library's objects and calls them.

began train [--data PATH] [--steps N | --minutes M] [flags...]
began train --resume RUN [--steps N]
began sample CHECKPOINT_OR_RUN -n 64 -o grid.png [--individual DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
import warnings
from pathlib import Path

from . import __version__
from .checkpoint import CheckpointError
from .config import PRESETS, ConfigError, TrainConfig, flag_name
from .data import DataError
from .metrics.cli import add_evaluate_command
from .metrics.errors import MetricsError
from .training import TrainingError


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _format_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, DataError, CheckpointError, TrainingError, MetricsError) as error:
        print(f"began: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # unwritable output, a file where a folder should be, ...
        print(f"began: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("began: interrupted", file=sys.stderr)
        return 130


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"began: warning: {message}\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="began", description="Train, sample and evaluate Boundary Equilibrium GANs."
    )
    parser.add_argument("--version", action="version", version=f"began {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a BEGAN (on the embedded data by default)")
    _add_config_flags(train)
    train.add_argument(
        "--out", default="runs", help="folder that holds run folders (default: runs)"
    )
    train.add_argument(
        "--resume", metavar="RUN", help="continue a run folder (or its checkpoint file) in place"
    )
    train.add_argument("--config", metavar="JSON", help="read settings from a config.json")
    train.add_argument(
        "--preset", choices=sorted(PRESETS), help="named values, over --config; flags win"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(handler=_train)

    sample = commands.add_parser(
        "sample",
        help="draw samples from a trained generator",
        formatter_class=HelpFormatter,
    )
    sample.add_argument("checkpoint", help="a run folder or checkpoint file")
    sample.add_argument("-n", "--num", type=int, default=64, help="how many samples")
    sample.add_argument("-o", "--output", default="samples.png", help="grid image to write")
    sample.add_argument("--individual", metavar="DIR", help="also write one PNG per sample")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latent codes")
    sample.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    sample.set_defaults(handler=_sample)
    add_evaluate_command(commands, HelpFormatter)
    return parser


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each default, unless it is None, an off switch, or already in the help text."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        switch_off = action.nargs == 0 and action.default is False
        if action.default is None or switch_off or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per config field; unset flags stay absent so resume can tell them apart."""
    group = parser.add_argument_group("training settings")
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        kind = _base_type(hints[f.name])
        options = {"default": argparse.SUPPRESS, "dest": f.name}
        help_text = f.metadata["help"] + ("" if f.default is None else f" (default: {f.default})")
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif f.metadata.get("nargs"):
            options.update(nargs=f.metadata["nargs"], type=int, metavar="N")
        else:
            metavar = f.metadata.get("metavar") or {int: "N", float: "X"}.get(kind, "VALUE")
            options.update(type=kind, metavar=metavar)
        group.add_argument(f"--{flag_name(f.name)}", help=help_text, **options)


def _base_type(hint):
    """int | None -> int; tuple[int, ...] | None -> tuple."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint


def _given_settings(args: argparse.Namespace) -> dict:
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return {name: value for name, value in vars(args).items() if name in names}


def _train(args: argparse.Namespace) -> int:
    from .training import train

    overrides = _given_settings(args)
    if "crop" in overrides:
        overrides["crop"] = tuple(overrides["crop"])
    base = _read_config_file(args.config) if args.config else {}
    base.update(PRESETS.get(args.preset, {}))
    result = train({**base, **overrides}, out=args.out, resume=args.resume, progress=not args.quiet)
    print(result.summary())
    return 130 if result.interrupted else 0


def _read_config_file(path: str) -> dict:
    try:
        return TrainConfig.load(path).to_dict()
    except OSError as error:
        raise ConfigError(f"--config {path}: {error.strerror}") from None
    except ValueError as error:  # invalid JSON, or keys that are not settings
        raise ConfigError(f"--config {path}: {error}") from None


def _sample(args: argparse.Namespace) -> int:
    from .sampling import load_generator, sample_images

    if args.num < 1:
        raise ConfigError(f"-n {args.num}: must be at least 1")
    if Path(args.output).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise ConfigError(f"-o {args.output}: give a .png, .jpg or .webp file name")
    if args.individual and Path(args.individual).exists() and not Path(args.individual).is_dir():
        raise ConfigError(f"--individual {args.individual}: exists and is not a folder")
    generator, config = load_generator(args.checkpoint, args.device)
    images = sample_images(generator, config, args.num, args.seed)
    from .images import save_grid, to_pil

    path = save_grid(images, args.output)
    print(f"wrote {args.num} samples to {path}")
    if args.individual:
        folder = Path(args.individual)
        folder.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(images):
            to_pil(image).save(folder / f"sample-{index:05d}.png")
        print(f"wrote {args.num} PNG files to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
