"""``python main.py gui [PATH]``: the annotation window."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import CommandError

NAME = "gui"
HELP = "open the annotation window on a video, a folder of frames or a project (default: the sample clip)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="video file (mp4, avi, mkv, mov), frame folder or project .json")


def run(args: argparse.Namespace) -> int:
    if args.path is not None and not Path(args.path).exists():
        raise CommandError(f"{args.path}: no such file or folder")
    from app.application import run_gui  # Qt is imported only when the window opens

    return run_gui(args.path)
