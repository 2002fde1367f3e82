"""`python main.py track SOURCE --init X,Y,W,H ...`: track one box through a video, headless."""
from __future__ import annotations

import json
import sys
from pathlib import Path

NAME = "track"
HELP = "track one box through a video file or image folder and print or save one x,y,w,h line per frame"


def add_arguments(p) -> None:
    p.add_argument("source", help="video file or folder of images (sorted by name)")
    p.add_argument("--init", required=True, metavar="X,Y,W,H", help="box on the start frame, 0-based pixels")
    p.add_argument("--start-frame", type=int, default=0, metavar="N")
    p.add_argument("--end-frame", type=int, default=None, metavar="N", help="last frame to track (inclusive)")
    p.add_argument("--backward", action="store_true", help="track towards earlier frames")
    p.add_argument("--out", type=Path, help="write boxes here instead of standard output")
    p.add_argument("--weights", type=Path, help="checkpoint file (default: the bundled one)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", default="auto", metavar="N|auto",
                   help="CPU threads for PyTorch and OpenCV (default auto: the usable cores less what other "
                        "processes keep busy)")
    p.add_argument("--diagnostics", type=Path, metavar="FILE.jsonl",
                   help="write the tracker's per-frame diagnostics as JSON lines")
    p.add_argument("--force", action="store_true", help="replace an existing --out or --diagnostics file")


def _check_outputs(args) -> None:
    """Refuse, before any tracking, outputs that exist (without --force), that would replace the
    source, that are folders, or that cannot be written: a failure after the run loses its results."""
    from app.cli import CommandError
    from tracker.atomic import output_problem
    from tracker.video import IMAGE_EXTENSIONS

    outputs = [(flag, path) for flag, path in (("--out", args.out), ("--diagnostics", args.diagnostics))
               if path is not None]
    source = Path(args.source)
    for flag, path in outputs:
        is_frame = path.suffix.lower() in IMAGE_EXTENSIONS and source.resolve() in path.resolve().parents
        if path.exists() and source.exists() and (path.resolve() == source.resolve() or is_frame):
            raise CommandError(f"{path}: {flag} would overwrite the video being tracked")
        problem = output_problem(path, args.force)
        if problem is not None:
            raise CommandError(f"{path}: {problem}")
    if len(outputs) == 2 and outputs[0][1].resolve() == outputs[1][1].resolve():
        raise CommandError(f"{args.out}: --out and --diagnostics name the same file")


def _write(path: Path, text: str) -> None:
    from app.cli import CommandError
    from tracker.atomic import atomic_write_text, clean_stale_siblings

    clean_stale_siblings(path)
    try:
        atomic_write_text(path, text)
    except OSError as e:
        raise CommandError(f"{path}: cannot write: {e.strerror or e}") from None


def run(args) -> int:
    from tqdm import tqdm

    from app.cli import CommandError
    from tracker import Box, BoxError, CheckpointError, VideoError, load_tracker, open_source
    from tracker.sequence import frame_order, track_source

    try:
        box = Box.parse(args.init)
    except BoxError as e:
        raise CommandError(f"--init: {e}") from None
    _check_outputs(args)
    from tracker.threads import threads_problem

    problem = threads_problem(args.threads)
    if problem is not None:
        raise CommandError(f"--threads {args.threads!r}: {problem}")
    try:
        source = open_source(args.source)
    except VideoError as e:
        raise CommandError(str(e)) from None
    try:
        box.check_inside(source.width, source.height)
        order = frame_order(len(source), args.start_frame, args.end_frame, args.backward)
    except (BoxError, ValueError) as e:
        raise CommandError(f"{args.source}: {e}") from None
    try:
        tracker = load_tracker(args.weights, device=args.device, diagnostics=args.diagnostics is not None,
                               threads=args.threads)
    except (CheckpointError, RuntimeError) as e:
        raise CommandError(str(e)) from None

    lines, diag_lines = [], []
    bar = tqdm(total=len(order), desc="tracking", unit="frame", file=sys.stderr, disable=None)
    try:
        for index, result in track_source(tracker, source, box, args.start_frame, args.end_frame, args.backward):
            b = box if result is None else result.box
            lines.append(f"{b.x:.3f},{b.y:.3f},{b.w:.3f},{b.h:.3f}")
            if args.diagnostics is not None and result is not None:
                record = {"frame": index, "box": [round(v, 3) for v in b.as_tuple()],
                          "score": round(result.score, 5)}
                d = result.diagnostics.to_json()
                d["gates"] = dict(zip(("write", "read", "allocate"), d["gates"]))
                record.update({k: d[k] for k in ("attention", "response", "read_weights", "write_weights",
                                                 "usage", "gates", "residual_gate", "read_strength", "scale")})
                diag_lines.append(json.dumps(record))
            bar.update(1)
    except VideoError as e:
        raise CommandError(str(e)) from None
    except BoxError as e:  # the engine's own checks on the start box (its minimum size)
        raise CommandError(f"{args.source}: --init: {e}") from None
    finally:
        bar.close()
        source.close()
    text = "\n".join(lines) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        _write(args.out, text)
    if args.diagnostics is not None:
        _write(args.diagnostics, "\n".join(diag_lines) + ("\n" if diag_lines else ""))
    return 0
