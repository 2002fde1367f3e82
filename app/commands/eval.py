"""`main.py eval DATASET`: benchmark MemTrack and OpenCV baselines the way tracking papers do.

Writes ``OUT/results.json``, ``OUT/success.png``, ``OUT/precision.png`` and ``OUT/<tracker>/<sequence>.txt``
(0-based x,y,w,h per frame) and prints a table. See tracker/evaluation for the conventions.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from app.cli import CommandError

NAME = "eval"
HELP = ("evaluate trackers on an OTB / GOT-10k / LaSOT dataset (success, precision, fps, plots), or the "
        "annotation effort of a simulated annotator (--protocol correct)")

ALL_TRACKERS = ("memtrack", "csrt", "kcf", "mil", "nano", "vit")
# --protocol correct: MemTrack under each correction strategy (memtrack:STRATEGY), the baselines
# re-created at each correction, and keyframes with linear interpolation alone.
CORRECT_TRACKERS = ("memtrack", "csrt", "nano", "interp")
PROTOCOLS = ("ope", "correct", "fill")
# Named on request only: MemTrack with the same weights and its memory switched off (scores with T0).
EXTRA_TRACKERS = ("memtrack-nomem",)

EPILOG = """\
metrics (OTB one-pass evaluation; frame 1 counts, with the ground-truth box it was initialised from):
  AUC       mean success rate over IoU thresholds 0, 0.05, ..., 1 (success: IoU > threshold;
            a perfect tracker scores 20/21 = 0.952)
  Prec@20   fraction of frames whose centre error is <= 20 px
  NormPrec  fraction of frames whose centre error (dx / gt width, dy / gt height) is <= 0.2
  mIoU      mean IoU;  FPS: tracker calls per second, frame decoding excluded
  Fail      --restart only: frames where IoU fell to 0; the tracker restarts 5 frames later from the
            ground truth and the frames in between count as IoU 0
frames whose ground truth marks the target absent (NaN or zero size) are not scored.
outputs: OUT/results.json, OUT/success.png, OUT/precision.png, OUT/<tracker>/<sequence>.txt
(0-based x,y,w,h per frame; nan,nan,nan,nan where restart mode had no prediction).

--protocol correct (annotation effort): a simulated annotator draws frame 1 from the ground truth; on
every later frame whose proposed box has IoU < the threshold with the truth, it replaces the box with the
truth (one correction) and the tracker takes it: memtrack:STRATEGY re-seeds with that correction strategy
(--strategies, default all), OpenCV trackers are re-created on the box. Frames whose truth marks the
target absent are not judged (the tracker keeps running). interp: the fewest keyframes with which linear
interpolation alone keeps every frame at or above the threshold (exact). Reported: corrections per 100
judged frames (pooled over sequences, and per sequence with -v); OUT/results.json, OUT/effort.png, and
the auto-pause calibration (confidence thresholds against drift onsets, IoU 0.5) of each MemTrack lane.

--protocol fill (keyframes, then fill): the annotator draws the first and last frames with the target,
fills each span between keyframes with the tracker, draws the span's worst frame if it is below the
threshold and fills the halves again, until every frame passes. TRACKER:forward fills by tracking from
the span's first keyframe, TRACKER:two-sided also tracks back from its last one and merges the passes
(tracker/fill.py). Trackers: memtrack (default) and the OpenCV ones. Same outputs as --protocol correct."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("dataset", help="dataset folder (or one sequence folder)")
    parser.add_argument("--format", default="auto", choices=["auto", "otb", "got10k", "lasot"],
                        help="dataset layout (default: detected)")
    parser.add_argument("--protocol", default="ope", choices=PROTOCOLS,
                        help="ope: one-pass evaluation (default); correct: a simulated annotator corrects the "
                             "tracker and corrections per 100 frames are counted")
    parser.add_argument("--trackers",
                        help=f"comma-separated trackers among {', '.join(ALL_TRACKERS)} (default: all), "
                             "or memtrack-nomem: the same weights with the memory switched off; with "
                             f"--protocol correct also interp and memtrack:STRATEGY (default: "
                             f"{','.join(CORRECT_TRACKERS)})")
    parser.add_argument("--iou", default="0.5,0.7", metavar="T,T",
                        help="--protocol correct: IoU thresholds below which the annotator corrects (default 0.5,0.7)")
    parser.add_argument("--strategies", metavar="A,B",
                        help="--protocol correct: MemTrack correction strategies for 'memtrack' (default: all)")
    parser.add_argument("--weights", metavar="FILE", help="MemTrack checkpoint (default: the bundled one)")
    parser.add_argument("--device", default="auto", help="MemTrack device: auto, cpu, cuda (default: auto)")
    parser.add_argument("--sequences", metavar="A,B", help="evaluate only these sequences")
    parser.add_argument("--restart", action="store_true",
                        help="re-initialise 5 frames after a failure (IoU 0) and count failures, as VOT")
    parser.add_argument("--out", default="eval-results", metavar="DIR",
                        help="output folder (default: eval-results)")
    parser.add_argument("--nano-dir", metavar="DIR",
                        help="folder with nanotrack_backbone_sim.onnx and nanotrack_head_sim.onnx "
                             "(default: ../shared/models/nanotrack_v2)")
    parser.add_argument("--vit-model", metavar="FILE",
                        help="ViTTrack model vitTracker.onnx (default: ../shared/models/vittrack/vitTracker.onnx)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="CPU threads for PyTorch and OpenCV (default: their own); 1 keeps timings "
                             "stable on a busy machine")
    parser.add_argument("--pause-signals", action="store_true",
                        help="correct protocol: also calibrate the auto-pause on the controller's signals "
                             "(remember = 1 - no-write gate, attention peak); runs MemTrack with diagnostics")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print a row per sequence")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _names(text: str, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise CommandError(f"--{what} names nothing")
    if len(set(names)) != len(names):
        raise CommandError(f"--{what} names something twice: {text}")
    return names


