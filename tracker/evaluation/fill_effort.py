"""The keyframe-and-fill annotator (``main.py eval DATASET --protocol fill``): does filling between
keyframes from both ends (``tracker.fill``) save corrections over tracking forward alone?

Per sequence and IoU threshold, the annotator draws the first and the last frame that show the target
(the last one counts as a correction: it is a keyframe drawn by hand), then repeats: fill every span
between two neighbouring keyframes with the tracker, find the span's worst frame (lowest IoU with the
truth; frames whose truth is absent are not judged) and, if it is below the threshold, draw it (one more
correction) and fill the two halves again. It stops when every judged frame is at or above the
threshold. ``forward`` fills a span by tracking from its first keyframe; ``two-sided`` also tracks back
from its last keyframe and merges the passes (``tracker.fill.merge_passes``). The tracker starts afresh
(``initialize``) on each span's keyframes.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..fill import fill_between, track_pass
from .datasets import DatasetError, Sequence
from .effort import EffortEvaluation, EffortRun, judged_frames
from .runner import _read_frame

__all__ = ["FILL_MODES", "fill_effort_evaluate", "fill_effort_sequence"]

FILL_MODES = ("forward", "two-sided")


class _FrameCache:
    """Decoded RGB frames of one sequence, the most recent ``size`` kept (spans are re-read often)."""

    def __init__(self, sequence: Sequence, size: int = 96):
        self.sequence, self.size = sequence, size
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()

    def __call__(self, i: int) -> np.ndarray:
        if i in self._frames:
            self._frames.move_to_end(i)
            return self._frames[i]
        rgb, _ = _read_frame(self.sequence.frames[i])
        self._frames[i] = rgb
        if len(self._frames) > self.size:
            self._frames.popitem(last=False)
        return rgb


def fill_effort_sequence(sequence: Sequence, tracker, threshold: float, mode: str,
                         read: Callable[[int], np.ndarray] | None = None) -> EffortRun:
    """The corrections the keyframe-and-fill annotator makes on one sequence with one fill ``mode``."""
    if mode not in FILL_MODES:
        raise ValueError(f"fill mode must be one of {FILL_MODES}, not {mode!r}")
    gt = sequence.groundtruth
    read = read or _FrameCache(sequence)
    present = [i for i, b in enumerate(gt) if b is not None]
    last = present[-1]
    run = EffortRun(judged=judged_frames(sequence))
    if last == 0:
        return run
    corrections = [last]
    spans = [(0, last)]
    while spans:
        a, b = spans.pop()
        if b - a < 2:
            continue
        if mode == "two-sided":
            boxes = {i: f.box for i, f in fill_between(tracker, read, a, gt[a], b, gt[b]).items()}
        else:
            boxes = {i: r.box for i, r in track_pass(tracker, read, a, gt[a], b - 1).items()}
        judged = [(boxes[i].iou(gt[i]), i) for i in range(a + 1, b) if gt[i] is not None]
        if not judged:
            continue
        worst_iou, worst = min(judged)
        if worst_iou < threshold:
            corrections.append(worst)
            spans.extend([(a, worst), (worst, b)])
    run.corrections = sorted(corrections)
    return run


def fill_effort_evaluate(sequences: list[Sequence], factories: dict[str, Callable[[], object]],
                         thresholds: list[float], progress: bool = False,
                         on_sequence: Callable[[Sequence, dict], None] | None = None) -> EffortEvaluation:
    """Lanes ``<tracker>:forward`` and ``<tracker>:two-sided`` for every tracker ``factories[name]()``
    (built once, re-initialised on every span). ``on_sequence(sequence, {lane: {threshold: EffortRun}})``
    is called as each sequence finishes."""
    names = [f"{n}:{m}" for n in factories for m in FILL_MODES]
    evaluation = EffortEvaluation(names, list(thresholds))
    evaluation.runs = {n: {t: {} for t in thresholds} for n in names}
    trackers = {n: make() for n, make in factories.items()}
    bar = tqdm(sequences, desc="sequences", unit="seq", disable=not progress, dynamic_ncols=True)
    try:
        for seq in bar:
            bar.set_postfix_str(seq.name)
            read = _FrameCache(seq)
            try:
                for name, trk in trackers.items():
                    for mode in FILL_MODES:
                        for t in thresholds:
                            try:
                                run = fill_effort_sequence(seq, trk, t, mode, read)
                            except DatasetError:
                                raise
                            except Exception as e:  # a broken tracker must not stop the others
                                run = EffortRun(judged=judged_frames(seq),
                                                error=f"{name}:{mode} (IoU {t:g}) failed on {seq.name}: {e}")
                                evaluation.problems.append(run.error)
                            evaluation.runs[f"{name}:{mode}"][t][seq.name] = run
            except DatasetError as e:
                evaluation.problems.append(str(e))
                for lane in evaluation.runs.values():
                    for per_seq in lane.values():
                        per_seq.pop(seq.name, None)
                continue
            evaluation.sequences.append(seq)
            if on_sequence is not None:
                on_sequence(seq, {lane: {t: runs[seq.name] for t, runs in per_t.items()}
                                  for lane, per_t in evaluation.runs.items()})
    finally:
        bar.close()
    return evaluation
