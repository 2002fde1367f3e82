"""Two-sided fill between keyframes (tracker.fill) on a tracker whose drift is known."""
from __future__ import annotations

import numpy as np
import pytest

from tracker.fill import fill_between, merge_passes
from tracker.result import TrackResult
from tracker.types import Box

TRUTH = Box(40.0, 30.0, 20.0, 20.0)  # the target does not move


class DriftingTracker:
    """Slides 2 px further right on every frame it tracks, in either direction, less sure each time."""

    def __init__(self):
        self.box, self.steps, self.inits = None, 0, []

    def initialize(self, frame, box):
        self.box, self.steps = box, 0
        self.inits.append(int(frame[0, 0, 0]))

    def track(self, frame):
        self.steps += 1
        self.box = Box(self.box.x + 2.0, self.box.y, self.box.w, self.box.h)
        return TrackResult(self.box, 1.0 / (1.0 + 0.1 * self.steps))


def _frame(i: int) -> np.ndarray:
    return np.full((8, 8, 3), i, np.uint8)  # the index in the pixels, so the test sees what was read


def test_two_sided_fill_keeps_every_frame_close_where_forward_alone_drifts():
    trk = DriftingTracker()
    first, last = 0, 20
    filled = fill_between(trk, _frame, first, TRUTH, last, TRUTH)
    assert sorted(filled) == list(range(1, 20))
    assert trk.inits == [0, 20]  # a forward pass from the first keyframe, then a backward one from the last
    forward_error = {i: 2.0 * i for i in filled}  # what forward tracking alone gives
    error = {i: abs(f.box.x - TRUTH.x) for i, f in filled.items()}
    assert max(forward_error.values()) == 38.0
    assert max(error.values()) <= 20.0  # the worst frame is in the middle, half the forward drift
    for i in filled:
        # never worse than the pass from the farther keyframe, and the nearer keyframe's pass wins
        assert error[i] <= max(2.0 * i, 2.0 * (last - i)) + 1e-9
    assert filled[1].source in ("forward", "both") and filled[19].source in ("backward", "both")
    assert filled[3].source == "forward" and filled[17].source == "backward"  # 12 px apart on a 20 px box
    # frames at IoU >= 0.5 (error <= 6 px): 1-3 from forward alone, 1-3 and 17-19 merged
    assert sum(f.box.iou(TRUTH) >= 0.5 for f in filled.values()) == 6
    assert sum(Box(TRUTH.x + forward_error[i], 30, 20, 20).iou(TRUTH) >= 0.5 for i in filled) == 3


def test_agreeing_passes_are_averaged_by_distance_and_confidence():
    f = {1: TrackResult(Box(10, 0, 10, 10), 1.0), 2: TrackResult(Box(10, 0, 10, 10), 1.0),
         3: TrackResult(Box(10, 0, 10, 10), 1.0)}
    b = {i: TrackResult(Box(12, 0, 10, 10), 1.0) for i in (1, 2, 3)}
    merged = merge_passes(0, 4, f, b)
    assert [m.source for m in merged.values()] == ["both"] * 3
    assert [m.box.x for m in merged.values()] == pytest.approx([10.5, 11.0, 11.5])
    # a confident pass outweighs an unsure one at equal distance
    b_unsure = {i: TrackResult(Box(12, 0, 10, 10), 0.25) for i in (1, 2, 3)}
    assert merge_passes(0, 4, f, b_unsure)[2].box.x == pytest.approx(10.4)


def test_fill_between_adjacent_keyframes_is_empty_and_order_is_checked():
    assert fill_between(DriftingTracker(), _frame, 3, TRUTH, 4, TRUTH) == {}
    with pytest.raises(ValueError, match="must come after"):
        fill_between(DriftingTracker(), _frame, 5, TRUTH, 5, TRUTH)