def _memtrack(args: argparse.Namespace, use_memory: bool = True, diagnostics: bool = False):
    from tracker.evaluation import TrackerUnavailable

    try:
        from tracker import load_tracker
    except ImportError as e:
        raise TrackerUnavailable(f"memtrack: the tracking engine is not available ({e})") from e
    try:
        # No diagnostics unless asked: the evaluation reads only the boxes, and the maps cost time.
        from tracker import load_checkpoint

        tracking = None
        if not use_memory:
            _, config, _ = load_checkpoint(args.weights)
            tracking = dataclasses.replace(config.tracking, use_memory=False)
        return load_tracker(weights=args.weights, device=args.device, diagnostics=diagnostics, tracking=tracking)
    except Exception as e:  # report and go on with the other trackers
        raise TrackerUnavailable(f"memtrack: cannot load the tracker: {e}") from e


def _build_trackers(args: argparse.Namespace, names: list[str]) -> tuple[dict, list[str]]:
    from tracker.evaluation import TrackerUnavailable, make_baseline

    trackers, skipped = {}, []
    for name in names:
        try:
            if name in ("memtrack", "memtrack-nomem"):
                trackers[name] = _memtrack(args, use_memory=name == "memtrack")
            else:
                trackers[name] = make_baseline(name, nano_dir=args.nano_dir, vit_model=args.vit_model)
        except TrackerUnavailable as e:
            skipped.append(f"{e}; skipped")
    return trackers, skipped


def _set_threads(args: argparse.Namespace, memtrack: bool) -> None:
    if args.threads is None:
        return
    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    import cv2

    cv2.setNumThreads(args.threads)
    if memtrack:
        import torch

        torch.set_num_threads(args.threads)


def _load_sequences(args: argparse.Namespace) -> list:
    from tracker.evaluation import DatasetError, load_dataset

    wanted = _names(args.sequences, "sequences") if args.sequences else None
    try:
        sequences, problems = load_dataset(args.dataset, args.format, wanted)
    except DatasetError as e:
        raise CommandError(str(e)) from None
    for p in problems:
        print(f"warning: {p}; sequence skipped", file=sys.stderr)
    for s in sequences:
        if s.note:
            print(f"note: {s.name}: {s.note}", file=sys.stderr)
    if not sequences:
        raise CommandError(f"{args.dataset}: no sequence could be loaded")
    return sequences


def _thresholds(text: str) -> list[float]:
    values = []
    for part in _names(text, "iou"):
        try:
            v = float(part)
        except ValueError:
            raise CommandError(f"--iou: {part!r} is not a number") from None
        if not 0.0 < v <= 1.0:
            raise CommandError(f"--iou: {part} must be in (0, 1]")
        values.append(v)
    return values


