"""`main.py diagnose DATASET`: what the memory network does on real video (attention, gates, residual
gate, read strength) and what the memory adds (success AUC with the memory on and off, same weights).
See tracker.evaluation.memory_diagnostics for the definitions."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli import CommandError

NAME = "diagnose"
HELP = "memory diagnostics of MemTrack weights on a dataset: attention, gates, memory on/off AUC"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", help="dataset folder (OTB / GOT-10k / LaSOT layout) or one sequence folder")
    p.add_argument("--weights", metavar="FILE", help="MemTrack checkpoint (default: the bundled one)")
    p.add_argument("--format", default="auto", choices=["auto", "otb", "got10k", "lasot"])
    p.add_argument("--sequences", metavar="NAMES",
                   help="only these sequences: A,B, a named split ('validation': the fixed validation split "
                        "of the team's training video) or @FILE with one name per line")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads for PyTorch")
    p.add_argument("--no-memory-off", action="store_true", help="skip the memory-off run (half the time)")
    p.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON")
    p.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from tracker import CheckpointError, load_checkpoint, load_tracker
    from tracker.atomic import atomic_write_bytes
    from tracker.data_files import DatasetError
    from tracker.evaluation import load_dataset
    from tracker.evaluation.memory_diagnostics import diagnose, format_report
    from tracker.training.data.splits import parse_names

    if args.weights and not Path(args.weights).is_file():
        raise CommandError(f"{args.weights}: no such weights file")
    if args.threads is not None:
        if args.threads < 1:
            raise CommandError("--threads must be at least 1")
        import torch

        torch.set_num_threads(args.threads)
    try:
        wanted = list(parse_names(args.sequences)) if args.sequences else None
        sequences, problems = load_dataset(args.dataset, args.format, wanted)
    except DatasetError as e:  # the one error of evaluation datasets and training splits
        raise CommandError(str(e)) from None
    for problem in problems:
        print(f"warning: {problem}; sequence skipped", file=sys.stderr)
    if not sequences:
        raise CommandError(f"{args.dataset}: no sequence could be loaded")
    try:
        tracker = load_tracker(args.weights, device=args.device, diagnostics=True)
        no_memory = None
        if not args.no_memory_off:
            _, config, _ = load_checkpoint(args.weights)
            no_memory = load_tracker(args.weights, device=args.device, diagnostics=False,
                                     tracking=dataclasses.replace(config.tracking, use_memory=False))
    except (CheckpointError, RuntimeError) as e:
        raise CommandError(str(e)) from None
    try:
        report = diagnose(sequences, tracker, no_memory, progress=not args.no_progress)
    except (DatasetError, ValueError) as e:
        raise CommandError(str(e)) from None
    print(f"weights: {args.weights or 'bundled default'}; {len(sequences)} sequences of {args.dataset}")
    print(format_report(report))
    if args.json:
        try:
            atomic_write_bytes(args.json, (json.dumps(report.to_json(), indent=2) + "\n").encode())
        except OSError as e:
            raise CommandError(f"{args.json}: cannot write ({e.strerror or e})") from None
    return 0
