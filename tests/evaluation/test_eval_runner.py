"""The runner: frames decoded once for all trackers, OTB frame-1 convention, restart-on-failure mode."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import moving_square_frames
from tests.evaluation.conftest import ConstantTracker, OracleTracker, write_images, write_otb
from tracker.evaluation import evaluate, load_dataset, run_sequence
from tracker.evaluation.datasets import Sequence
from tracker.result import TrackResult
from tracker.types import Box


def _sequence(tmp_path, boxes, name="S", gt=None) -> Sequence:
    """A sequence of distinct flat frames (so an oracle can tell them apart) with ``gt`` (default boxes)."""
    frames = [np.full((40, 60, 3), 7 * i, np.uint8) for i in range(len(boxes))]
    paths = write_images(tmp_path / name, frames)
    gt = [Box(*b) for b in boxes] if gt is None else gt
    return Sequence(name, tuple(paths), tuple(gt), tmp_path / name / "gt.txt", "otb"), frames


def test_oracle_scores_twenty_of_twenty_one_on_generated_otb(square_otb):
    root, _ = square_otb
    seqs, problems = load_dataset(root)
    assert problems == [] and len(seqs) == 2
    frames1, boxes1 = moving_square_frames(n=12)
    frames2, boxes2 = moving_square_frames(n=10, step=(2.0, -1.0), seed=3)
    oracle = OracleTracker(frames1 + frames2, boxes1 + boxes2)
    ev = evaluate(seqs, {"oracle": oracle})
    mean = ev.mean("oracle")
    assert mean.auc == pytest.approx(20 / 21, abs=1e-12)
    assert mean.precision == 1.0 and mean.norm_precision == 1.0 and mean.miou == 1.0
    assert mean.failures is None
    assert oracle.calls == 22  # one call per frame: initialize on frame 1, track on the rest
    assert mean.calls == 22 and mean.fps > 0


def test_each_frame_decoded_once_for_all_trackers(tmp_path, monkeypatch):
    seq, _ = _sequence(tmp_path, [(1, 1, 10, 10)] * 6)
    reads = []
    real = cv2.imread

    def counting(path, *a):
        reads.append(path)
        return real(path, *a)

    monkeypatch.setattr(cv2, "imread", counting)
    trackers = {f"c{i}": ConstantTracker(Box(1, 1, 10, 10)) for i in range(3)}
    result = run_sequence(seq, trackers)
    assert len(reads) == 6
    assert set(result.metrics) == {"c0", "c1", "c2"}


def test_constant_tracker_matches_hand_computation(tmp_path):
    # Same four frames as test_eval_metrics: the constant box scores 41/84. Frame 1 is the
    # initialisation frame, whose output is the ground truth (which equals the constant box here).
    boxes = [(0, 0, 10, 10), (5, 0, 10, 10), (0, 0, 10, 15), (30, 0, 10, 10)]
    seq, _ = _sequence(tmp_path, boxes)
    result = run_sequence(seq, {"const": ConstantTracker(Box(0, 0, 10, 10))})
    m = result.metrics["const"]
    assert m.auc == pytest.approx(41 / 84, abs=1e-12)
    assert m.precision == 0.75 and m.miou == pytest.approx(0.5)
    assert result.runs["const"].boxes == [Box(0, 0, 10, 10)] * 4


class _FailAt:
    """An oracle that answers a far-away box on the given frame indices (IoU 0 there)."""

    def __init__(self, frames, boxes, fail_on):
        self.oracle = OracleTracker(frames, boxes)
        self.index = {f.tobytes(): i for i, f in enumerate(frames)}
        self.fail_on = set(fail_on)
        self.inits = []

    def initialize(self, frame, box):
        self.inits.append(self.index[frame.tobytes()])

    def track(self, frame):
        if self.index[frame.tobytes()] in self.fail_on:
            return TrackResult(Box(500, 500, 5, 5), 0.0)
        return self.oracle.track(frame)


def test_restart_counts_failures_and_reinitialises_five_frames_later(tmp_path):
    boxes = [(5 + i, 5, 10, 10) for i in range(14)]
    seq, frames = _sequence(tmp_path, boxes)
    trk = _FailAt(frames, boxes, fail_on={3})
    result = run_sequence(seq, {"t": trk}, restart=True)
    run = result.runs["t"]
    assert run.failures == 1
    assert trk.inits == [0, 8]  # failure on frame index 3, re-initialised at 3 + 5
    assert run.boxes[4:8] == [None] * 4  # no prediction in between
    assert run.boxes[8] == Box(*boxes[8])  # re-init frame reports the ground truth
    m = result.metrics["t"]
    assert m.miou == pytest.approx(9 / 14)  # 5 frames at IoU 0 (failure + 4 skipped), 9 at IoU 1
    assert m.failures == 1


def test_restart_every_track_failing(tmp_path):
    boxes = [(5, 5, 10, 10)] * 12
    seq, frames = _sequence(tmp_path, boxes)
    result = run_sequence(seq, {"bad": ConstantTracker(Box(300, 300, 4, 4))}, restart=True)
    # init 0, fail 1, skip 2-5, init 6, fail 7, skip 8-11
    assert result.runs["bad"].failures == 2
    assert [b is not None for b in result.runs["bad"].boxes] == [True, True, False, False, False, False,
                                                                True, True, False, False, False, False]
    assert result.metrics["bad"].miou == pytest.approx(2 / 12)


def test_restart_waits_for_a_ground_truth_box(tmp_path):
    boxes = [(5 + i, 5, 10, 10) for i in range(10)]
    gt = [Box(*b) for b in boxes]
    gt[6] = None  # target absent where the re-init would happen
    seq, frames = _sequence(tmp_path, boxes, gt=gt)
    trk = _FailAt(frames, boxes, fail_on={1})
    result = run_sequence(seq, {"t": trk}, restart=True)
    assert trk.inits == [0, 7]
    assert result.runs["t"].failures == 1


def test_without_restart_failures_are_not_counted(tmp_path):
    boxes = [(5, 5, 10, 10)] * 5
    seq, _ = _sequence(tmp_path, boxes)
    result = run_sequence(seq, {"bad": ConstantTracker(Box(300, 300, 4, 4))})
    assert result.runs["bad"].failures is None
    assert all(b is not None for b in result.runs["bad"].boxes)
    assert result.metrics["bad"].miou == pytest.approx(1 / 5)


class _Broken:
    def initialize(self, frame, box):
        pass

    def track(self, frame):
        raise RuntimeError("boom")


def test_a_broken_tracker_does_not_stop_the_others(tmp_path):
    boxes = [(5, 5, 10, 10)] * 4
    seq, _ = _sequence(tmp_path, boxes)
    ev = evaluate([seq], {"broken": _Broken(), "ok": ConstantTracker(Box(5, 5, 10, 10))})
    assert "broken failed on S frame 2: boom" in ev.problems[0]
    assert ev.mean("broken") is None
    assert ev.mean("ok").miou == 1.0


def test_undecodable_frame_skips_the_sequence(tmp_path):
    boxes = [(5, 5, 10, 10)] * 3
    seq, _ = _sequence(tmp_path, boxes, name="Broken")
    seq.frames[1].write_bytes(b"not an image")
    good, _ = _sequence(tmp_path, boxes, name="Good")
    ev = evaluate([seq, good], {"c": ConstantTracker(Box(5, 5, 10, 10))})
    assert [r.sequence.name for r in ev.results] == ["Good"]
    assert "0002.png: cannot decode image" in ev.problems[0]


def test_keyboard_interrupt_propagates_after_finished_sequences(square_otb):
    root, _ = square_otb
    seqs, _ = load_dataset(root)
    done = []

    class Interrupting(ConstantTracker):
        def track(self, frame):
            if done:
                raise KeyboardInterrupt
            return super().track(frame)

    with pytest.raises(KeyboardInterrupt):
        evaluate(seqs, {"c": Interrupting(Box(1, 1, 5, 5))}, on_sequence=lambda r: done.append(r))
    assert [r.sequence.name for r in done] == ["Square"]