def _correct_lanes(args: argparse.Namespace) -> list[str]:
    """The lane names of --protocol correct: 'memtrack' expands to memtrack:STRATEGY."""
    from tracker import CORRECTION_STRATEGIES

    strategies = _names(args.strategies, "strategies") if args.strategies else list(CORRECTION_STRATEGIES)
    bad = [s for s in strategies if s not in CORRECTION_STRATEGIES]
    if bad:
        raise CommandError(f"unknown correction strategy {', '.join(bad)}; choose among "
                           f"{', '.join(CORRECTION_STRATEGIES)}")
    lanes = []
    for name in _names(args.trackers or ",".join(CORRECT_TRACKERS), "trackers"):
        if name == "memtrack":
            lanes.extend(f"memtrack:{s}" for s in strategies)
        elif name.startswith("memtrack:"):
            if name.split(":", 1)[1] not in CORRECTION_STRATEGIES:
                raise CommandError(f"unknown correction strategy in {name}; choose among "
                                   f"{', '.join(CORRECTION_STRATEGIES)}")
            lanes.append(name)
        elif name in ALL_TRACKERS + ("interp",):
            lanes.append(name)
        else:
            raise CommandError(f"unknown tracker {name} for --protocol correct; choose among "
                               f"{', '.join(ALL_TRACKERS)}, interp, memtrack:STRATEGY")
    if len(set(lanes)) != len(lanes):
        raise CommandError("--trackers names a tracker twice")
    return lanes


def run_correct(args: argparse.Namespace) -> int:
    """--protocol correct: the simulated annotator (tracker.evaluation.effort)."""
    from tracker.evaluation import TrackerUnavailable, make_baseline
    from tracker.evaluation.effort import INTERP, MemTrackCorrector, RestartCorrector, effort_evaluate
    from tracker.evaluation.effort_report import (
        format_effort_table,
        format_jump_pause_table,
        format_pause_table,
        jump_pause_rows,
        pause_rows,
        signal_pause_rows,
        write_effort_json,
    )

    if args.restart:
        raise CommandError("--restart is for --protocol ope; the correction protocol restarts at every correction")
    thresholds = _thresholds(args.iou)
    lanes = _correct_lanes(args)
    if args.weights and not Path(args.weights).is_file():
        raise CommandError(f"{args.weights}: no such weights file")
    sequences = _load_sequences(args)
    _set_threads(args, any(n.startswith("memtrack") for n in lanes))

    factories = {}
    for name in lanes:
        if name == INTERP:
            continue
        try:
            if name.startswith("memtrack:"):
                strategy = name.split(":", 1)[1]
                _memtrack(args)  # fail now (and once) when the weights cannot be loaded
                factories[name] = lambda s=strategy: MemTrackCorrector(
                    _memtrack(args, diagnostics=args.pause_signals), s)
            else:
                baseline = make_baseline(name, nano_dir=args.nano_dir, vit_model=args.vit_model)
                print(f"{name}: {baseline.describe()}", file=sys.stderr)
                factories[name] = lambda n=name: RestartCorrector(
                    make_baseline(n, nano_dir=args.nano_dir, vit_model=args.vit_model))
        except TrackerUnavailable as e:
            print(f"warning: {e}; skipped", file=sys.stderr)
    if not factories and INTERP not in lanes:
        raise CommandError("no tracker could be built")
    evaluation = _effort_run(lambda: effort_evaluate(sequences, factories, thresholds, interp=INTERP in lanes,
                                                     progress=not args.no_progress))
    if evaluation is None:
        return 130
    order = [n for n in lanes if n in evaluation.trackers]
    evaluation.trackers = order
    print(format_effort_table(evaluation, verbose=args.verbose))
    from tracker import DEFAULT_CORRECTION_STRATEGY

    calibrations = pause_rows(evaluation)
    default_lane = f"memtrack:{DEFAULT_CORRECTION_STRATEGY}"
    shown = list(calibrations) if args.verbose else [default_lane if default_lane in calibrations
                                                     else next(iter(calibrations), None)]
    for name in filter(None, shown):
        print()
        print(format_pause_table(name, calibrations[name]))
        for signal, rows in signal_pause_rows(evaluation).get(name, {}).items():
            print()
            print(format_pause_table(name, rows, signal))
        jump_rows = jump_pause_rows(evaluation).get(name)
        if jump_rows:
            print()
            print(format_jump_pause_table(name, jump_rows))
    out = Path(args.out)
    written = [write_effort_json(out, evaluation)]
    from app.plots import write_effort_plot

    written.append(write_effort_plot(out, evaluation))
    print(f"wrote {', '.join(str(p) for p in written)}")
    return 0


