"""Two-sided fill between two keyframes: track forward from the first, backward from the second, and
merge the two passes frame by frame.

A tracker's error grows with the distance from the box it started from, so near each keyframe the pass
that starts there is the one to trust. ``merge_passes`` weighs each pass by its distance weight (1 at its
own keyframe, 0 at the other, linear in between) times its confidence:

- where the two boxes agree (IoU >= ``agree_iou``), the result is their weighted mean (x, y, w, h);
- where they disagree, one of them has drifted: the one with the larger weight wins outright (a mean of
  two different objects would be on neither).

Qt-free; the tracker is anything with MemTracker's single-target ``initialize(frame, box)`` and
``track(frame) -> TrackResult``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .result import TrackResult
from .types import Box

__all__ = ["AGREE_IOU", "FilledBox", "fill_between", "merge_frame", "merge_passes", "track_pass"]

AGREE_IOU = 0.5


@dataclass(frozen=True)
class FilledBox:
    box: Box
    score: float
    source: str  # "forward", "backward" or "both" (the weighted mean of agreeing passes)


def track_pass(tracker, read_frame: Callable[[int], np.ndarray], start: int, start_box: Box, stop: int
               ) -> dict[int, TrackResult]:
    """Initialise on ``start`` and track every frame up to ``stop`` inclusive, in either direction."""
    step = 1 if stop >= start else -1
    tracker.initialize(read_frame(start), start_box)
    return {i: tracker.track(read_frame(i)) for i in range(start + step, stop + step, step)}


def merge_frame(frame: int, first: int, last: int, forward: TrackResult, backward: TrackResult,
                agree_iou: float = AGREE_IOU) -> FilledBox:
    """One frame between keyframes ``first`` and ``last`` (either order: ``first`` is where ``forward``
    started): the two passes' boxes merged as the module docstring says."""
    t = (frame - first) / (last - first)  # 0 at the forward pass's keyframe, 1 at the backward one's
    wf = (1.0 - t) * max(forward.score, 1e-3)
    wb = t * max(backward.score, 1e-3)
    if forward.box.iou(backward.box) >= agree_iou:
        k = wb / (wf + wb)
        box = Box(*((1 - k) * p + k * q for p, q in zip(forward.box.as_tuple(), backward.box.as_tuple())))
        return FilledBox(box, (1 - k) * forward.score + k * backward.score, "both")
    if wf >= wb:
        return FilledBox(forward.box, forward.score, "forward")
    return FilledBox(backward.box, backward.score, "backward")


def merge_passes(first: int, last: int, forward: dict[int, TrackResult], backward: dict[int, TrackResult],
                 agree_iou: float = AGREE_IOU) -> dict[int, FilledBox]:
    """Merge a forward pass started on keyframe ``first`` and a backward pass started on ``last`` over the
    frames strictly between them (both passes must cover them)."""
    return {i: merge_frame(i, first, last, forward[i], backward[i], agree_iou)
            for i in range(first + 1, last)}


def fill_between(tracker, read_frame: Callable[[int], np.ndarray], first: int, first_box: Box, last: int,
                 last_box: Box, agree_iou: float = AGREE_IOU) -> dict[int, FilledBox]:
    """Boxes for the frames strictly between keyframes ``first`` < ``last``: forward and backward passes
    with the same tracker (re-initialised for each), merged by ``merge_passes``."""
    if last <= first:
        raise ValueError(f"the second keyframe ({last}) must come after the first ({first})")
    if last - first == 1:
        return {}
    forward = track_pass(tracker, read_frame, first, first_box, last - 1)
    backward = track_pass(tracker, read_frame, last, last_box, first + 1)
    return merge_passes(first, last, forward, backward, agree_iou)
