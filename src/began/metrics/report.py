"""Human-readable rendering of a results dict from ``evaluate_images``/``evaluate_checkpoint``."""

from __future__ import annotations


def format_table(results: dict) -> str:
    """A plain-text table of the metrics present in ``results``, then counts, time and notes."""
    rows = list(_metric_rows(results))
    if results.get("step") is not None:
        rows.append(("step", str(results["step"])))
    rows += [
        ("N generated", str(results["num_fake"])),
        ("N reference", str(results.get("num_real", "-"))),
        ("seconds", f"{results['seconds']:.1f}"),
    ]
    if "weights" in results:
        w = results["weights"]
        rows.append(("weights", f"{w['kind']} sha256 {w['sha256'][:12]}"))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines += [f"note: {note}" for note in results.get("notes", [])]
    return "\n".join(lines)


def _metric_rows(r: dict):
    if "fid" in r:
        yield "FID", f"{r['fid']:.3f}"
    if "kid_mean" in r:
        detail = f"({r['kid_subsets']} subsets of {r['kid_subset_size']})"
        yield "KID", f"{r['kid_mean']:.6f} ± {r['kid_std']:.6f}  {detail}"
    if "precision" in r:
        yield "precision", f"{r['precision']:.4f}  (k = {r['pr_k']})"
        yield "recall", f"{r['recall']:.4f}  (k = {r['pr_k']})"
    if "is_mean" in r:
        splits = f"({r['is_splits']} splits)"
        yield "Inception Score", f"{r['is_mean']:.3f} ± {r['is_std']:.3f}  {splits}"
