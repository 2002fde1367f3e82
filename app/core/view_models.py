"""What the views show, computed from the project (Qt-free): the boxes on a frame, the timeline
rows and the object list rows. The window passes these plain values to its widgets."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from tracker.project import Project, Provenance, TrackObject
from tracker.types import Box

from .timeline_model import Span, low_confidence_frames, object_scores, object_spans

__all__ = ["BoxDisplay", "ObjectRow", "RowCache", "TimelineRow", "box_displays", "object_rows", "timeline_rows"]

_NOUNS = {Provenance.KEYFRAME: ("keyframe", "keyframes"), Provenance.TRACKED: ("tracked", "tracked"),
          Provenance.INTERPOLATED: ("interpolated", "interpolated"), Provenance.IMPORTED: ("imported", "imported"),
          Provenance.ABSENT: ("absent", "absent")}


@dataclass(frozen=True)
class BoxDisplay:
    """What the view needs to draw one object on the current frame."""

    track_id: int
    label: str
    color: str
    box: Box
    provenance: Provenance
    score: float | None = None
    selected: bool = False
    low_confidence: bool = False
    moved_from: Box | None = None  # the box before the last re-track, when it moved
    locked: bool = False  # the object is locked: the box cannot be moved, resized or deleted

    @property
    def caption(self) -> str:
        text = f"#{self.track_id} {self.label}" + ("  locked" if self.locked else "")
        if self.provenance is Provenance.KEYFRAME:
            text += "  \u25c6"  # diamond: user keyframe
        elif self.provenance is Provenance.INTERPOLATED:
            text += "  interp."
        if self.score is not None:
            text += f"  {self.score:.2f}"
        return text


@dataclass(frozen=True)
class TimelineRow:
    track_id: int
    caption: str
    color: str
    spans: list[Span]
    scores: np.ndarray  # (frame_count,), NaN where no score
    low_frames: list[int] = field(default_factory=list)
    moved_frames: list[int] = field(default_factory=list)
    selected: bool = False


@dataclass(frozen=True)
class ObjectRow:
    track_id: int
    label: str
    color: str
    summary: str  # e.g. "3 keyframes, 120 tracked"
    on_frame: str  # state on the current frame: "keyframe", "tracked 0.82", "absent", "-"
    hidden: bool = False
    locked: bool = False



def box_displays(project: Project, frame: int, selected: list[int], threshold: float,
                 moved_from: Callable[[int, int], Box | None]) -> list[BoxDisplay]:
    """The boxes stored for ``frame``, one per shown (not hidden) object that has a box there."""
    out = []
    for tid in sorted(project.objects):
        obj = project.objects[tid]
        if obj.hidden:
            continue
        entry = obj.entries.get(frame)
        if entry is None or entry.box is None:
            continue
        low = entry.provenance is Provenance.TRACKED and entry.score is not None and entry.score < threshold
        out.append(BoxDisplay(tid, obj.label, obj.color, entry.box, entry.provenance, entry.score,
                              tid in selected, low, moved_from(tid, frame), obj.locked))
    return out


def timeline_rows(project: Project, frame_count: int, selected: list[int], threshold: float,
                  moved_frames: Callable[[int], list[int]], cache: "RowCache | None" = None) -> list[TimelineRow]:
    """One row per object; with a cache, only the objects changed since the last call are recomputed."""
    cache = cache if cache is not None else RowCache()
    rows = []
    for tid, obj in sorted(project.objects.items()):
        spans, scores, low = cache.timeline_parts(obj, frame_count, threshold)
        rows.append(TimelineRow(tid, f"#{tid} {obj.label}", obj.color, spans, scores, low, moved_frames(tid),
                                tid in selected))
    return rows


def _summary(obj: TrackObject) -> str:
    counts: dict[Provenance, int] = {}
    for e in obj.entries.values():
        counts[e.provenance] = counts.get(e.provenance, 0) + 1
    return ", ".join(f"{counts[p]} {_NOUNS[p][counts[p] != 1]}" for p in Provenance if p in counts)


def object_rows(project: Project, frame: int | None, cache: "RowCache | None" = None) -> list[ObjectRow]:
    cache = cache if cache is not None else RowCache()
    rows = []
    for tid, obj in sorted(project.objects.items()):
        summary = cache.summary(obj)
        e = obj.entries.get(frame) if frame is not None else None
        here = "-" if e is None else e.provenance.value + (f" {e.score:.2f}" if e.score is not None else "")
        rows.append(ObjectRow(tid, obj.label, obj.color, summary or "no boxes yet", here, obj.hidden, obj.locked))
    return rows


class RowCache:
    """The per-object parts of the timeline and object rows (whose cost grows with the object's
    boxes), kept until the object changes: a single edit then costs the edited object's rows, not
    the whole project's. The owner calls `invalidate` with the objects a store change touched."""

    def __init__(self):
        self._timeline: dict[int, tuple] = {}
        self._summary: dict[int, str] = {}
        self._key: tuple | None = None
        self.computed = 0  # per-object computations (tests)

    def invalidate(self, track_ids: Iterable[int] | None = None) -> None:
        """Forget the given objects (all when None)."""
        if track_ids is None:
            self._timeline.clear()
            self._summary.clear()
            return
        for tid in track_ids:
            self._timeline.pop(tid, None)
            self._summary.pop(tid, None)

    def timeline_parts(self, obj: TrackObject, frame_count: int, threshold: float) -> tuple:
        if self._key != (frame_count, threshold):
            self._key = (frame_count, threshold)
            self._timeline.clear()
        parts = self._timeline.get(obj.track_id)
        if parts is None:
            self.computed += 1
            parts = (object_spans(obj), object_scores(obj, frame_count), low_confidence_frames(obj, threshold))
            self._timeline[obj.track_id] = parts
        return parts

    def summary(self, obj: TrackObject) -> str:
        text = self._summary.get(obj.track_id)
        if text is None:
            self.computed += 1
            text = self._summary[obj.track_id] = _summary(obj)
        return text
