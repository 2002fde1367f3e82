"""The command line: one sub-command per module in app.commands.

Each command module exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Headless commands import no Qt. With no command at all, the window opens on the bundled sample.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings

_python_show_warning = warnings.showwarning

# Module names under app.commands, in the order --help lists them.
COMMANDS = ["gui", "track", "eval", "diagnose", "train", "export", "import_", "prelabel"]


class CommandError(Exception):
    """A user error a command reports as one clear line and exit status 2."""


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """The engine's warnings about user input (a truncated video, say) as one ``warning:`` line;
    other warnings keep Python's format."""
    from tracker.video import ShortVideoWarning

    if issubclass(category, ShortVideoWarning):
        print(f"warning: {message}", file=file or sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


def _load(name: str):
    return importlib.import_module(f"app.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="MemTrack video annotation assistant")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = _load(name)
        except ModuleNotFoundError as e:
            if e.name == f"app.commands.{name}":
                continue  # command not built in this checkout
            raise
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = {name.rstrip("_") for name in COMMANDS}
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        argv = ["gui", *argv]  # `main.py` or `main.py clip.mp4` opens the window
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args._run(args) or 0)
    except CommandError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
