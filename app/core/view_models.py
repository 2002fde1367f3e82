"""What the views show, computed from the project (Qt-free): the boxes on a frame, the timeline
rows and the object list rows. The window passes these plain values to its widgets."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from tracker.project import Project, Provenance
from tracker.types import Box

from .timeline_model import Span, low_confidence_frames, object_scores, object_spans

__all__ = ["BoxDisplay", "ObjectRow", "TimelineRow", "box_displays", "object_rows", "timeline_rows"]

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

    @property
    def caption(self) -> str:
        text = f"#{self.track_id} {self.label}"
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



def box_displays(project: Project, frame: int, selected: list[int], threshold: float,
                 moved_from: Callable[[int, int], Box | None]) -> list[BoxDisplay]:
    """The boxes stored for ``frame``, one per object that has a box there."""
    out = []
    for tid in sorted(project.objects):
        obj = project.objects[tid]
        entry = obj.entries.get(frame)
        if entry is None or entry.box is None:
            continue
        low = entry.provenance is Provenance.TRACKED and entry.score is not None and entry.score < threshold
        out.append(BoxDisplay(tid, obj.label, obj.color, entry.box, entry.provenance, entry.score,
                              tid in selected, low, moved_from(tid, frame)))
    return out


def timeline_rows(project: Project, frame_count: int, selected: list[int], threshold: float,
                  moved_frames: Callable[[int], list[int]]) -> list[TimelineRow]:
    return [TimelineRow(tid, f"#{tid} {obj.label}", obj.color, object_spans(obj), object_scores(obj, frame_count),
                        low_confidence_frames(obj, threshold), moved_frames(tid), tid in selected)
            for tid, obj in sorted(project.objects.items())]


def object_rows(project: Project, frame: int | None) -> list[ObjectRow]:
    rows = []
    for tid, obj in sorted(project.objects.items()):
        counts: dict[Provenance, int] = {}
        for e in obj.entries.values():
            counts[e.provenance] = counts.get(e.provenance, 0) + 1
        summary = ", ".join(f"{counts[p]} {_NOUNS[p][counts[p] != 1]}" for p in Provenance if p in counts)
        e = obj.entries.get(frame) if frame is not None else None
        here = "-" if e is None else e.provenance.value + (f" {e.score:.2f}" if e.score is not None else "")
        rows.append(ObjectRow(tid, obj.label, obj.color, summary or "no boxes yet", here))
    return rows
