"""Atomic writes for user data: write a temp file beside the target, fsync, then rename.

A crash or a full disk leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

__all__ = ["atomic_write_bytes", "atomic_write_chunks", "atomic_write_text", "current_umask", "output_problem"]


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (writes may run in worker
    threads, and os.umask() would briefly change it for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: str | os.PathLike, chunks: Iterable[bytes]) -> None:
    """Write the chunks one after another (a large file never has to be held in memory)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it private; give it the usual mode
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def output_problem(path: str | os.PathLike, overwrite: bool, kind: str = "file") -> str | None:
    """Why ``path`` cannot take a new output (a ``"file"`` or a ``"dir"``), or None when it can.

    Checked before any long work, so a run never ends with results that cannot be saved: an
    existing file (unless ``overwrite``), a file where a folder is wanted or the reverse, and a
    folder that does not let us create files in it (probed with a real temporary file, so
    read-only mounts and permissions both count). Nothing is left behind.
    """
    target = Path(path)
    if target.is_dir() and kind == "file":
        return "is a folder; give a file name"
    if target.exists() and not target.is_dir() and kind == "dir":
        return "exists and is not a folder"
    if target.exists() and kind == "file" and not overwrite:
        return "file exists (use --force to replace it)"
    parent = target.parent
    while not parent.exists():  # atomic writes create missing folders: the first existing one counts
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a folder"
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as e:
        return f"cannot write in {parent}: {e.strerror or e}"
    os.close(fd)
    os.unlink(probe)
    return None
