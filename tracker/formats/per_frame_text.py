"""One-box-per-line text files (OTB, GOT-10k): line ``n`` holds the box on frame ``n - 1``.

Shared by otb.py and got10k.py, which differ in their box convention (coords.py), file names
and side files. Every video frame gets a line; a frame without a box (absent or not annotated)
gets ``NaN,NaN,NaN,NaN``, the choice UAV123 (an OTB-layout benchmark) made, which numpy's and
pytracking's loaders read as "no box".
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..project import BoxEntry, Provenance, TrackObject, VideoRef
from ..types import Box
from .building import make_box
from .errors import FormatError
from .formatting import num
from .reading import checkpoint, read_text, split_numbers

NAN_ROW = "NaN,NaN,NaN,NaN"


def box_lines(obj: TrackObject, n_frames: int, convert: Callable[[Box], tuple]) -> tuple[Iterator[str], int]:
    """The lines for one object (one per frame, generated as they are written, so a long video
    needs no list of them) and how many of them hold a box."""
    count = sum(1 for f, e in obj.entries.items() if e.box is not None and 0 <= f < n_frames)

    def lines() -> Iterator[str]:
        for frame in range(n_frames):
            entry = obj.entries.get(frame)
            if entry is None or entry.box is None:
                yield NAN_ROW
            else:
                yield ",".join(num(v) for v in convert(entry.box))

    return lines(), count


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """One line per item, written as they come."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)


def read_box_lines(path: Path, video: VideoRef, convert: Callable[..., Box],
                   absent: list[bool] | None = None) -> dict[int, BoxEntry]:
    """Entries from a one-box-per-line file. NaN rows, all-zero rows (LaSOT's mark) and frames
    flagged in ``absent`` become absent marks; other rows become imported boxes."""
    lines = read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if video.frame_count and len(lines) > video.frame_count:
        raise FormatError(f"{path}: has {len(lines)} lines but the video has {video.frame_count} frames: "
                          "wrong --video?")
    if absent is not None and len(absent) < len(lines):
        absent = absent + [False] * (len(lines) - len(absent))
    entries: dict[int, BoxEntry] = {}
    for lineno, line in enumerate(lines, 1):
        checkpoint()  # a cancelled import stops here
        frame = lineno - 1
        if not line.strip():
            raise FormatError(f"{path}: line {lineno}: empty line (every frame needs a line)")
        values = split_numbers(path, lineno, line, 4, 4)
        flagged = absent is not None and absent[frame]
        if flagged or any(math.isnan(v) for v in values) or all(v == 0 for v in values):
            entries[frame] = BoxEntry(None, Provenance.ABSENT)
            continue
        box = make_box(f"{path}: line {lineno}", *values, convert=convert)
        entries[frame] = BoxEntry(box, Provenance.IMPORTED)
    return entries


def read_flags(path: Path) -> list[bool]:
    """A GOT-10k style ``.label`` file: one 0/1 per line."""
    flags = []
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        checkpoint()  # a cancelled import stops here
        text = line.strip()
        if not text:
            continue
        if text not in ("0", "1"):
            raise FormatError(f"{path}: line {lineno}: expected 0 or 1, found {text!r}")
        flags.append(text == "1")
    return flags
