"""What every reader of dataset files shares: the one `DatasetError` (evaluation datasets, training
sequences and splits raise it) and the one `natural_key` (frame files, ground-truth files and
sequence folders sort with it, so ``img10`` comes after ``img9`` everywhere)."""
from __future__ import annotations

import re

__all__ = ["DatasetError", "natural_key"]


class DatasetError(Exception):
    """A dataset, a sequence or a file in it that cannot be read; the message names the path (and the
    line) and the problem."""


def natural_key(name: str) -> list:
    """Sort key: digit runs compare as numbers, the rest case-insensitively."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]
