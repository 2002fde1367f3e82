"""``python main.py import FILE --format NAME --video VIDEO --out PROJECT``: make a project from
another tool's annotations (headless). The module is ``import_`` because ``import`` is a keyword;
the command is ``import``."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import CommandError

NAME = "import"
HELP = "make a project from annotations in another format (mot, cvat, coco, yolo, voc, otb, got10k, labelstudio, project)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from tracker.formats import IMPORT_FORMATS

    parser.add_argument("file", type=Path, help="the annotation file or folder to read")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "formats:\n" + "\n".join(f"  {k:12} {v}" for k, v in IMPORT_FORMATS.items())
    parser.add_argument("--format", "-f", required=True, choices=list(IMPORT_FORMATS), metavar="NAME",
                        help="one of: " + ", ".join(IMPORT_FORMATS) + " (described below)")
    parser.add_argument("--video", type=Path, default=None,
                        help="the video (or image folder) the annotations belong to (required except "
                             "for --format project)")
    parser.add_argument("--out", "-o", required=True, type=Path, help="the project file to write (.json)")
    parser.add_argument("--force", action="store_true", help="replace an existing project file")


def run(args: argparse.Namespace) -> int:
    from tracker.atomic import output_problem
    from tracker.formats import FormatError, import_annotations
    from tracker.project import ProjectError, save_project

    if args.video is None and args.format != "project":
        raise CommandError(f"--video is required to import {args.format} (the frames give size and length)")
    if args.out.is_dir():
        raise CommandError(f"{args.out}: is a folder; give a project file name")
    problem = output_problem(args.out, args.force)
    if problem is not None:
        raise CommandError(f"{args.out}: {problem}")
    try:
        project = import_annotations(args.file, args.format, args.video)
        save_project(args.out, project)
    except (FormatError, ProjectError) as e:
        raise CommandError(str(e)) from None
    boxes = sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)
    print(f"imported {len(project.objects)} objects, {boxes} boxes from {args.file} into {args.out}")
    return 0
