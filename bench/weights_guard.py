"""Guard against shipping a regression: score candidate MemTrack weights against the untrained start
point (and, for the record, the same candidate with its memory off) on the validation split of the
team's real training video, in one pass over the frames, and exit 1 unless the candidate is better.

    python bench/weights_guard.py [CANDIDATE] [--baseline FILE] [--data ../shared/data/train]
                                  [--sequences validation] [--margin 0.0] [--threads N]

CANDIDATE defaults to the shipped default weights. Exit status: 0 better by more than --margin, 1 not
better, 2 bad arguments; 0 with a "skipped" line when the data folder is absent (CI without shared data).
Never point it at the evaluation set: a guard that looks at it turns it into a tuning set.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("candidate", nargs="?", type=Path, help="weights to check (default: the shipped default)")
    ap.add_argument("--baseline", type=Path, help="the start point (default: memtrack_untrained.safetensors)")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "train")
    ap.add_argument("--sequences", default="validation", help="A,B, a named split or @FILE (default: validation)")
    ap.add_argument("--margin", type=float, default=0.0, help="required AUC gain over the baseline")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)

    from tracker import DEFAULT_WEIGHTS, UNTRAINED_WEIGHTS, MemTracker, load_checkpoint
    from tracker.evaluation import evaluate, load_dataset
    from tracker.training.data.splits import in_evaluation_set, parse_names

    if not args.data.is_dir():
        print(f"skipped: {args.data} is not present")
        return 0
    if in_evaluation_set(args.data):
        print(f"error: {args.data} is the evaluation set; guard on the validation split", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    candidate = args.candidate or DEFAULT_WEIGHTS
    baseline = args.baseline or UNTRAINED_WEIGHTS
    trackers = {}
    for name, path, memory in (("candidate", candidate, True), ("candidate, memory off", candidate, False),
                               ("baseline", baseline, True)):
        net, config, _ = load_checkpoint(path)
        tracking = dataclasses.replace(config.tracking, use_memory=memory)
        trackers[name] = MemTracker(net, dataclasses.replace(config, tracking=tracking), device="cpu",
                                    diagnostics=False)
    sequences, problems = load_dataset(args.data, names=list(parse_names(args.sequences)))
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    evaluation = evaluate(sequences, trackers, progress=sys.stderr.isatty())
    print(f"{len(sequences)} sequences of {args.data} ({args.sequences}); candidate {Path(candidate).name}, "
          f"baseline {Path(baseline).name}")
    names = list(trackers)
    print(f"{'sequence':<16}" + "".join(f"{n:>24}" for n in names))
    per = {n: evaluation.metrics(n) for n in names}
    for seq in sequences:
        print(f"{seq.name:<16}" + "".join(f"{per[n][seq.name].auc:>24.3f}" if seq.name in per[n] else f"{'-':>24}"
                                          for n in names))
    means = {n: evaluation.mean(n).auc for n in names}
    print(f"{'mean AUC':<16}" + "".join(f"{means[n]:>24.3f}" for n in names))
    gain = means["candidate"] - means["baseline"]
    verdict = gain > args.margin
    print(f"candidate - baseline: {gain:+.3f} (required > {args.margin:+.3f}): {'PASS' if verdict else 'FAIL'}; "
          f"memory adds {means['candidate'] - means['candidate, memory off']:+.3f}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
