"""The review queue: which tracked frames a person should look at first (Qt-free).

Four signals per tracked frame, each with a threshold beyond which the frame is flagged:

- low confidence: the tracker's score below ``confidence`` (the window's confidence threshold);
- a large box jump: the centre moved by more than ``jump`` box sizes (sqrt of the previous box's
  area) since the previous frame with a box, plus |log| of the area ratio;
- spread-out attention: the attention map's entropy, as a fraction of the entropy of a uniform
  map (1.0 = attends everywhere), above ``entropy`` and at least ``entropy_margin`` above the
  object's median (a tracker whose attention is flat everywhere, e.g. an untrained memory network,
  says nothing about any one frame, so it flags none);
- forward/backward disagreement: after a backward check run (tracking back from a later keyframe),
  the IoU between the forward box and the backward box on the frame below ``fb_iou``.

A flagged signal contributes ``0.5 + 0.5 * min(1, excess)`` to the frame's priority, where the
excess is how far beyond its threshold the value is, relative to the threshold's range; frames with
several problems therefore rank above frames with one, and within one kind the worse ranks first.
Ties go to the earlier frame.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from tracker.project import Project, Provenance
from tracker.types import Box

from .diagnostics_store import DiagnosticsStore, attention_entropy

__all__ = ["FrameSignals", "ReviewItem", "ReviewThresholds", "attention_entropy", "box_jump",
           "collect_signals", "next_item", "rank"]


@dataclass(frozen=True)
class ReviewThresholds:
    confidence: float = 0.3
    jump: float = 0.5
    entropy: float = 0.95
    entropy_margin: float = 0.02
    fb_iou: float = 0.5


@dataclass(frozen=True)
class FrameSignals:
    """The signals of one object on one tracked frame (None: not available)."""

    track_id: int
    frame: int
    confidence: float | None = None
    jump: float | None = None
    entropy: float | None = None
    fb_iou: float | None = None


@dataclass(frozen=True)
class ReviewItem:
    track_id: int
    frame: int
    priority: float
    reasons: tuple[str, ...]


def box_jump(previous: Box, current: Box) -> float:
    """Centre displacement in units of the previous box's size, plus |log area ratio|."""
    (px, py), (cx, cy) = previous.center, current.center
    size = math.sqrt(previous.area)
    return math.hypot(cx - px, cy - py) / size + abs(math.log(current.area / previous.area))


def collect_signals(project: Project, diagnostics: DiagnosticsStore,
                    backward: Mapping[int, Mapping[int, Box]],
                    track_ids: Iterable[int] | None = None) -> list[FrameSignals]:
    """Signals for every tracked frame of the objects (all objects when ``track_ids`` is None).

    ``backward``: per object, the boxes a backward check run found, by frame.
    """
    out = []
    ids = sorted(project.objects) if track_ids is None else list(track_ids)
    for tid in ids:
        obj = project.objects.get(tid)
        if obj is None:
            continue
        back = backward.get(tid, {})
        previous: Box | None = None
        previous_frame: int | None = None
        for f in sorted(obj.entries):
            e = obj.entries[f]
            if e.box is None:
                previous = None
                continue
            if e.provenance is Provenance.TRACKED:
                jump = box_jump(previous, e.box) if previous is not None and previous_frame == f - 1 else None
                b = back.get(f)
                out.append(FrameSignals(tid, f, e.score, jump, diagnostics.attention_entropy(tid, f),
                                        e.box.iou(b) if b is not None else None))
            previous, previous_frame = e.box, f
    return out


def _badness(excess: float) -> float:
    return 0.5 + 0.5 * min(1.0, max(0.0, excess))


def rank(signals: Iterable[FrameSignals],
         thresholds: ReviewThresholds = ReviewThresholds()) -> list[ReviewItem]:
    """The flagged frames, most suspicious first."""
    t = thresholds
    signals = list(signals)
    entropies: dict[int, list[float]] = {}
    for s in signals:
        if s.entropy is not None:
            entropies.setdefault(s.track_id, []).append(s.entropy)
    entropy_limit = {tid: max(t.entropy, float(np.median(v)) + t.entropy_margin)
                     for tid, v in entropies.items()}
    items = []
    for s in signals:
        priority = 0.0
        reasons = []
        if s.confidence is not None and s.confidence < t.confidence:
            priority += _badness((t.confidence - s.confidence) / max(t.confidence, 1e-6))
            reasons.append(f"confidence {s.confidence:.2f}")
        if s.jump is not None and s.jump > t.jump:
            priority += _badness((s.jump - t.jump) / max(t.jump, 1e-6))
            reasons.append(f"box jump {s.jump:.2f} box sizes")
        limit = entropy_limit.get(s.track_id, t.entropy)
        if s.entropy is not None and s.entropy > limit:
            priority += _badness((s.entropy - limit) / max(1.0 - limit, 1e-6))
            reasons.append(f"attention spread {s.entropy:.3f}")
        if s.fb_iou is not None and s.fb_iou < t.fb_iou:
            priority += _badness((t.fb_iou - s.fb_iou) / max(t.fb_iou, 1e-6))
            reasons.append(f"forward/backward IoU {s.fb_iou:.2f}")
        if reasons:
            items.append(ReviewItem(s.track_id, s.frame, round(priority, 6), tuple(reasons)))
    items.sort(key=lambda i: (-i.priority, i.frame, i.track_id))
    return items


def next_item(queue: list[ReviewItem], current: tuple[int, int] | None) -> ReviewItem | None:
    """The item after ``current`` (track id, frame) in queue order, wrapping; the first when
    ``current`` is not in the queue."""
    if not queue:
        return None
    keys = [(i.track_id, i.frame) for i in queue]
    if current in keys:
        return queue[(keys.index(current) + 1) % len(queue)]
    return queue[0]
