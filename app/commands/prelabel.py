"""`python main.py prelabel MANIFEST --out DIR`: pre-label a collection of videos in batch
(tracker.prelabel), on Ray when it is installed (``pip install .[scale]``), else on a local process pool.

Exit status: 0 when every video finished or was skipped, and also when some videos failed while others
finished (each failure is printed and listed in DIR/failed.json); 1 when every video run failed; 2 for
a manifest or option that cannot be used (nothing is run); 130 when interrupted (DIR/summary.json says
what finished; --resume continues).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

NAME = "prelabel"
HELP = "pre-label the videos of a manifest: import keyframes, track every object, write projects and exports"


def add_arguments(p) -> None:
    from tracker import CORRECTION_STRATEGIES, DEFAULT_CORRECTION_STRATEGY

    p.add_argument("manifest", type=Path,
                   help="CSV (header: video,keyframes[,format][,id]) or JSON lines with the same keys; "
                        "keyframes: an annotation file in an importable format or a project file")
    p.add_argument("--out", type=Path, required=True, help="output folder: one sub-folder per video")
    p.add_argument("--format", default="", metavar="F1,F2",
                   help="exports to write besides project.json, e.g. coco,mot (see `main.py export --help`)")
    p.add_argument("--resume", action="store_true", help="skip the videos an earlier run finished")
    p.add_argument("--force", action="store_true", help="redo videos whose results are already in --out")
    p.add_argument("--runner", choices=("auto", "ray", "pool"), default="auto",
                   help="auto (default): Ray when installed, else a local process pool")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local workers (default: the number of CPUs); 1 with the pool runs in this process")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="submit to this Ray cluster (default: $RAY_ADDRESS; none: start a local Ray)")
    p.add_argument("--gpus-per-task", type=float, default=None, metavar="G",
                   help="GPUs per video on Ray (default: 1 when the cluster has GPUs, else 0)")
    p.add_argument("--weights", type=Path, help="checkpoint file (default: the bundled one)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--correction-strategy", choices=list(CORRECTION_STRATEGIES), default=DEFAULT_CORRECTION_STRATEGY,
                   help=f"what a keyframe passed by the forward pass does to the tracker (default {DEFAULT_CORRECTION_STRATEGY})")
    p.add_argument("--one-sided", action="store_true",
                   help="between keyframes track forward only (default: two-sided fill, forward and backward merged)")
    p.add_argument("--threads-per-video", type=int, default=1, metavar="N", help="torch threads per video (default 1)")


def _formats(text: str) -> tuple[str, ...]:
    from app.cli import CommandError
    from tracker.formats import EXPORT_FORMATS

    names = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    for name in names:
        if name == "project":
            raise CommandError("--format: the project file is always written (project.json); leave 'project' out")
        if name not in EXPORT_FORMATS:
            raise CommandError(f"--format: unknown format {name!r} (known: {', '.join(EXPORT_FORMATS)})")
    return names


def _runner(args, jobs, settings):
    """(results iterator, runner name, workers) for the options; says which runner it uses."""
    from app.cli import CommandError
    from tracker.prelabel import ray_available, run_pool, run_ray

    address = args.ray_address or os.environ.get("RAY_ADDRESS") or None
    workers = args.workers or os.cpu_count() or 1
    if args.runner == "ray" or (args.runner == "auto" and (ray_available() or address)):
        if not ray_available():
            raise CommandError("Ray is not installed: pip install '.[scale]' (or use --runner pool)")
        where = f"the Ray cluster at {address}" if address else f"a local Ray with {workers} workers"
        print(f"prelabel: {len(jobs)} videos on {where}", file=sys.stderr)
        results = run_ray(jobs, settings, workers=workers, address=address, gpus_per_task=args.gpus_per_task)
        return results, "ray", 0 if address else workers  # 0: as many as the cluster gives
    if args.runner == "auto":
        print("prelabel: Ray is not installed (pip install '.[scale]'); running on a local process pool",
              file=sys.stderr)
    where = "this process" if workers <= 1 else f"a local pool of {workers} processes"
    print(f"prelabel: {len(jobs)} videos in {where}", file=sys.stderr)
    return run_pool(jobs, settings, workers), "pool", workers


def run(args) -> int:
    from tqdm import tqdm

    from app.cli import CommandError
    from tracker.atomic import output_problem
    from tracker.prelabel import (BatchError, BatchSummary, ManifestError, PrelabelSettings, PropagationSettings,
                                  plan_batch, read_manifest, run_batch, weights_digest, write_summary)

    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if args.threads_per_video < 1:
        raise CommandError("--threads-per-video must be at least 1")
    formats = _formats(args.format)
    try:
        jobs = read_manifest(args.manifest)
    except ManifestError as e:
        raise CommandError(str(e)) from None
    problem = output_problem(args.out, overwrite=True, kind="dir")
    if problem is not None:
        raise CommandError(f"{args.out}: {problem}")
    try:
        digest = weights_digest(args.weights)
    except OSError as e:
        raise CommandError(f"{args.weights}: cannot read weights: {e.strerror or e}") from None
    out = args.out.resolve()
    settings = PrelabelSettings(out, formats, None if args.weights is None else str(args.weights.resolve()), digest,
                                args.device, PropagationSettings(args.correction_strategy, not args.one_sided),
                                args.threads_per_video)
    try:
        todo, skipped = plan_batch(jobs, settings, args.resume, args.force)
    except BatchError as e:
        raise CommandError(str(e)) from None
    if skipped:
        print(f"prelabel: {len(skipped)} of {len(jobs)} videos already finished, skipped (--resume)", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    summary = BatchSummary("none", 0, skipped=skipped)
    if todo:
        results, summary.runner, summary.workers = _runner(args, todo, settings)
        bar = tqdm(total=len(todo), desc="videos", unit="video", file=sys.stderr, disable=None)

        def on_result(result) -> None:
            if not result.ok:
                tqdm.write(f"failed: {result.id}: {result.problem}", file=sys.stderr)
            bar.update(1)
            bar.set_postfix(failed=len(summary.failed), refresh=False)

        try:
            run_batch(results, summary, on_result)
        except BatchError as e:  # no Ray cluster at the address: nothing ran
            raise CommandError(str(e)) from None
        except KeyboardInterrupt:
            write_summary(settings, jobs, summary)
            raise
        finally:
            bar.close()
    write_summary(settings, jobs, summary)
    done, failed = len(summary.done), len(summary.failed)
    print(f"prelabelled {done} videos ({len(skipped)} skipped, {failed} failed) in {summary.wall_seconds:.1f} s: "
          f"{summary.videos_per_hour:.1f} videos/hour, {summary.frames_per_second:.2f} frames/s "
          f"({summary.tracked} tracked boxes) on {summary.runner} "
          f"{'cluster' if summary.runner == 'ray' and not summary.workers else f'with {summary.workers} workers'}; "
          f"summary: {out / 'summary.json'}", file=sys.stderr)
    if failed:
        print(f"{failed} videos failed: see {out / 'failed.json'}", file=sys.stderr)
    return 1 if todo and not done else 0
