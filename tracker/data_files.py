"""What every reader of dataset files shares: the one `DatasetError` (evaluation datasets, training
sequences and splits raise it), the one `natural_key` (frame files, ground-truth files and sequence
folders sort with it, so ``img10`` comes after ``img9`` everywhere) and the one ground-truth reader
(`read_groundtruth`, for evaluation and training alike).
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from .types import Box

__all__ = ["DatasetError", "GroundTruthError", "natural_key", "read_groundtruth"]


class DatasetError(Exception):
    """A dataset, a sequence or a file in it that cannot be read; the message names the path (and the
    line) and the problem."""


def natural_key(name: str) -> list:
    """Sort key: digit runs compare as numbers, the rest case-insensitively."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


class GroundTruthError(DatasetError):
    """A ground-truth file that cannot be read: ``path``, the 1-based ``line`` (None for the whole
    file), the ``problem``; the message is ``path:line: problem``."""

    def __init__(self, path: Path, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}:{line}: {problem}" if line is not None else f"{path}: {problem}")


_SPLIT = re.compile(r"[,\s]+")


def read_groundtruth(path: Path, one_based: bool) -> list[Box | None]:
    """Read a ground-truth file: one ``x,y,w,h`` row per frame (commas, tabs or spaces), row ``n`` is
    frame ``n - 1``. Returns 0-based boxes (``one_based``: the file counts pixels from 1, as the MATLAB
    toolkits of OTB and LaSOT do).

    One policy for every caller: blank lines at the end are ignored, a blank line before the last row
    is an error (skipping it would shift every later frame); a row with a NaN or a zero/negative size
    marks the target absent (None); an infinite value, a row that is not four numbers and an empty
    file are errors (`GroundTruthError` naming the file and line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise GroundTruthError(path, None, f"cannot read ground truth ({e})") from e
    lines = text.splitlines()
    while lines and not lines[-1].strip():  # trailing blank lines are harmless
        lines.pop()
    boxes: list[Box | None] = []
    offset = 1.0 if one_based else 0.0
    for number, line in enumerate(lines, start=1):
        parts = [p for p in _SPLIT.split(line.strip()) if p]
        if len(parts) != 4:
            raise GroundTruthError(path, number,
                                   f"expected four numbers x,y,w,h, found {len(parts)} in {line.strip()!r}")
        try:
            x, y, w, h = (float(p) for p in parts)
        except ValueError:
            raise GroundTruthError(path, number, f"not a number in {line.strip()!r}") from None
        if any(math.isnan(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
            boxes.append(None)
            continue
        if not all(math.isfinite(v) for v in (x, y, w, h)):
            raise GroundTruthError(path, number, f"infinite value in {line.strip()!r}")
        boxes.append(Box(x - offset, y - offset, w, h))
    if not boxes:
        raise GroundTruthError(path, None, "ground-truth file is empty")
    return boxes
