"""What the timeline draws for one object, computed from the project (Qt-free).

Runs of consecutive frames with the same provenance become `Span`s; the tracker's scores become
an array (NaN where the frame has no score) for the confidence strip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.project import Provenance, TrackObject

__all__ = ["Span", "object_spans", "object_scores", "low_confidence_frames"]


@dataclass(frozen=True)
class Span:
    start: int
    stop: int  # inclusive
    kind: Provenance


def object_spans(obj: TrackObject) -> list[Span]:
    """Maximal runs of consecutive frames with one provenance (keyframes are single-frame runs so
    each shows as a marker)."""
    spans: list[Span] = []
    for frame in sorted(obj.entries):
        kind = obj.entries[frame].provenance
        last = spans[-1] if spans else None
        if (last is not None and last.kind is kind and last.stop == frame - 1
                and kind is not Provenance.KEYFRAME):
            spans[-1] = Span(last.start, frame, kind)
        else:
            spans.append(Span(frame, frame, kind))
    return spans


def object_scores(obj: TrackObject, frame_count: int) -> np.ndarray:
    """(frame_count,) float32 scores, NaN where the frame has none."""
    scores = np.full(frame_count, np.nan, np.float32)
    for frame, entry in obj.entries.items():
        if entry.score is not None and 0 <= frame < frame_count:
            scores[frame] = entry.score
    return scores


def low_confidence_frames(obj: TrackObject, threshold: float) -> list[int]:
    """Tracked frames whose score is below the threshold (the frames a run flags)."""
    return sorted(f for f, e in obj.entries.items()
                  if e.provenance is Provenance.TRACKED and e.score is not None and e.score < threshold)
