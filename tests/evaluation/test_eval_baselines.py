"""OpenCV baselines behind MemTracker's interface: they track, report loss sanely, and skip cleanly."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import moving_square_frames
from tracker.evaluation.baselines import DEFAULT_MODELS_DIR, OpenCVTracker, TrackerUnavailable, make_baseline
from tracker.evaluation.metrics import boxes_to_array, overlaps
from tracker.types import Box


def _mean_iou(tracker, frames, boxes) -> float:
    tracker.initialize(frames[0], Box(*boxes[0]))
    pred = [Box(*boxes[0])] + [tracker.track(f).box for f in frames[1:]]
    return float(overlaps(boxes_to_array(pred), boxes_to_array([Box(*b) for b in boxes])).mean())


@pytest.mark.parametrize("name", ["csrt", "kcf", "mil"])
def test_classic_trackers_follow_the_square(name):
    frames, boxes = moving_square_frames(n=12)
    # a box left where it started scores 0.25 here
    assert _mean_iou(make_baseline(name), frames, boxes) > 0.5


@pytest.mark.parametrize("name", ["nano", "vit"])
def test_dnn_trackers_follow_the_square(name):
    if not DEFAULT_MODELS_DIR.is_dir():
        pytest.skip("../shared/models is not present")
    frames, boxes = moving_square_frames(n=12, height=240, width=320, size=40)
    tracker = make_baseline(name)
    assert _mean_iou(tracker, frames, boxes) > 0.6  # a box left where it started scores 0.39
    assert 0.0 <= tracker.track(frames[-1]).score <= 1.0


def test_missing_model_is_reported(tmp_path):
    with pytest.raises(TrackerUnavailable, match="nanotrack_backbone_sim.onnx not found"):
        make_baseline("nano", nano_dir=tmp_path)
    with pytest.raises(TrackerUnavailable, match="nope.onnx not found"):
        make_baseline("vit", vit_model=tmp_path / "nope.onnx")
    with pytest.raises(ValueError):
        make_baseline("siamrpn")


class _LosingCV:
    """Stands in for an OpenCV tracker that finds the target once and then loses it."""

    def __init__(self):
        self.calls = 0
        self.init_box = None

    def init(self, frame, rect):
        self.init_box = rect
        self.frame_shape = frame.shape

    def update(self, frame):
        self.calls += 1
        if self.calls == 1:
            return True, (12, 13, 20, 21)
        return False, (0, 0, 0, 0)


def test_lost_target_keeps_last_box_with_zero_score():
    fake = _LosingCV()
    tracker = OpenCVTracker("fake", lambda: fake)
    frame = np.zeros((50, 60, 3), np.uint8)
    tracker.initialize(frame, Box(-3.4, 10.6, 20.2, 100.0))
    assert fake.init_box == (0, 11, 17, 39)  # rounded corners, clipped to the 60x50 frame
    first = tracker.track(frame)
    assert first.box == Box(12, 13, 20, 21) and first.score == 1.0
    lost = tracker.track(frame)
    assert lost.box == Box(12, 13, 20, 21) and lost.score == 0.0


def test_each_initialize_uses_a_fresh_opencv_object():
    made = []

    def factory():
        made.append(_LosingCV())
        return made[-1]

    tracker = OpenCVTracker("fake", factory)
    frame = np.zeros((50, 60, 3), np.uint8)
    tracker.initialize(frame, Box(1, 1, 5, 5))
    tracker.initialize(frame, Box(2, 2, 5, 5))
    assert len(made) == 2 and made[0].init_box != made[1].init_box
