"""Staged (all-or-nothing) output: checking the target, a private folder published in one rename."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..atomic import current_umask, output_problem, temp_prefix
from .errors import FormatError


def check_target(out: Path, kind: str, overwrite: bool) -> None:
    """Fail early (before any work) when the output is in the way or cannot be written."""
    if not out.exists():
        _check_writable(out)
        return
    if kind == "dir":
        if not out.is_dir():
            raise FormatError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not overwrite:
            raise FormatError(f"{out}: folder exists and is not empty (choose another or overwrite)")
    else:
        if out.is_dir():
            raise FormatError(f"{out}: is a folder; give a file name")
        if not overwrite:
            raise FormatError(f"{out}: file exists (choose another name or overwrite)")
    _check_writable(out)


def _check_writable(out: Path) -> None:
    problem = output_problem(out, overwrite=True, kind="dir" if out.is_dir() else "file")
    if problem is not None:
        raise FormatError(f"{out}: {problem}")


class StagedDir:
    """A private folder beside ``out`` that becomes ``out`` in one rename when the export succeeds.

    An export that fails midway removes the staging folder, so nothing half-written is left; the
    previous content of ``out`` (when overwriting) stays untouched until the new one is complete.
    """

    def __init__(self, out: Path, overwrite: bool):
        self.out = out
        self.overwrite = overwrite
        out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".partial", dir=out.parent))

    def __enter__(self) -> "StagedDir":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        publish_mode(self.path)
        _flush_tree(self.path)
        out = self.out
        old: Path | None = None
        try:
            if out.exists():
                check_target(out, "dir", self.overwrite)
                if any(out.iterdir()):
                    # a crash between the two renames leaves the old content here; the next export
                    # to the same target puts it back (atomic.recover_interrupted_swap)
                    old = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".old", dir=out.parent))
                    os.rmdir(old)
                    os.rename(out, old)
                else:
                    os.rmdir(out)
            try:
                os.rename(self.path, out)
            except OSError:
                if old is not None:
                    os.rename(old, out)
                raise
        except OSError as e:
            shutil.rmtree(self.path, ignore_errors=True)
            raise FormatError(f"{out}: cannot write export: {e.strerror or e}") from e
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def publish_mode(path: Path) -> None:
    """Give a written file or folder tree the usual permissions (temp files are created private)."""
    mask = current_umask()
    if path.is_dir():
        for p in [path, *path.rglob("*")]:
            os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)
    else:
        os.chmod(path, 0o666 & ~mask)


def _flush_tree(root: Path) -> None:
    """Make the staged files durable before the rename that publishes them."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for p in root.rglob("*"):  # pragma: no cover - Windows
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
