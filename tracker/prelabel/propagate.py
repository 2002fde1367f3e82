"""Propagate every object of a project from its keyframes with the engine, the way the window does.

For each object, its anchors are the boxes a person (or another tool) gave: entries the project marks
as keyframes, imported boxes, and absent marks. Tracked and interpolated boxes are recomputed. Every
run of consecutive box anchors (up to an absent mark, or to the end of the video) is one segment:

- forward, the tracker starts on the segment's first keyframe (``start_target``) and passes every
  later keyframe as a correction with the correction strategy (``reseed``), keeping its memory;
- between two keyframes, with ``two_sided``, the span is also tracked backward from the later one
  (a fresh ``initialize``) and each frame's two boxes are merged (``tracker.fill.merge_frame``: the
  pass from the nearer keyframe weighs more, a drifted pass loses);
- after the last keyframe the forward pass runs on alone, to the frame before an absent mark or to
  the end of the video.

Frames before an object's first keyframe, and between an absent mark and the next keyframe, get no
box. Deterministic: the same project, video and weights give the same boxes.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..correction import DEFAULT_CORRECTION_STRATEGY, start_target, strategy
from ..fill import merge_frame
from ..project import BoxEntry, Project, Provenance, TrackObject
from ..result import TrackResult
from ..types import Box, BoxError

__all__ = ["PropagationSettings", "ReverseReader", "anchors", "propagate_object", "propagate_project"]

_ANCHORS = (Provenance.KEYFRAME, Provenance.IMPORTED, Provenance.ABSENT)
_TARGET = 0


@dataclass(frozen=True)
class PropagationSettings:
    correction_strategy: str = DEFAULT_CORRECTION_STRATEGY
    two_sided: bool = True

    def __post_init__(self) -> None:
        strategy(self.correction_strategy)  # ValueError naming the known strategies


class ReverseReader:
    """``read(i)`` for a pass that walks backward: frames are decoded in forward blocks ending at the
    asked frame (one seek per block instead of one per frame) and handed out from memory."""

    def __init__(self, source, block_bytes: int = 64 << 20):
        self.source = source
        self.block = max(1, min(64, block_bytes // max(1, source.width * source.height * 3)))
        self._frames: dict[int, np.ndarray] = {}

    def __call__(self, index: int) -> np.ndarray:
        if index not in self._frames:
            low = max(0, index - self.block + 1)
            self._frames = {i: self.source.read(i) for i in range(low, index + 1)}
        return self._frames[index]


def anchors(obj: TrackObject) -> list[tuple[int, Box | None]]:
    """The object's anchors in frame order: (frame, box), box None for an absent mark."""
    return [(f, obj.entries[f].box) for f in sorted(obj.entries) if obj.entries[f].provenance in _ANCHORS]


def _segments(points: list[tuple[int, Box | None]], frame_count: int) -> list[tuple[list[tuple[int, Box]], int]]:
    """Runs of consecutive box anchors with the last frame each run is tracked to (inclusive)."""
    out: list[tuple[list[tuple[int, Box]], int]] = []
    run: list[tuple[int, Box]] = []
    for frame, box in points:
        if box is None:
            if run:
                out.append((run, frame - 1))
            run = []
        else:
            run.append((frame, box))
    if run:
        out.append((run, frame_count - 1))
    return out


@contextlib.contextmanager
def _keyframe(obj: TrackObject, frame: int) -> Iterator[None]:
    """The engine's refusal of a keyframe box (too small, outside the frame) as a ValueError naming it."""
    try:
        yield
    except BoxError as e:
        raise ValueError(f"object #{obj.track_id} ({obj.label}), keyframe on frame {frame}: {e}") from None


def _backward(tracker, read_back: Callable[[int], np.ndarray], keys: list[tuple[int, Box]], obj: TrackObject
              ) -> dict[int, tuple[int, int, TrackResult]]:
    """Per frame strictly inside a span of two keyframes: (first, last, result of the backward pass)."""
    out = {}
    for (first, _), (last, box) in zip(keys, keys[1:]):
        if last - first < 2:
            continue
        with _keyframe(obj, last):
            tracker.initialize(read_back(last), box, target_id=_TARGET, frame_index=last)
        for i in range(last - 1, first, -1):
            out[i] = (first, last, tracker.track_all(read_back(i), frame_index=i)[_TARGET])
    return out


def propagate_object(tracker, source, obj: TrackObject, settings: PropagationSettings,
                     frame_count: int | None = None) -> dict[int, BoxEntry]:
    """The tracked entries of one object (its anchors excluded), by frame. ``tracker`` is a MemTracker
    (its targets are replaced); ``source`` a FrameSource. Raises ValueError naming the object and frame
    when a keyframe box is one the tracker cannot start from."""
    n = len(source) if frame_count is None else min(frame_count, len(source))
    points = [(f, b) for f, b in anchors(obj) if f < n]
    tracked: dict[int, BoxEntry] = {}
    read_back = ReverseReader(source)
    mode = settings.correction_strategy
    for keys, stop in _segments(points, n):
        _remove_all(tracker)
        backward = _backward(tracker, read_back, keys, obj) if settings.two_sided else {}
        _remove_all(tracker)
        boxes = dict(keys)
        start = keys[0][0]
        with _keyframe(obj, start):
            start_target(tracker, source.read(start), keys[0][1], mode, target_id=_TARGET, frame_index=start)
        for frame in range(start + 1, stop + 1):
            image = source.read(frame)
            result = tracker.track_all(image, frame_index=frame)[_TARGET]
            if frame in boxes:
                with _keyframe(obj, frame):
                    tracker.reseed(image, boxes[frame], mode=mode, target_id=_TARGET, frame_index=frame)
                continue
            if frame in backward:
                first, last, back = backward[frame]
                merged = merge_frame(frame, first, last, result, back)
                result = TrackResult(merged.box, merged.score)
            tracked[frame] = BoxEntry(result.box, Provenance.TRACKED, result.score)
    _remove_all(tracker)
    return tracked


def _remove_all(tracker) -> None:
    for tid in list(tracker.target_ids):
        tracker.remove(tid)


def propagate_project(tracker, source, project: Project, settings: PropagationSettings,
                      progress: Callable[[int], None] | None = None) -> tuple[Project, int]:
    """A copy of ``project`` whose objects keep their anchors and get tracked boxes everywhere the
    module docstring says; returns it with the number of frames tracked (all objects together).
    ``progress(frames)`` is called after each object."""
    out = Project(video=project.video, labels=list(project.labels))
    total = 0
    for track_id in sorted(project.objects):
        obj = project.objects[track_id]
        kept = {f: e for f, e in obj.entries.items() if e.provenance in _ANCHORS}
        tracked = propagate_object(tracker, source, TrackObject(obj.track_id, obj.label, obj.color, kept),
                                   settings, project.video.frame_count or None)
        entries = {**kept, **tracked}
        out.objects[track_id] = TrackObject(obj.track_id, obj.label, obj.color, dict(sorted(entries.items())))
        total += len(tracked)
        if progress is not None:
            progress(len(tracked))
    return out, total
