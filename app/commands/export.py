"""``python main.py export PROJECT --format NAME --out PATH``: write a project's annotations in
another tool's format (headless)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli import CommandError

NAME = "export"
HELP = "export a project's annotations (mot, cvat, coco, yolo, voc, otb, got10k, labelstudio, csv, ...)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tracker.formats import EXPORT_FORMATS, FRAME_FORMATS

    parser.add_argument("project", type=Path, help="the project file (.json)")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "formats:\n" + "\n".join(f"  {k:12} {v}" for k, v in EXPORT_FORMATS.items())
    parser.add_argument("--format", "-f", required=True, choices=list(EXPORT_FORMATS), metavar="NAME",
                        help="one of: " + ", ".join(EXPORT_FORMATS) + " (described below)")
    parser.add_argument("--out", "-o", required=True, type=Path,
                        help="output folder (mot, yolo, voc, otb, got10k, labelstudio) or file (the others)")
    parser.add_argument("--video", type=Path, default=None,
                        help="the video to read frames from (default: the project's video)")
    parser.add_argument("--frames", action="store_true",
                        help=f"also write the frames ({', '.join(FRAME_FORMATS)}): as images (a frame folder's "
                             "own files under their names; coco into a folder beside the JSON), and for "
                             "labelstudio as a video browsers play, which the tasks then point at")
    parser.add_argument("--media-url", default=None, metavar="URL",
                        help="labelstudio: the URL under which you serve the video, or a prefix ending in "
                             "/ or = "
                             "that the file name is appended to (e.g. '/data/local-files/?d=videos/' or "
                             "'https://host/videos/'); default: the video's absolute path")
    parser.add_argument("--track-ids", action="store_true", help="YOLO: add the track id as a sixth column")
    parser.add_argument("--force", action="store_true", help="replace an existing output")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from tracker.formats import FormatError, export_project
    from tracker.project import ProjectError, load_project

    try:
        project = load_project(args.project)
    except ProjectError as e:
        raise CommandError(str(e)) from None
    video = args.video if args.video is not None else project.video_path(args.project)
    bar = None
    notes: list[str] = []

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=f"export {args.format}", unit="frame" if total > 1 else "file",
                       leave=False, disable=True if total <= 1 else None)  # None: only on a terminal
        bar.update(done - bar.n)

    try:
        paths = export_project(project, args.format, args.out, video_path=video, write_frames=args.frames,
                               progress=progress, track_ids=args.track_ids, overwrite=args.force,
                               media_url=args.media_url, notes=notes.append)
    except FormatError as e:
        raise CommandError(str(e)) from None
    finally:
        if bar is not None:
            bar.close()
    for text in notes:
        print(f"note: {text}", file=sys.stderr)
    boxes = sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)
    print(f"exported {len(project.objects)} objects, {boxes} boxes as {args.format} to {args.out} "
          f"({len(paths)} files)")
    return 0
