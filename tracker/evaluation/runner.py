"""Run several trackers over benchmark sequences, decoding each frame once and feeding every tracker.

One-pass evaluation (OPE, the default): each tracker is initialised from the ground truth of frame 1 and
tracks to the end. Its output on frame 1 is that ground-truth box (OTB convention, see metrics.py).

Restart on failure (``restart=True``, as VOT): after a tracked frame whose IoU with the ground truth is 0
(frames without ground truth never fail), the failure is counted, the next ``RESTART_DELAY - 1`` frames get
no prediction (they score IoU 0 and an infinite centre error, so the accuracy numbers carry the cost of a
failure), and the tracker is re-initialised from the ground truth ``RESTART_DELAY`` frames after the
failure (or at the first later frame that has a ground-truth box); on that frame its output is the
ground-truth box, as on frame 1.

Timing covers the tracker calls only: the frame is read and converted before the clock starts. A tracker
object may offer ``prepare()`` (done untimed before each initialize) and ``initialize_bgr`` / ``track_bgr``
(then it gets the decoded BGR frame, otherwise RGB).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np
from tqdm import tqdm

from ..protocols import BgrTracker, SingleTracker
from ..sequence import iter_frames
from ..types import Box
from .datasets import DatasetError, Sequence
from .metrics import SequenceMetrics, mean_metrics, sequence_metrics

__all__ = [
    "RESTART_DELAY",
    "SingleTracker",
    "TrackerRun",
    "SequenceResult",
    "Evaluation",
    "run_sequence",
    "evaluate",
]

RESTART_DELAY = 5


@dataclass
class TrackerRun:
    """One tracker on one sequence: a box per frame (None = no prediction), its time and failures."""

    boxes: list[Box | None] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0
    failures: int | None = None
    error: str | None = None  # set when the tracker raised; the sequence is then not scored for it


@dataclass(frozen=True)
class SequenceResult:
    sequence: Sequence
    runs: dict[str, TrackerRun]
    metrics: dict[str, SequenceMetrics]  # only trackers that ran the whole sequence


@dataclass
class Evaluation:
    """Everything one run produced, in tracker and sequence order."""

    trackers: list[str]
    restart: bool
    results: list[SequenceResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # dataset and tracker errors, one line each

    def metrics(self, tracker: str) -> dict[str, SequenceMetrics]:
        """Per-sequence metrics of one tracker (sequences where it failed are left out)."""
        return {r.sequence.name: r.metrics[tracker] for r in self.results if tracker in r.metrics}

    def mean(self, tracker: str) -> SequenceMetrics | None:
        per_seq = list(self.metrics(tracker).values())
        return mean_metrics(per_seq) if per_seq else None


class _Lane:
    """The per-tracker state while a sequence plays."""

    def __init__(self, name: str, tracker: SingleTracker, restart: bool):
        self.name = name
        self.tracker = tracker
        self.bgr = isinstance(tracker, BgrTracker)
        self.run = TrackerRun(failures=0 if restart else None)
        self.reinit_at: int | None = None

    def initialize(self, rgb: np.ndarray, bgr: np.ndarray, box: Box) -> None:
        prepare = getattr(self.tracker, "prepare", None)
        if prepare is not None:
            prepare()
        t0 = time.perf_counter()
        if self.bgr:
            self.tracker.initialize_bgr(bgr, box)
        else:
            self.tracker.initialize(rgb, box)
        self.run.seconds += time.perf_counter() - t0
        self.run.calls += 1

    def track(self, rgb: np.ndarray, bgr: np.ndarray) -> Box:
        t0 = time.perf_counter()
        result = self.tracker.track_bgr(bgr) if self.bgr else self.tracker.track(rgb)
        self.run.seconds += time.perf_counter() - t0
        self.run.calls += 1
        return result.box


class ImageFiles:
    """A sequence's image files as a frame reader for the shared frame loop: (RGB, BGR) per frame."""

    def __init__(self, paths):
        self.paths = paths

    def read(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        return _read_frame(self.paths[index])


def _read_frame(path) -> tuple[np.ndarray, np.ndarray]:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise DatasetError(f"{path}: cannot decode image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), bgr


def _step(lane: _Lane, i: int, gt: Box | None, rgb: np.ndarray, bgr: np.ndarray, restart: bool) -> None:
    boxes = lane.run.boxes
    if i == 0 or (lane.reinit_at is not None and i >= lane.reinit_at and gt is not None):
        assert gt is not None  # frame 0 always has a box (datasets.py checks)
        lane.initialize(rgb, bgr, gt)
        lane.reinit_at = None
        boxes.append(gt)
    elif lane.reinit_at is not None:
        boxes.append(None)  # waiting to re-initialise after a failure
    else:
        box = lane.track(rgb, bgr)
        boxes.append(box)
        if restart and gt is not None and box.iou(gt) == 0.0:
            lane.run.failures += 1
            lane.reinit_at = i + RESTART_DELAY


def run_sequence(
    sequence: Sequence,
    trackers: dict[str, SingleTracker],
    restart: bool = False,
    progress: bool = False,
) -> SequenceResult:
    """Play one sequence to every tracker (each frame decoded once) and score them.

    A tracker that raises is recorded with ``error`` (naming the sequence and frame) and padded with
    ``None`` boxes; the others go on. Raises DatasetError when a frame image cannot be decoded.
    """
    lanes = [_Lane(name, t, restart) for name, t in trackers.items()]
    n = len(sequence.frames)
    frames = tqdm(total=n, desc=sequence.name, unit="frame", leave=False, disable=not progress, dynamic_ncols=True)
    try:
        for i, (rgb, bgr) in iter_frames(ImageFiles(sequence.frames), 0, n - 1):
            frames.update(1)
            gt = sequence.groundtruth[i]
            for lane in lanes:
                if lane.run.error is not None:
                    lane.run.boxes.append(None)
                    continue
                try:
                    _step(lane, i, gt, rgb, bgr, restart)
                except Exception as e:  # a broken tracker must not stop the others
                    lane.run.error = f"{lane.name} failed on {sequence.name} frame {i + 1}: {e}"
                    del lane.run.boxes[i:]
                    lane.run.boxes.append(None)
    finally:
        frames.close()
    metrics = {}
    for lane in lanes:
        if lane.run.error is None:
            metrics[lane.name] = sequence_metrics(
                lane.run.boxes, sequence.groundtruth, lane.run.seconds, lane.run.calls, lane.run.failures
            )
    return SequenceResult(sequence, {lane.name: lane.run for lane in lanes}, metrics)


def evaluate(
    sequences: list[Sequence],
    trackers: dict[str, SingleTracker],
    restart: bool = False,
    progress: bool = False,
    on_sequence: Callable[[SequenceResult], None] | None = None,
) -> Evaluation:
    """Run every tracker on every sequence. ``on_sequence`` is called as each sequence finishes (the CLI
    writes its per-sequence files there, so an interrupted run keeps the finished ones). A sequence whose
    frames cannot be decoded is reported in ``problems`` and skipped; KeyboardInterrupt propagates."""
    evaluation = Evaluation(list(trackers), restart)
    bar = tqdm(sequences, desc="sequences", unit="seq", disable=not progress, dynamic_ncols=True)
    try:
        for seq in bar:
            bar.set_postfix_str(seq.name)
            try:
                result = run_sequence(seq, trackers, restart, progress)
            except DatasetError as e:
                evaluation.problems.append(str(e))
                continue
            evaluation.problems.extend(r.error for r in result.runs.values() if r.error)
            evaluation.results.append(result)
            if on_sequence is not None:
                on_sequence(result)
    finally:
        bar.close()
    return evaluation
