"""Drive a tracker over a frame source: the frame loop the command line and scripts share."""
from __future__ import annotations

from typing import Iterator

from .engine import MemTracker
from .result import TrackResult
from .types import Box
from .video import FrameSource

__all__ = ["frame_order", "track_source"]


def frame_order(length: int, start: int, end: int | None = None, backward: bool = False) -> range:
    """Frame indices from ``start`` to ``end`` inclusive (default: the last frame, or 0 backward)."""
    if not 0 <= start < length:
        raise ValueError(f"start frame {start} is outside the video's frames 0..{length - 1}")
    if end is None:
        end = 0 if backward else length - 1
    if not 0 <= end < length:
        raise ValueError(f"end frame {end} is outside the video's frames 0..{length - 1}")
    if backward and end > start:
        raise ValueError(f"tracking backward from frame {start} cannot end at the later frame {end}")
    if not backward and end < start:
        raise ValueError(f"tracking forward from frame {start} cannot end at the earlier frame {end}")
    return range(start, end - 1, -1) if backward else range(start, end + 1)


def track_source(tracker: MemTracker, source: FrameSource, box: Box, start: int = 0, end: int | None = None,
                 backward: bool = False, target_id: int = 0) -> Iterator[tuple[int, TrackResult | None]]:
    """Initialise on ``start`` with ``box`` and track to ``end``; yields (frame index, result).

    The start frame yields None (it has no tracking output: the box is the given one). The
    generator is lazy, so a caller can stop at any frame.
    """
    order = frame_order(len(source), start, end, backward)
    first = True
    for index in order:
        frame = source.read(index)
        if first:
            tracker.initialize(frame, box, target_id=target_id, frame_index=index)
            first = False
            yield index, None
        else:
            yield index, tracker.track_all(frame, frame_index=index)[target_id]
