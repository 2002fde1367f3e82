"""The annotation-effort benchmark: a simulated annotator corrects a tracker wherever it is wrong.

Protocol (``main.py eval DATASET --protocol correct --iou 0.5,0.7``), per sequence and IoU threshold:

1. The annotator draws frame 1 from the ground truth (not counted as a correction) and the tracker starts.
2. On every later frame the tracker proposes a box. If the truth marks the target absent, the frame is not
   judged (nothing to compare with; the tracker keeps running and is judged again once the target is back).
   Otherwise, when the proposal's IoU with the truth is below the threshold, the annotator replaces it with
   the truth: one correction, and the tracker is told (MemTrack: ``reseed`` with the strategy under test;
   OpenCV trackers: re-created on the box, as they have no way to take a correction).
3. Effort = corrections per 100 judged frames (frames after the first whose truth has a box). Over several
   sequences, the pooled rate (all corrections / all judged frames) is reported, and per sequence.

``interp`` is the same annotator without a tracker: the fewest keyframes for which linear interpolation
alone keeps every judged frame at or above the threshold (``keyframes.py``, exact), each keyframe after
the first counted as one correction.

Every MemTrack lane also records each judged frame's confidence, box jump (``tracker.drift``) and IoU
before correction, from which ``pause.py`` calibrates the auto-pause rule. The frames of a sequence are decoded once and handed to
every lane (tracker x threshold), as in ``runner.py``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np
from tqdm import tqdm

from ..drift import box_jump
from ..protocols import BgrTracker
from ..result import TrackResult
from ..types import Box
from .datasets import DatasetError, Sequence
from .keyframes import interpolation_keyframes
from ..sequence import iter_frames
from .runner import ImageFiles

__all__ = [
    "INTERP",
    "EffortEvaluation",
    "EffortRun",
    "MemTrackCorrector",
    "PAUSE_SIGNALS",
    "Propagator",
    "RestartCorrector",
    "effort_evaluate",
    "effort_sequence",
    "pause_signals",
    "per_100",
]

INTERP = "interp"  # the lane name of keyframes with linear interpolation alone


class Propagator(Protocol):
    """A tracker under the simulated annotator."""

    def start(self, rgb: np.ndarray, bgr: np.ndarray, box: Box) -> None: ...

    def propose(self, rgb: np.ndarray, bgr: np.ndarray, index: int) -> TrackResult: ...

    def correct(self, rgb: np.ndarray, bgr: np.ndarray, box: Box, index: int) -> None: ...


class MemTrackCorrector:
    """MemTrack taking each correction with ``reseed(mode=strategy)``; the first box starts the target
    the way that strategy treats user boxes (``tracker.correction.start_target``)."""

    def __init__(self, tracker, strategy: str):
        from ..correction import strategy as lookup

        lookup(strategy)  # an unknown name fails here, not on the first correction
        self.tracker = tracker
        self.strategy = strategy

    def start(self, rgb, bgr, box):
        from ..correction import start_target

        for tid in list(self.tracker.target_ids):
            self.tracker.remove(tid)
        start_target(self.tracker, rgb, box, self.strategy, target_id=0, frame_index=0)

    def propose(self, rgb, bgr, index):
        return self.tracker.track(rgb, frame_index=index)

    def correct(self, rgb, bgr, box, index):
        self.tracker.reseed(rgb, box, mode=self.strategy, target_id=0, frame_index=index)


class RestartCorrector:
    """Any single-target tracker (``initialize``/``track``, e.g. the OpenCV baselines, which build a fresh
    OpenCV object at each ``initialize``): a correction re-initialises it on the box."""

    def __init__(self, tracker):
        self.tracker = tracker
        self.bgr = isinstance(tracker, BgrTracker)

    def start(self, rgb, bgr, box):
        prepare = getattr(self.tracker, "prepare", None)
        if prepare is not None:
            prepare()
        if self.bgr:
            self.tracker.initialize_bgr(bgr, box)
        else:
            self.tracker.initialize(rgb, box)

    def propose(self, rgb, bgr, index):
        return self.tracker.track_bgr(bgr) if self.bgr else self.tracker.track(rgb)

    def correct(self, rgb, bgr, box, index):
        self.start(rgb, bgr, box)


@dataclass
class EffortRun:
    """One lane (tracker at one IoU threshold) on one sequence."""

    corrections: list[int] = field(default_factory=list)  # frame indices the annotator corrected
    judged: int = 0  # frames after the first with a ground-truth box
    scores: list[float] = field(default_factory=list)  # per judged frame: the proposal's confidence
    ious: list[float] = field(default_factory=list)  # per judged frame: the proposal's IoU, before correction
    # per judged frame, when the tracker reports diagnostics: other candidate pause signals (``PAUSE_SIGNALS``)
    signals: dict[str, list[float]] = field(default_factory=dict)
    # per judged frame: how far the proposal's centre moved from the box before it, in box sizes
    # (tracker.drift.box_jump; the box before is the previous proposal, or the annotator's box)
    jumps: list[float] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    previous: Box | None = field(default=None, repr=False)  # the lane's box on the frame before

    @property
    def count(self) -> int:
        return len(self.corrections)

    @property
    def rate(self) -> float:
        return per_100(self.count, self.judged)


PAUSE_SIGNALS = {
    "remember": "1 - the controller's no-write gate g_w: low when the tracker declines to store the frame",
    "attention": "the attention map's peak mass: low when the attention finds nothing to look at",
}


def pause_signals(diagnostics) -> dict[str, float]:
    """Candidate drift signals from one step's diagnostics, each in [0, 1] and low when the frame looks bad
    (the same direction as the confidence, so "pause when below t" reads the same for all)."""
    return {"remember": float(1.0 - diagnostics.gates[0]), "attention": float(np.max(diagnostics.attention))}


def per_100(corrections: int, judged: int) -> float:
    return 100.0 * corrections / judged if judged else float("nan")


def judged_frames(sequence: Sequence) -> int:
    return sum(1 for b in sequence.groundtruth[1:] if b is not None)


@dataclass
class EffortEvaluation:
    """Everything a run produced: ``runs[tracker][threshold][sequence name]``."""

    trackers: list[str]
    thresholds: list[float]
    sequences: list[Sequence] = field(default_factory=list)
    runs: dict[str, dict[float, dict[str, EffortRun]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def pooled(self, tracker: str, threshold: float) -> tuple[int, int]:
        """(corrections, judged frames) summed over the sequences the tracker finished."""
        runs = [r for r in self.runs.get(tracker, {}).get(threshold, {}).values() if r.error is None]
        return sum(r.count for r in runs), sum(r.judged for r in runs)

    def rate(self, tracker: str, threshold: float) -> float:
        return per_100(*self.pooled(tracker, threshold))


def _interp_run(sequence: Sequence, threshold: float) -> EffortRun:
    keys = interpolation_keyframes(sequence.groundtruth, threshold)
    return EffortRun(corrections=keys[1:], judged=judged_frames(sequence))


def effort_sequence(sequence: Sequence, lanes: dict[tuple[str, float], Propagator],
                    interp_thresholds: tuple[float, ...] = (), progress: bool = False
                    ) -> dict[tuple[str, float], EffortRun]:
    """Play one sequence to every lane ``(tracker name, IoU threshold) -> propagator``, each frame
    decoded once. A lane that raises is recorded with ``error`` and dropped for the rest of the sequence."""
    runs = {key: EffortRun() for key in lanes}
    n = len(sequence.frames)
    frames = tqdm(total=n, desc=sequence.name, unit="frame", leave=False, disable=not progress, dynamic_ncols=True)
    try:
        for i, (rgb, bgr) in iter_frames(ImageFiles(sequence.frames), 0, n - 1):  # the shared frame loop
            frames.update(1)
            gt = sequence.groundtruth[i]
            for (name, threshold), lane in lanes.items():
                run = runs[(name, threshold)]
                if run.error is not None:
                    continue
                t0 = time.perf_counter()
                try:
                    _lane_step(lane, run, i, gt, rgb, bgr, threshold)
                except Exception as e:  # a broken tracker must not stop the others
                    run.error = f"{name} (IoU {threshold:g}) failed on {sequence.name} frame {i + 1}: {e}"
                run.seconds += time.perf_counter() - t0
    finally:
        frames.close()
    for threshold in interp_thresholds:
        runs[(INTERP, threshold)] = _interp_run(sequence, threshold)
    return runs


def _lane_step(lane: Propagator, run: EffortRun, i: int, gt: Box | None, rgb, bgr, threshold: float) -> None:
    if i == 0:
        assert gt is not None  # datasets.py guarantees a box on the first frame
        lane.start(rgb, bgr, gt)
        run.previous = gt
        return
    result = lane.propose(rgb, bgr, i)
    previous, run.previous = run.previous, result.box
    if gt is None:
        return  # target absent: nothing to judge against
    iou = result.box.iou(gt)
    run.judged += 1
    run.scores.append(float(result.score))
    run.ious.append(float(iou))
    run.jumps.append(box_jump(previous, result.box) if previous is not None else 0.0)
    if result.diagnostics is not None:
        for name, value in pause_signals(result.diagnostics).items():
            run.signals.setdefault(name, []).append(value)
    if iou < threshold:
        run.corrections.append(i)
        lane.correct(rgb, bgr, gt, i)
        run.previous = gt


def effort_evaluate(sequences: list[Sequence], factories: dict[str, Callable[[], Propagator]],
                    thresholds: list[float], interp: bool = True, progress: bool = False,
                    on_sequence: Callable[[Sequence], None] | None = None) -> EffortEvaluation:
    """Run the annotator over every sequence for every tracker ``factories[name]()`` (one propagator built
    per tracker and threshold, reused across sequences) and, with ``interp``, interpolation alone."""
    for t in thresholds:
        if not 0.0 < t <= 1.0:
            raise ValueError(f"IoU threshold {t:g} must be in (0, 1]")
    names = list(factories) + ([INTERP] if interp else [])
    evaluation = EffortEvaluation(names, list(thresholds))
    evaluation.runs = {n: {t: {} for t in thresholds} for n in names}
    lanes = {(name, t): make() for name, make in factories.items() for t in thresholds}
    bar = tqdm(sequences, desc="sequences", unit="seq", disable=not progress, dynamic_ncols=True)
    try:
        for seq in bar:
            bar.set_postfix_str(seq.name)
            try:
                runs = effort_sequence(seq, lanes, tuple(thresholds) if interp else (), progress)
            except DatasetError as e:
                evaluation.problems.append(str(e))
                continue
            for (name, t), run in runs.items():
                evaluation.runs[name][t][seq.name] = run
                if run.error:
                    evaluation.problems.append(run.error)
            evaluation.sequences.append(seq)
            if on_sequence is not None:
                on_sequence(seq)
    finally:
        bar.close()
    return evaluation
