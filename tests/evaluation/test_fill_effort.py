"""The keyframe-and-fill annotator (tracker.evaluation.fill_effort) with trackers whose answers are known."""
from __future__ import annotations

import numpy as np

from tests.evaluation.conftest import write_otb
from tracker.evaluation import load_dataset
from tracker.evaluation.fill_effort import fill_effort_evaluate, fill_effort_sequence
from tracker.result import TrackResult
from tracker.types import Box


class DriftingTracker:
    """Slides 1 px further right on every frame it tracks (in either direction), less sure each time."""

    def __init__(self):
        self.box, self.steps = None, 0

    def initialize(self, frame, box):
        self.box, self.steps = box, 0

    def track(self, frame):
        self.steps += 1
        self.box = Box(self.box.x + 1.0, self.box.y, self.box.w, self.box.h)
        return TrackResult(self.box, 1.0 / (1.0 + 0.1 * self.steps))


def _still_target(tmp_path, n=21):
    frames = [np.zeros((60, 100, 3), np.uint8) for _ in range(n)]
    boxes = [(20.0, 10.0, 40.0, 40.0)] * n
    write_otb(tmp_path, "Still", frames, boxes)
    sequences, _ = load_dataset(tmp_path)
    return sequences[0]


def test_keyframe_and_fill_counts_by_hand(tmp_path):
    # a still 40 px box, the tracker drifting 1 px a frame: IoU (40 - d) / (40 + d) >= 0.5 up to d = 13.
    seq = _still_target(tmp_path)
    forward = fill_effort_sequence(seq, DriftingTracker(), 0.5, "forward")
    two_sided = fill_effort_sequence(seq, DriftingTracker(), 0.5, "two-sided")
    assert forward.judged == two_sided.judged == 20
    # forward: the last frame is drawn; span 0..20's worst is 19 (19 px off), then 0..19's is 18, ...,
    # until span 0..14 whose worst is 13 px off: frames 14 to 20
    assert forward.corrections == list(range(14, 21))
    # two-sided: each frame is at most 10 px from the nearer keyframe's pass (the passes agree in the
    # middle and are averaged towards the nearer one): only the last frame
    assert two_sided.corrections == [20]


def test_fill_lanes_and_an_oracle_like_still_tracker(tmp_path):
    seq = _still_target(tmp_path, n=9)

    class Still(DriftingTracker):
        def track(self, frame):
            return TrackResult(self.box, 1.0)

    ev = fill_effort_evaluate([seq], {"still": Still}, [0.5, 0.9])
    assert ev.trackers == ["still:forward", "still:two-sided"]
    for lane in ev.trackers:
        for t in (0.5, 0.9):
            assert ev.runs[lane][t]["Still"].corrections == [8]  # only the last frame, drawn by hand
    assert ev.pooled("still:forward", 0.5) == (1, 8)
