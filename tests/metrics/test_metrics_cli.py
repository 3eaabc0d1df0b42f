import argparse
import json

import pytest

from began.metrics import cli as metrics_cli
from began.metrics.errors import MetricsError


def _parser():
    parser = argparse.ArgumentParser(prog="began")
    metrics_cli.add_evaluate_command(parser.add_subparsers())
    return parser


RESULTS = {"fid": 1.5, "num_fake": 10, "num_real": 10, "seconds": 2.0, "notes": []}


def test_arguments_reach_evaluate_checkpoint(monkeypatch, capsys):
    seen = {}

    def fake(checkpoint, ref, num, **kwargs):
        seen.update(checkpoint=checkpoint, ref=ref, num=num, **kwargs)
        return RESULTS

    monkeypatch.setattr(metrics_cli, "evaluate_checkpoint", fake)
    args = _parser().parse_args(
        ["evaluate", "runs/00001", "--ref", "data", "-n", "500", "--weights", "w.pth", "--json",
         "--metrics", "fid,is", "--quiet", "--no-cache"]
    )  # fmt: skip
    assert args.handler(args) == 0
    assert seen["checkpoint"] == "runs/00001" and seen["ref"] == "data" and seen["num"] == 500
    assert seen["weights"] == "w.pth" and seen["metrics"] == "fid,is"
    assert seen["progress"] is False and seen["cache"] is False and seen["num_ref"] is None
    assert json.loads(capsys.readouterr().out)["fid"] == 1.5


def test_table_by_default_and_errors_exit_2(monkeypatch, capsys):
    monkeypatch.setattr(metrics_cli, "evaluate_checkpoint", lambda *a, **k: RESULTS)
    args = _parser().parse_args(["evaluate", "run"])
    assert args.num == 10_000 and args.metrics == "fid,kid,pr" and args.device == "auto"
    assert args.handler(args) == 0
    assert "FID" in capsys.readouterr().out

    def broken(*a, **k):
        raise MetricsError("no Inception weights found")

    monkeypatch.setattr(metrics_cli, "evaluate_checkpoint", broken)
    assert args.handler(args) == 2
    assert "began: error: no Inception weights found" in capsys.readouterr().err


def test_help_mentions_how_to_get_weights():
    with pytest.raises(SystemExit):
        _parser().parse_args(["evaluate", "--help"])


def test_results_are_kept_in_the_run_folder(monkeypatch, tmp_path, capsys):
    run = tmp_path / "00001-demo"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    (run / "checkpoints" / "latest.pt").write_bytes(b"")
    loose = tmp_path / "copy.pt"
    loose.write_bytes(b"")
    monkeypatch.setattr(metrics_cli, "evaluate_checkpoint", lambda *a, **k: RESULTS)
    for target in [run, run / "checkpoints" / "latest.pt", loose]:
        args = _parser().parse_args(["evaluate", str(target), "--quiet"])
        assert args.handler(args) == 0
    records = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    assert [record["fid"] for record in records] == [1.5, 1.5]
    assert {record["checkpoint"] for record in records} == {
        str((run / "checkpoints" / "latest.pt").resolve())
    }
    assert list(tmp_path.glob("*.jsonl")) == []  # nothing written beside a loose checkpoint