def run_fill(args: argparse.Namespace) -> int:
    """--protocol fill: keyframes, then two-sided or forward fill (tracker.evaluation.fill_effort)."""
    from tracker.evaluation import TrackerUnavailable, make_baseline
    from tracker.evaluation.effort_report import format_effort_table, write_effort_json
    from tracker.evaluation.fill_effort import fill_effort_evaluate

    if args.restart:
        raise CommandError("--restart is for --protocol ope")
    thresholds = _thresholds(args.iou)
    names = _names(args.trackers or "memtrack", "trackers")
    unknown = [n for n in names if n not in ALL_TRACKERS]
    if unknown:
        raise CommandError(f"unknown tracker {', '.join(unknown)} for --protocol fill; choose among "
                           f"{', '.join(ALL_TRACKERS)}")
    if args.weights and not Path(args.weights).is_file():
        raise CommandError(f"{args.weights}: no such weights file")
    sequences = _load_sequences(args)
    _set_threads(args, "memtrack" in names)
    factories = {}
    for name in names:
        try:
            if name == "memtrack":
                factories[name] = (lambda t=_memtrack(args): t)
            else:
                factories[name] = (lambda t=make_baseline(name, nano_dir=args.nano_dir, vit_model=args.vit_model): t)
        except TrackerUnavailable as e:
            print(f"warning: {e}; skipped", file=sys.stderr)
    if not factories:
        raise CommandError("no tracker could be built")
    def report(seq, runs) -> None:  # a line per finished sequence: a long run shows where it is
        cells = [f"{lane} @{t:g}: {run.count}" for lane, per_t in runs.items() for t, run in per_t.items()]
        print(f"{seq.name} ({len(seq)} frames): corrections {', '.join(cells)}", file=sys.stderr, flush=True)

    evaluation = _effort_run(lambda: fill_effort_evaluate(sequences, factories, thresholds,
                                                          progress=not args.no_progress, on_sequence=report))
    if evaluation is None:
        return 130
    print(format_effort_table(evaluation, verbose=args.verbose, protocol="Keyframe-and-fill"))
    out = Path(args.out)
    doc_path = write_effort_json(out, evaluation, protocol="fill")
    from app.plots import write_effort_plot

    plot = write_effort_plot(out, evaluation)
    print(f"wrote {doc_path}, {plot}")
    return 0


def _effort_run(evaluate):
    """Run an effort protocol; None when interrupted (said on stderr). Prints its problems and refuses
    a run that evaluated no sequence."""
    try:
        evaluation = evaluate()
    except KeyboardInterrupt:
        print("interrupted: results.json and the plot were not written", file=sys.stderr)
        return None
    for p in evaluation.problems:
        print(f"warning: {p}", file=sys.stderr)
    if not evaluation.sequences:
        raise CommandError("no sequence was evaluated")
    return evaluation


def run(args: argparse.Namespace) -> int:
    if args.protocol == "correct":
        return run_correct(args)
    if args.protocol == "fill":
        return run_fill(args)
    from tracker.evaluation import evaluate, format_table, write_results_json, write_sequence_files

    names = _names(args.trackers or ",".join(ALL_TRACKERS), "trackers")
    unknown = [n for n in names if n not in ALL_TRACKERS + EXTRA_TRACKERS]
    if unknown:
        raise CommandError(f"unknown tracker {', '.join(unknown)}; choose among {', '.join(ALL_TRACKERS)}")
    if args.weights and not Path(args.weights).is_file():
        raise CommandError(f"{args.weights}: no such weights file")
    sequences = _load_sequences(args)
    _set_threads(args, any(n.startswith("memtrack") for n in names))
    trackers, skipped = _build_trackers(args, names)
    for line in skipped:
        print(f"warning: {line}", file=sys.stderr)
    if not trackers:
        raise CommandError("no tracker could be built")
    for name, t in trackers.items():
        describe = getattr(t, "describe", None)
        print(f"{name}: {describe() if describe else type(t).__name__}", file=sys.stderr)

    out = Path(args.out)
    finished: list[str] = []

    def on_sequence(result) -> None:
        write_sequence_files(out, result)
        finished.append(result.sequence.name)

    try:
        evaluation = evaluate(sequences, trackers, restart=args.restart, progress=not args.no_progress,
                              on_sequence=on_sequence)
    except KeyboardInterrupt:
        print(
            f"interrupted after {len(finished)} of {len(sequences)} sequences: their box files are in "
            f"{out}/<tracker>/; results.json and the plots were not written",
            file=sys.stderr,
        )
        return 130
    for p in evaluation.problems:
        print(f"warning: {p}", file=sys.stderr)
    if not evaluation.results:
        raise CommandError("no sequence was evaluated")

    print(format_table(evaluation, verbose=args.verbose))
    written = [write_results_json(out, evaluation)]
    from app.plots import write_evaluation_plots

    written.extend(write_evaluation_plots(out, evaluation))
    print(f"wrote {', '.join(str(p) for p in written)} and {out}/<tracker>/<sequence>.txt")
    return 0
