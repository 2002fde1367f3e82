"""Text for exports and messages: short numbers, box counts, object-and-frame error lines."""
from __future__ import annotations

import math

from ..project import Project, TrackObject


def num(value: float, decimals: int = 3) -> str:
    """A number as short text: ``12``, ``12.5``, ``12.346`` (at most ``decimals`` places)."""
    if not math.isfinite(value):
        return "NaN"
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def box_count(project: Project) -> int:
    return sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)


def format_context_error(where: str, obj: TrackObject, frame: int, problem: str) -> str:
    return f"{where}: object {obj.track_id} ({obj.label}) frame {frame}: {problem}"
