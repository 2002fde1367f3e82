"""Score tracking-parameter variants of one checkpoint on a dataset, all in one pass (each frame is
decoded once and given to every variant), and print them best first.

Use it on the validation split of the team's real training video (``--sequences validation``) or on
held-out synthetic sequences (scripts/render_synthetic_otb.py), never on the evaluation set: the
parameters it picks are written into the shipped checkpoint.

    python scripts/tune_tracking.py DATASET --grid scale_step=1.03,1.05 --grid scale_choice=response,cosine \
        [--sequences validation|A,B|@FILE] [--weights FILE] [--out results.json] [--threads 2] [--save FILE]

Each --grid adds one TrackingConfig field and its values; the variants are every combination. The
checkpoint's own tracking config is always scored too, as "checkpoint". --save writes the same weights
with the best variant's tracking config (and a note of the tuning in the metadata) to FILE.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.config import TrackingConfig  # noqa: E402


def parse_grid(items: list[str]) -> dict[str, list]:
    """"key=v1,v2" strings -> {key: [typed values]}, typed after the TrackingConfig field."""
    known = {f.name: f for f in dataclasses.fields(TrackingConfig)}
    grid: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or key not in known:
            raise SystemExit(f"--grid {item!r}: expected FIELD=V1,V2 with FIELD one of {', '.join(known)}")
        kind = type(getattr(TrackingConfig(), key))
        if kind is bool:
            grid[key] = [v.strip().lower() in ("1", "true", "yes") for v in values.split(",")]
        else:
            grid[key] = [kind(v) for v in values.split(",")]
    return grid


def variants(base: TrackingConfig, grid: dict[str, list]) -> dict[str, TrackingConfig]:
    out = {"checkpoint": base}
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        changes = dict(zip(keys, combo))
        name = ",".join(f"{k}={v}" for k, v in changes.items())
        out[name] = dataclasses.replace(base, **changes)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2")
    ap.add_argument("--weights", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write every variant's per-sequence AUC here (JSON)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--sequences", default=None, metavar="NAMES",
                    help="only these sequences: A,B, a named split (validation) or @FILE")
    ap.add_argument("--save", type=Path, default=None, help="write the checkpoint with the best variant's config")
    args = ap.parse_args()

    import torch

    from tracker import MemTracker, load_checkpoint, save_checkpoint
    from tracker.atomic import atomic_write_text
    from tracker.evaluation import evaluate, load_dataset

    if args.threads:
        torch.set_num_threads(args.threads)
    net, config, extra = load_checkpoint(args.weights)
    configs = variants(config.tracking, parse_grid(args.grid))
    trackers = {name: MemTracker(net, dataclasses.replace(config, tracking=tc), device="cpu", diagnostics=False)
                for name, tc in configs.items()}
    from tracker.training.data.splits import parse_names

    sequences, problems = load_dataset(args.dataset, names=list(parse_names(args.sequences)) if args.sequences
                                       else None)
    for p in problems:
        print(p, file=sys.stderr)
    evaluation = evaluate(sequences, trackers, progress=True)
    rows = []
    for name in configs:
        per_seq = evaluation.metrics(name)
        mean = evaluation.mean(name)
        rows.append((mean.auc, mean.precision, name, {k: m.auc for k, m in per_seq.items()}))
    rows.sort(key=lambda r: -r[0])
    for auc, prec, name, _ in rows:
        print(f"{auc:.4f}  {prec:.3f}  {name}")
    if args.out:
        data = [{"variant": n, "auc": a, "precision": p, "per_sequence": s} for a, p, n, s in rows]
        atomic_write_text(args.out, json.dumps(data, indent=1))
    if args.save:
        best_auc, _, best_name, _ = rows[0]
        extra = dict(extra, tracking_tuned={"dataset": args.dataset.name, "sequences_chosen": args.sequences,
                                            "variant": best_name,
                                            "auc": round(best_auc, 4), "sequences": len(sequences)})
        save_checkpoint(args.save, net, dataclasses.replace(config, tracking=configs[best_name]), extra)
        print(f"saved {args.save} with {best_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
