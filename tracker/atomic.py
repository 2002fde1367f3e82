"""Atomic writes for user data: write a temp file beside the target, fsync, then rename.

A crash or a full disk leaves either the old file or the new one, never half of one. What a killed
run leaves beside the target (``.NAME.pid<P>.<random>.tmp`` / ``.partial`` / ``.old``) is removed
by :func:`clean_stale_siblings` on the next write to the same target: names that carry the id of
a process that is no longer running, and untagged ones (older versions, the video writer) that
have not been modified for an hour.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable

__all__ = ["atomic_write_bytes", "atomic_write_chunks", "atomic_write_text", "clean_stale_siblings", "current_umask",
           "output_problem", "temp_prefix"]

UNTAGGED_STALE_AFTER_S = 3600.0
_TAG = re.compile(r"\.pid(\d+)\.")
_STALE_NAME = re.compile(r"\.(?:tmp|partial|old)(?:\.[^.]*)?$")


def temp_prefix(target: Path) -> str:
    """The name prefix of a temporary sibling of ``target``, tagged with this process's id."""
    return f".{target.name}.pid{os.getpid()}."


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:  # pragma: no cover - not POSIX
        return True
    return True


def stale_siblings(target: Path) -> list[Path]:
    """Temporary siblings of ``target`` that no running process will finish (see the module doc)."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    stem_prefix = f".{target.stem}." if target.suffix else None
    found = []
    for p in target.parent.glob(".*"):
        name = p.name
        if not (name.startswith(f".{target.name}.") or (stem_prefix and name.startswith(stem_prefix))):
            continue
        if not _STALE_NAME.search(name):
            continue
        tag = _TAG.search(name)
        if tag is not None:
            if not _process_alive(int(tag.group(1))):
                found.append(p)
            continue
        try:
            idle = time.time() - p.lstat().st_mtime
        except OSError:
            continue
        if idle > UNTAGGED_STALE_AFTER_S:
            found.append(p)
    return sorted(found)


def recover_interrupted_swap(target: str | os.PathLike) -> Path | None:
    """Finish what a run killed while replacing the folder ``target`` left: when ``target`` is
    missing and the old content sits in a ``.NAME.pid<P>.*.old`` sibling of a dead process, put it
    back (the new content was never published). Returns the restored path, or None."""
    target = Path(target)
    if target.exists() or target.is_symlink():
        return None
    olds = [p for p in stale_siblings(target)
            if p.name.startswith(f".{target.name}.pid") and p.name.endswith(".old") and p.is_dir()]
    if not olds:
        return None
    newest = max(olds, key=lambda p: p.stat().st_mtime)
    os.rename(newest, target)
    return target


def clean_stale_siblings(target: str | os.PathLike) -> list[Path]:
    """Remove what killed runs left beside ``target``; returns what was removed. Never raises:
    cleaning is a courtesy, the write that follows must not fail because of it."""
    removed = []
    for p in stale_siblings(Path(target)):
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


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
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target), suffix=".tmp", dir=target.parent)
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
