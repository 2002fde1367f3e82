"""The frame loop: one generator over a source's frames that the window's runs
(`app.core.tracking_job.JobRunner`), the ``track`` command (`track_source`) and the evaluation
runner (`tracker.evaluation.runner.run_sequence`) share.

`iter_frames` reads each frame once, in the order of the run, and stops before the next frame as
soon as its cancel check says so (the window's Esc; the check is a plain callable, so the loop
knows nothing of threads). Backward runs over a compressed video decode blocks forward and hand
them out in reverse: the decoder seeks once per block instead of once per frame.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Protocol

from .protocols import TrackingEngine
from .result import TrackResult
from .types import Box

__all__ = ["FrameReader", "frame_order", "iter_frames", "track_source"]


class FrameReader(Protocol):
    """Anything with ``read(index)`` (a `FrameSource`, a list of image files); ``width`` and
    ``height`` (pixels) size the backward blocks when present."""

    def read(self, index: int) -> Any: ...


def _never() -> bool:
    return False


def iter_frames(source: FrameReader, start: int, stop: int, step: int = 1, block_bytes: int = 64 << 20,
                cancelled: Callable[[], bool] = _never) -> Iterator[tuple[int, Any]]:
    """Frames ``start..stop`` inclusive as (index, frame), forward (step 1) or backward (step -1);
    nothing more is read or yielded once ``cancelled()`` is true."""
    if step > 0:
        for f in range(start, stop + 1):
            if cancelled():
                return
            yield f, source.read(f)
        return
    pixels = getattr(source, "width", 0) * getattr(source, "height", 0)
    block = max(1, min(64, block_bytes // max(1, pixels * 3))) if pixels else 1
    hi = start
    while hi >= stop:
        lo = max(stop, hi - block + 1)
        images = []
        for f in range(lo, hi + 1):
            if cancelled():
                return
            images.append(source.read(f))
        for f in range(hi, lo - 1, -1):
            if cancelled():
                return
            yield f, images[f - lo]
        hi = lo - 1


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


def track_source(tracker: TrackingEngine, source: FrameReader, box: Box, start: int = 0, end: int | None = None,
                 backward: bool = False, target_id: int = 0, cancelled: Callable[[], bool] = _never
                 ) -> Iterator[tuple[int, TrackResult | None]]:
    """Initialise on ``start`` with ``box`` and track to ``end``; yields (frame index, result).

    The start frame yields None (it has no tracking output: the box is the given one). The
    generator is lazy, so a caller can stop at any frame.
    """
    order = frame_order(len(source), start, end, backward)
    first = True
    for index, frame in iter_frames(source, order.start, order[-1], order.step, cancelled=cancelled):
        if first:
            tracker.initialize(frame, box, target_id=target_id, frame_index=index)
            first = False
            yield index, None
        else:
            yield index, tracker.track_all(frame, frame_index=index)[target_id]
