"""Linear interpolation of boxes between two keyframes (Qt-free)."""
from __future__ import annotations

from tracker.types import Box

__all__ = ["interpolate_boxes"]


def interpolate_boxes(first: int, first_box: Box, last: int, last_box: Box) -> dict[int, Box]:
    """Boxes for the frames strictly between ``first`` and ``last``, moving each of x, y, w, h
    linearly in time. Returns an empty dict when the frames are adjacent or equal."""
    if last < first:
        first, first_box, last, last_box = last, last_box, first, first_box
    span = last - first
    out: dict[int, Box] = {}
    for frame in range(first + 1, last):
        t = (frame - first) / span
        out[frame] = Box(*(a + (b - a) * t for a, b in zip(first_box.as_tuple(), last_box.as_tuple())))
    return out
