"""Tracking runs without Qt: what to track (`TrackingJob`, planned from the project on the GUI
thread) and the run over it (`JobRunner`, run in the worker thread, on the shared frame loop
`tracker.sequence.iter_frames`).

The job is an immutable snapshot: the worker never reads the live project, so the GUI can keep
editing other things while a run goes on without locks.

Engine calls, in order: ``initialize`` once per target on the start frame (followed, when the start
box is a user keyframe and the job's correction strategy keeps keyframe slots, by ``reseed`` with that
strategy, which pins it: ``tracker.start_target``; or, when the engine's memory already stands on the
start frame after the previous run, ``reseed(mode=strategy)`` with the user's correction instead),
then ``track_all`` once per frame, and ``reseed(mode=strategy)`` on every user keyframe the run
passes. The strategy is the job's ``correction_strategy`` (the window's setting; its default is
``tracker.DEFAULT_CORRECTION_STRATEGY``).

Two-sided fill (``job.two_sided``, runs to the next keyframe): before the run, each target whose range
ends at a keyframe is tracked backward from that keyframe to the frame after the start (its own
targets on the same engine, the engine's state saved and restored around it with ``snapshot``);
then every forward result is merged with the backward one of its frame (``tracker.fill.merge_frame``:
the pass from the nearer keyframe weighs more, a drifted pass loses). Memory edits apply to the
forward pass only. After each frame (the seed frame
included, unless the run resumes there) the object's memory edits for that frame are applied
(`memory_edits.apply_after_frame`), and what the memory slots then hold is recorded in the
frame's outcome (`SlotRecord`) for the memory views.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from tracker import DEFAULT_CORRECTION_STRATEGY, start_target
from tracker.drift import PauseRule
from tracker.fill import merge_frame
from tracker.project import Project
from tracker.protocols import SnapshotEngine, TrackingEngine
from tracker.result import TrackResult
from tracker.sequence import iter_frames
from tracker.types import Box

from .memory_edits import MemoryEdit, apply_after_frame, edits_at, frozen_at
from .memory_model import SlotRecord

__all__ = [
    "Direction",
    "FrameOutcome",
    "JobRunner",
    "PlanError",
    "RangeMode",
    "StopReason",
    "TargetPlan",
    "TrackerState",
    "TrackingJob",
    "plan_job",
]


class Direction(IntEnum):
    FORWARD = 1
    BACKWARD = -1


class RangeMode(str, Enum):
    TO_END = "end"  # to the last (first) frame of the video
    TO_NEXT_KEYFRAME = "next_keyframe"  # up to, not including, each object's next keyframe
    FRAMES = "frames"  # N frames


class StopReason(str, Enum):
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PAUSED = "paused"  # the auto-pause rule stopped on a target (low confidence or a box jump)


class PlanError(Exception):
    """A run that cannot start; the message says what the user must do."""


@dataclass(frozen=True)
class TargetPlan:
    """One object in a run: its box on the start frame, the last frame it is tracked on
    (inclusive, in the run's direction), the user keyframes inside its range and its memory edits."""

    track_id: int
    start_box: Box
    stop: int
    keyframes: Mapping[int, Box] = field(default_factory=dict)
    memory_edits: tuple[MemoryEdit, ...] = ()
    start_is_keyframe: bool = False  # the start box is the user's, not the tracker's
    end_keyframe: tuple[int, Box] | None = None  # the keyframe right after ``stop`` (runs to the next keyframe)

    def covers(self, frame: int, start: int, direction: int) -> bool:
        return 0 < (frame - start) * direction <= (self.stop - start) * direction


@dataclass(frozen=True)
class TrackingJob:
    video_path: str
    start: int
    direction: Direction
    targets: tuple[TargetPlan, ...]
    pause_below: float | None = None  # auto-pause confidence threshold; None: not on the confidence
    text: str = "Track"
    record: bool = True  # False: a check run (forward/backward comparison) whose boxes are not kept
    correction_strategy: str = DEFAULT_CORRECTION_STRATEGY  # reseed mode for user keyframes
    two_sided: bool = False  # also track back from each target's end keyframe and merge (module docstring)
    pause_jump_above: float | None = None  # auto-pause on a box jump (tracker.drift); None: not on jumps

    @property
    def pause_rule(self) -> PauseRule:
        return PauseRule(self.pause_below, self.pause_jump_above)

    @property
    def stop(self) -> int:
        stops = [t.stop for t in self.targets]
        return max(stops) if self.direction is Direction.FORWARD else min(stops)

    @property
    def total(self) -> int:
        """Frames the run will track (the start frame is the seed, not counted)."""
        return abs(self.stop - self.start)

    @property
    def track_ids(self) -> tuple[int, ...]:
        return tuple(t.track_id for t in self.targets)


def plan_job(project: Project, *, video_path: str, frame_count: int, start: int, direction: Direction,
             track_ids: list[int], mode: RangeMode, n_frames: int = 50, pause_below: float | None = None,
             text: str = "Track", memory_edits: Mapping[int, tuple[MemoryEdit, ...]] | None = None,
             correction_strategy: str = DEFAULT_CORRECTION_STRATEGY, two_sided: bool = False,
             pause_jump_above: float | None = None) -> TrackingJob:
    """Snapshot what a run needs from the project (and the objects' memory edits). Raises
    PlanError with a user-facing reason."""
    if not track_ids:
        raise PlanError("select an object to track (or choose 'all objects')")
    if not 0 <= start < frame_count:
        raise PlanError(f"frame {start} is outside the video (0..{frame_count - 1})")
    d = int(direction)
    limit = frame_count - 1 if d > 0 else 0
    if mode is RangeMode.FRAMES:
        if n_frames < 1:
            raise PlanError("the number of frames to track must be at least 1")
        limit = min(limit, start + n_frames) if d > 0 else max(limit, start - n_frames)
    targets: list[TargetPlan] = []
    problems: list[str] = []
    for tid in track_ids:
        obj = project.objects.get(tid)
        if obj is None:
            raise PlanError(f"object #{tid} no longer exists")
        entry = obj.entries.get(start)
        if entry is None or entry.box is None:
            problems.append(f"#{tid} has no box on frame {start}")
            continue
        stop = limit
        end_keyframe = None
        keyframes: dict[int, Box] = {}
        for f in sorted(obj.entries, reverse=d < 0):
            if (f - start) * d <= 0 or (f - stop) * d > 0:
                continue
            e = obj.entries[f]
            if not e.is_keyframe:
                continue
            if e.box is None or mode is RangeMode.TO_NEXT_KEYFRAME:
                stop = f - d  # stop before an absent mark, or before the next keyframe
                end_keyframe = (f, e.box) if e.box is not None else None
                break
            keyframes[f] = e.box
        if stop != start:
            edits = tuple((memory_edits or {}).get(tid, ()))
            targets.append(TargetPlan(tid, entry.box, stop, keyframes, edits, entry.is_keyframe, end_keyframe))
    if not targets:
        reason = "; ".join(problems) if problems else (
            f"nothing to track {'after' if d > 0 else 'before'} frame {start}")
        raise PlanError(reason)
    return TrackingJob(video_path, start, direction, tuple(targets), pause_below, text,
                       correction_strategy=correction_strategy,
                       two_sided=two_sided and any(t.end_keyframe is not None for t in targets),
                       pause_jump_above=pause_jump_above)


@dataclass(frozen=True)
class FrameOutcome:
    """One tracked frame. ``results`` holds the targets tracked on it; targets re-seeded from a
    user keyframe on it are listed in ``reseeded`` instead. ``image`` is read-only. ``memory``:
    per target (tracked or re-seeded) what its memory slots hold after the frame (empty for
    engines without memory introspection). ``start_memory`` (the run's first outcome only): per
    target seeded from a user keyframe on the run's start frame, its memory after that re-seed."""

    frame: int
    results: Mapping[int, TrackResult]
    reseeded: tuple[int, ...]
    image: np.ndarray
    seconds: float
    low_confidence: tuple[int, ...] = ()  # targets the auto-pause stops on here (low confidence or a jump)
    memory: Mapping[int, SlotRecord] = field(default_factory=dict)
    start_memory: Mapping[int, SlotRecord] = field(default_factory=dict)
    pause_reasons: Mapping[int, str] = field(default_factory=dict)  # why, per target in low_confidence


@dataclass(frozen=True)
class TrackerState:
    """Where the engine's memory stands after a run: the last frame it processed and the box
    it holds for each target there. ``base``: the engine's snapshot on that frame before the
    frame's memory edits were applied (None when it had none), so the window can re-apply a
    changed set of edits there exactly once (see EngineService.resync_memory)."""

    frame: int
    direction: Direction
    boxes: Mapping[int, Box]
    base: Any = None


class JobRunner:
    """Runs one job frame by frame; iterate it to get `FrameOutcome`s.

    The cancel event is checked before and after every frame, so a cancelled run yields no
    further results. After iteration ``reason`` says why it stopped and ``state`` holds the
    engine's position when the memory is still valid for a continuing run (None otherwise).
    """

    def __init__(self, job: TrackingJob, tracker: TrackingEngine, source: Any, cancel: threading.Event,
                 resume: TrackerState | None = None):
        self.job, self.tracker, self.source, self.cancel = job, tracker, source, cancel
        self.resume = resume
        self.reason: StopReason | None = None
        self.state: TrackerState | None = None
        self._base: Any = None  # engine snapshot before the last processed frame's edits
        self.start_memory: dict[int, SlotRecord] = {}  # memory after re-seeding on the start keyframe

    def _can_resume(self) -> bool:
        r = self.resume
        return (r is not None and r.frame == self.job.start and r.direction == self.job.direction
                and all(t in r.boxes and t in self.tracker.target_ids for t in self.job.track_ids))

    def _seed(self, image: np.ndarray) -> dict[int, Box]:
        trk, job = self.tracker, self.job
        start = job.start
        resume = self._can_resume()
        for tid in list(trk.target_ids):
            if not resume or tid not in job.track_ids:
                trk.remove(tid)
        reseeded: set[int] = set()
        for t in job.targets:
            if not resume and t.start_is_keyframe:
                reseeded.add(t.track_id)
                start_target(trk, image, t.start_box, job.correction_strategy, target_id=t.track_id,
                             frame_index=start)
            elif not resume:
                trk.initialize(image, t.start_box, target_id=t.track_id, frame_index=start)
            elif self.resume.boxes[t.track_id] != t.start_box:
                # the user corrected the box where the run stopped: a correction on the resting memory
                trk.reseed(image, t.start_box, mode=job.correction_strategy, target_id=t.track_id,
                           frame_index=start)
                reseeded.add(t.track_id)
        boxes = {t.track_id: t.start_box for t in job.targets}
        d = int(job.direction)
        if resume:
            # the window applied this frame's edits to the resting engine already (EngineService.resync_memory)
            self._base = self.resume.base
            for t in job.targets:
                if t.track_id in reseeded:
                    record = SlotRecord.from_tracker(trk, t.track_id, frozen_at(t.memory_edits, start), d,
                                                     reseeded=True)
                    if record is not None:
                        self.start_memory[t.track_id] = record
        else:
            records = self._apply_edits(start, image, job.targets, boxes, reseeded)
            self.start_memory = {tid: r for tid, r in records.items() if tid in reseeded}
        return boxes

    def _apply_edits(self, frame: int, image: np.ndarray, targets, boxes: Mapping[int, Box],
                     reseeded: Iterable[int] = ()) -> dict[int, SlotRecord]:
        """Apply each target's memory edits for ``frame``; returns what its slots then hold."""
        d = int(self.job.direction)
        trk = self.tracker
        if any(edits_at(t.memory_edits, frame, d) for t in targets):
            self._base = trk.snapshot() if isinstance(trk, SnapshotEngine) else None
        else:
            self._base = None
        records = {}
        for t in targets:
            box = boxes.get(t.track_id)
            applied = apply_after_frame(trk, t.track_id, frame, d, t.memory_edits, image, box)
            record = SlotRecord.from_tracker(trk, t.track_id, frozen_at(t.memory_edits, frame), d, applied,
                                             reseeded=t.track_id in reseeded)
            if record is not None:
                records[t.track_id] = record
        return records

    def _backward_passes(self) -> dict[int, dict[int, TrackResult]]:
        """Per target with an end keyframe: its results tracked back from that keyframe, by frame. The
        engine's targets are set aside (snapshot) and put back afterwards."""
        job, trk = self.job, self.tracker
        d = int(job.direction)
        plans = {t.track_id: t.end_keyframe for t in job.targets if t.end_keyframe is not None}
        if not job.two_sided or not plans:
            return {}
        saved = trk.snapshot() if isinstance(trk, SnapshotEngine) else None
        for tid in list(trk.target_ids):
            trk.remove(tid)
        passes: dict[int, dict[int, TrackResult]] = {tid: {} for tid in plans}
        far = max(f * d for f, _ in plans.values()) * d
        try:
            for frame, image in iter_frames(self.source, far, job.start + d, -d, cancelled=self.cancel.is_set):
                if self.cancel.is_set():
                    break
                if trk.target_ids:
                    for tid, r in trk.track_all(image, frame_index=frame).items():
                        passes[tid][frame] = r
                for tid, (f, box) in plans.items():
                    if f == frame:
                        trk.initialize(image, box, target_id=tid, frame_index=frame)
        finally:
            for tid in list(trk.target_ids):
                trk.remove(tid)
            if saved is not None:
                trk.restore(saved)
        return passes

    def _merged(self, tid: int, frame: int, result: TrackResult, backward: dict[int, dict[int, TrackResult]]
                ) -> TrackResult:
        back = backward.get(tid, {}).get(frame)
        if back is None:
            return result
        plan = next(t for t in self.job.targets if t.track_id == tid)
        merged = merge_frame(frame, self.job.start, plan.end_keyframe[0], result, back)
        return TrackResult(merged.box, merged.score, result.diagnostics)

    def __iter__(self) -> Iterator[FrameOutcome]:
        job, trk = self.job, self.tracker
        d = int(job.direction)
        backward = self._backward_passes()
        if self.cancel.is_set():
            self.reason, self.state = StopReason.CANCELLED, None
            return
        boxes = self._seed(self.source.read(job.start))
        active = {t.track_id: t for t in job.targets}
        self.reason = StopReason.COMPLETED
        last = job.start
        cut_short = []

        def cancelled() -> bool:  # the frame loop stops before the next frame once this is true
            if self.cancel.is_set():
                cut_short.append(True)
            return bool(cut_short)

        rule = job.pause_rule
        for frame, image in iter_frames(self.source, job.start + d, job.stop, d, cancelled=cancelled):
            for tid in [t for t, plan in active.items() if not plan.covers(frame, job.start, d)]:
                trk.remove(tid)  # this object's range ended (its next keyframe or an absent mark)
                del active[tid]
            if not active:
                break
            t0 = time.perf_counter()
            results = trk.track_all(image, frame_index=frame)
            seconds = time.perf_counter() - t0
            reseeded = []
            for tid, plan in active.items():
                box = plan.keyframes.get(frame)
                if box is not None:
                    trk.reseed(image, box, mode=job.correction_strategy, target_id=tid, frame_index=frame)
                    reseeded.append(tid)
                    boxes[tid] = box
            tracked = {tid: self._merged(tid, frame, r, backward) for tid, r in results.items()
                       if tid in active and tid not in reseeded}
            reasons = {tid: why for tid, r in tracked.items()
                       if (why := rule.reason(r.score, boxes.get(tid), r.box)) is not None}
            for tid, r in tracked.items():
                boxes[tid] = r.box
            memory = self._apply_edits(frame, image, list(active.values()), boxes, reseeded)
            if self.cancel.is_set():
                self.reason = StopReason.CANCELLED
                break
            low = tuple(reasons)
            image.flags.writeable = False
            last = frame
            start_memory, self.start_memory = self.start_memory, {}  # on the first outcome only
            yield FrameOutcome(frame, tracked, tuple(reseeded), image, seconds, low, memory, start_memory, reasons)
            if low:
                self.reason = StopReason.PAUSED
                break
        if cut_short:
            self.reason = StopReason.CANCELLED
        if self.reason is StopReason.CANCELLED:
            self.state = None
        else:
            self.state = TrackerState(last, job.direction, {t: boxes[t] for t in active}, self._base)
