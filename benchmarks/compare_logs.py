"""Print M, k_t and diversity of several runs side by side, from their log.jsonl files.

python benchmarks/compare_logs.py runs/00001-a runs/00002-b --every 250
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def read_log(run: Path) -> tuple[dict[int, dict], dict[int, float]]:
    """Loss records and diversity records of a run, each keyed by step."""
    losses, diversity = {}, {}
    for line in (run / "log.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "loss_real" in record:
            losses[record["step"]] = record
        elif "diversity" in record:
            diversity[record["step"]] = record["diversity"]
    return losses, diversity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--every", type=int, default=500, help="steps between rows")
    args = parser.parse_args()
    logs = [read_log(run) for run in args.runs]
    for index, run in enumerate(args.runs):
        print(f"[{index}] {run}")
    header = "".join(f"{f'M[{i}]':>9}{f'k[{i}]':>8}{f'div[{i}]':>8}" for i in range(len(logs)))
    print(f"{'step':>7}{header}")
    last = max(max(losses, default=0) for losses, _ in logs)
    for step in range(args.every, last + 1, args.every):
        row = f"{step:>7}"
        for losses, diversity in logs:
            record = losses.get(step)
            row += f"{record['M']:>9.4f}{record['k']:>8.4f}" if record else f"{'':>17}"
            row += f"{diversity[step]:>8.3f}" if step in diversity else f"{'':>8}"
        print(row)


if __name__ == "__main__":
    main()
