"""Score every checkpoint of a training run (``step_*.safetensors`` and ``final.safetensors``) on a
dataset split in one pass (each frame decoded once, every checkpoint tracks it) and print them best first.

Choose on the validation split of the team's training video, never on the evaluation set:

    python scripts/select_checkpoint.py runs/real_v1 --data ../shared/data/train --sequences validation \
        [--also resources/weights/memtrack_untrained.safetensors] [--threads 2] [--out scores.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="training run folder")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--sequences", default="validation", help="A,B, a named split or @FILE (default: validation)")
    ap.add_argument("--also", action="append", default=[], type=Path, help="another checkpoint to score alongside")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the scores as JSON")
    args = ap.parse_args(argv)

    from tracker import MemTracker, load_checkpoint
    from tracker.atomic import atomic_write_text
    from tracker.evaluation import evaluate, load_dataset
    from tracker.training.data.splits import in_evaluation_set, parse_names

    if in_evaluation_set(args.data):
        print(f"error: {args.data} is the evaluation set; select on the validation split", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    paths = sorted(args.run.glob("step_*.safetensors")) + [p for p in [args.run / "final.safetensors"] if p.is_file()]
    paths += args.also
    if not paths:
        print(f"error: {args.run}: no checkpoints", file=sys.stderr)
        return 2
    trackers = {}
    for path in paths:
        net, config, _ = load_checkpoint(path)
        trackers[path.name if path.parent == args.run else str(path)] = MemTracker(net, config, device="cpu",
                                                                                 diagnostics=False)
    sequences, problems = load_dataset(args.data, names=list(parse_names(args.sequences)))
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    evaluation = evaluate(sequences, trackers, progress=sys.stderr.isatty())
    rows = sorted(((evaluation.mean(n).auc, evaluation.mean(n).precision, n) for n in trackers), reverse=True)
    print(f"{len(sequences)} sequences ({args.sequences}) of {args.data}")
    for auc, precision, name in rows:
        print(f"{auc:.4f}  {precision:.3f}  {name}")
    if args.out:
        doc = {n: {"auc": evaluation.mean(n).auc, "per_sequence": {k: m.auc for k, m in evaluation.metrics(n).items()}}
               for n in trackers}
        atomic_write_text(args.out, json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
