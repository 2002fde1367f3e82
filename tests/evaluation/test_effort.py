"""The simulated annotator (tracker.evaluation.effort), minimal interpolation keyframes and the auto-pause
table, with trackers and tracks whose answers are known by hand."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.evaluation.conftest import OracleTracker, write_otb
from tests.conftest import moving_square_frames
from tracker.evaluation import load_dataset
from tracker.evaluation.effort import INTERP, RestartCorrector, effort_evaluate
from tracker.evaluation.keyframes import interpolated_boxes, interpolation_keyframes
from tracker.evaluation.pause import choose_threshold, pause_table
from tracker.result import TrackResult
from tracker.types import Box


class StillTracker:
    """Never moves: answers the box it was last initialised with."""

    def __init__(self):
        self.box = None
        self.inits = 0

    def initialize(self, frame, box):
        self.box = box
        self.inits += 1

    def track(self, frame):
        return TrackResult(self.box, 0.5)


def _sliding_dataset(tmp_path, n=13, absent=(6,)):
    """A 10x10 box sliding right 1 px per frame on blank frames; ``absent`` frames marked 0,0,0,0."""
    frames = [np.zeros((40, 60, 3), np.uint8) for _ in range(n)]
    boxes = [(5.0 + i, 10.0, 10.0, 10.0) for i in range(n)]
    text = "".join("0,0,0,0\n" if i in absent else f"{x + 1:g},{y + 1:g},{w:g},{h:g}\n"
                   for i, (x, y, w, h) in enumerate(boxes))
    write_otb(tmp_path, "Slide", frames, boxes, text=text)
    sequences, problems = load_dataset(tmp_path)
    assert problems == []
    return sequences


def test_a_tracker_that_never_moves_needs_a_countable_number_of_corrections(tmp_path):
    # IoU of two 10x10 boxes d px apart is (10 - d) / (10 + d): >= 0.5 up to d = 3, >= 0.7 up to d = 1.
    sequences = _sliding_dataset(tmp_path)
    trackers = []

    def still():
        trackers.append(StillTracker())
        return RestartCorrector(trackers[-1])

    ev = effort_evaluate(sequences, {"still": still}, [0.5, 0.7], interp=False)
    runs = {t: ev.runs["still"][t]["Slide"] for t in (0.5, 0.7)}
    # IoU 0.5: corrected where the box is 4 px behind: 4, 8, 12 (frame 6 is absent, not judged)
    assert runs[0.5].corrections == [4, 8, 12]
    # IoU 0.7: every 2 px: 2, 4, then 6 is absent so the next judged frame 7 is 3 px behind; 9, 11
    assert runs[0.7].corrections == [2, 4, 7, 9, 11]
    assert runs[0.5].judged == runs[0.7].judged == 11  # 12 frames after the first, one absent
    assert ev.rate("still", 0.5) == pytest.approx(100 * 3 / 11)
    assert ev.pooled("still", 0.7) == (5, 11)
    assert [t.inits for t in trackers] == [4, 6]  # the start and one re-initialisation per correction
    assert len(runs[0.5].scores) == len(runs[0.5].ious) == 11


def test_an_oracle_needs_no_correction(square_otb):
    root, _ = square_otb
    sequences, _ = load_dataset(root)
    frames, boxes = moving_square_frames(n=12)  # the two sequences of square_otb
    frames2, boxes2 = moving_square_frames(n=10, step=(2.0, -1.0), seed=3)
    frames, boxes = frames + frames2, boxes + boxes2
    ev = effort_evaluate(sequences, {"oracle": lambda: RestartCorrector(OracleTracker(frames, boxes))},
                         [0.5, 0.9, 1.0], interp=True)
    assert ev.problems == []
    for t in (0.5, 0.9, 1.0):
        assert ev.pooled("oracle", t) == (0, 20)
    assert ev.trackers == ["oracle", INTERP]
    assert ev.pooled(INTERP, 0.5)[0] >= 2  # the squares move: interpolation needs keyframes


def test_a_broken_tracker_is_reported_and_the_others_go_on(tmp_path):
    sequences = _sliding_dataset(tmp_path, absent=())

    class Broken(StillTracker):
        def track(self, frame):
            raise RuntimeError("boom")

    ev = effort_evaluate(sequences, {"broken": lambda: RestartCorrector(Broken()),
                                     "still": lambda: RestartCorrector(StillTracker())}, [0.5])
    assert ev.runs["broken"][0.5]["Slide"].error.startswith("broken (IoU 0.5) failed on Slide frame 2: boom")
    assert ev.pooled("broken", 0.5) == (0, 0) and ev.pooled("still", 0.5) == (3, 12)
    assert len(ev.problems) == 1


# ------------------------------------------------------------------------------- interpolation


def _track(xs, size=10.0):
    return [Box(float(x), 5.0, size, size) for x in xs]


def test_interpolation_of_a_linear_track_needs_only_the_last_frame():
    gt = _track(range(0, 40, 2))
    assert interpolation_keyframes(gt, 0.9) == [0, 19]
    # nothing moves: the first box held is enough
    assert interpolation_keyframes(_track([3] * 10), 1.0) == [0]


def test_interpolation_of_a_there_and_back_track_needs_the_turn():
    xs = [2 * i for i in range(11)] + [20 - 2 * i for i in range(1, 11)]  # right 10 frames, back 10
    gt = _track(xs)
    keys = interpolation_keyframes(gt, 0.9)
    assert keys == [0, 10, 20]
    assert all(b.iou(g) >= 0.9 for b, g in zip(interpolated_boxes(gt, keys), gt))
    # at IoU 0.5 the box held from frame 19 still covers frame 20 (2 px off): as few keyframes, earlier
    assert interpolation_keyframes(gt, 0.5) == [0, 10, 19]


def test_interpolation_skips_absent_frames_and_holds_after_the_last_keyframe():
    gt = _track([0, 1, 2, 3]) + [None, None] + _track([6, 6, 6])
    keys = interpolation_keyframes(gt, 0.9)
    boxes = interpolated_boxes(gt, keys)
    assert all(boxes[i].iou(g) >= 0.9 for i, g in enumerate(gt) if g is not None)
    assert keys[-1] == 6  # the box stops at x = 6: held from there


def _brute_force(gt, threshold):
    present = [i for i, b in enumerate(gt) if b is not None]
    for extra in range(len(present)):
        for rest in itertools.combinations(present[1:], extra):
            keys = [0, *rest]
            boxes = interpolated_boxes(gt, keys)
            if all(boxes[i].iou(g) >= threshold for i, g in enumerate(gt) if g is not None):
                return len(keys)
    raise AssertionError("unreachable: every frame a keyframe is always valid")


@pytest.mark.parametrize("seed", range(12))
def test_interpolation_keyframes_are_the_fewest_possible(seed):
    rng = np.random.default_rng(seed)
    n = 10
    xs = np.cumsum(rng.normal(0, 3, n))
    ws = 10 + np.abs(np.cumsum(rng.normal(0, 1.5, n)))
    gt = [None if (i and rng.random() < 0.15) else Box(float(x), 3.0, float(w), float(w)) for i, (x, w) in
          enumerate(zip(xs, ws))]
    for threshold in (0.5, 0.7):
        keys = interpolation_keyframes(gt, threshold)
        boxes = interpolated_boxes(gt, keys)
        assert all(boxes[i].iou(g) >= threshold for i, g in enumerate(gt) if g is not None)
        assert all(gt[k] is not None for k in keys)
        assert len(keys) == _brute_force(gt, threshold)


# ------------------------------------------------------------------------------- auto-pause table


def test_pause_table_counts_caught_onsets_and_false_alarms():
    scores = [0.9, 0.2, 0.8, 0.4, 0.3, 0.9]
    ious = [0.8, 0.1, 0.9, 0.7, 0.3, 0.2]  # onsets (IoU < 0.5): frames 1, 4, 5
    rows = {r.threshold: r for r in pause_table([(scores, ious)], thresholds=(0.25, 0.35, 0.5, 0.95), lead=0)}
    assert (rows[0.25].caught, rows[0.25].pauses, rows[0.25].false_alarms) == (1, 1, 0)
    assert (rows[0.35].caught, rows[0.35].pauses, rows[0.35].false_alarms) == (2, 2, 0)
    assert (rows[0.5].caught, rows[0.5].pauses, rows[0.5].false_alarms) == (2, 3, 1)
    assert (rows[0.95].caught, rows[0.95].pauses, rows[0.95].false_alarms) == (3, 6, 3)
    assert rows[0.35].recall == pytest.approx(2 / 3) and rows[0.5].precision == pytest.approx(2 / 3)
    assert rows[0.5].false_per_100 == pytest.approx(100 / 6)
    # with a lead of 1 frame, the pause on frame 3 (0.4 < 0.5) comes just before the onset on 4: caught
    # early, not a false alarm; frame 5's onset cannot be caught by frame 4, which belongs to onset 4
    lead1 = {r.threshold: r for r in pause_table([(scores, ious)], thresholds=(0.5,), lead=1)}
    assert (lead1[0.5].caught, lead1[0.5].false_alarms) == (2, 0)
    # two sequences add up; a lead never reaches into the previous sequence
    two = pause_table([(scores, ious), ([0.1, 0.9], [0.9, 0.2])], thresholds=(0.5,), lead=1)[0]
    assert (two.onsets, two.caught, two.pauses, two.false_alarms, two.frames) == (4, 3, 4, 0, 8)


def test_the_threshold_rule_takes_the_largest_within_the_false_alarm_budget():
    rows = pause_table([([0.9] * 97 + [0.55, 0.45, 0.2], [0.9] * 100)], thresholds=(0.3, 0.5, 0.6), lead=0)
    assert [r.false_alarms for r in rows] == [1, 2, 3]
    assert choose_threshold(rows).threshold == 0.5  # 2 false alarms per 100 frames is the budget
    assert choose_threshold(rows, max_false_per_100=0.5).threshold == 0.3  # none fits: the lowest


class GatedStillTracker(StillTracker):
    """A still tracker that reports diagnostics whose no-write gate rises on chosen frames."""

    def __init__(self, doubtful):
        super().__init__()
        self.doubtful = set(doubtful)
        self.frame = 0

    def track(self, frame):
        from tracker.result import Diagnostics

        self.frame += 1
        skip = 0.9 if self.frame in self.doubtful else 0.05
        attention = np.full((3, 3), 1 / 9)
        diag = Diagnostics(attention=attention, response=np.zeros((3, 3)), read_weights=np.ones(2) / 2,
                           write_weights=np.zeros(2), usage=np.zeros(2), gates=np.array([skip, 0.0, 1 - skip]),
                           residual_gate=0.5, read_strength=1.0, scale=0, search_box=self.box)
        return TrackResult(self.box, 0.5, diag)


def test_diagnostic_pause_signals_are_recorded_and_calibrated_beside_the_confidence(tmp_path):
    from tracker.evaluation.effort_report import effort_json, format_pause_table, signal_pause_rows

    sequences = _sliding_dataset(tmp_path, absent=())
    # the still tracker drifts to IoU < 0.5 on frames 4, 8, 12; its gate doubts frames 3 and 8
    ev = effort_evaluate(sequences, {"memtrack:still": lambda: RestartCorrector(GatedStillTracker({3, 8}))},
                         [0.5], interp=False)
    run = ev.runs["memtrack:still"][0.5]["Slide"]
    assert run.corrections == [4, 8, 12]
    assert run.signals["remember"][2] == pytest.approx(0.1) and run.signals["remember"][0] == pytest.approx(0.95)
    assert run.signals["attention"] == pytest.approx([1 / 9] * 12)
    tables = signal_pause_rows(ev)["memtrack:still"]
    row = {r.threshold: r for r in tables["remember"]}[0.5]
    # frame 3 is one frame before the onset on 4 (caught early), frame 8 is an onset: 2 of 3, no false alarm
    assert (row.onsets, row.caught, row.pauses, row.false_alarms) == (3, 2, 2, 0)
    flat = {r.threshold: r for r in tables["attention"]}[0.5]
    assert flat.pauses == 12  # a flat attention is below 0.5 everywhere
    saved = effort_json(ev)
    assert saved["pause_signals"]["memtrack:still"]["remember"][9]["caught"] == 2  # threshold 0.5
    assert saved["trackers"]["memtrack:still"]["0.5"]["Slide"]["signals"]["remember"][2] == pytest.approx(0.1)
    assert "remember <" in format_pause_table("memtrack:still", tables["remember"], "remember")


def test_without_diagnostics_no_signal_table_is_made(tmp_path):
    from tracker.evaluation.effort_report import effort_json, signal_pause_rows

    ev = effort_evaluate(_sliding_dataset(tmp_path), {"memtrack:still": lambda: RestartCorrector(StillTracker())},
                         [0.5], interp=False)
    assert signal_pause_rows(ev) == {}
    assert "pause_signals" not in effort_json(ev)


class SnappingTracker(StillTracker):
    """Follows the sliding box exactly and confidently, but snaps 30 px away on one frame."""

    def __init__(self, snap_at):
        super().__init__()
        self.snap_at = snap_at
        self.frame = 0

    def track(self, frame):
        self.frame += 1
        x = 5.0 + self.frame + (30.0 if self.frame == self.snap_at else 0.0)
        return TrackResult(Box(x, 10.0, 10.0, 10.0), 0.9)


def test_box_jumps_are_recorded_and_the_combined_pause_rule_catches_a_confident_snap(tmp_path):
    from tracker.evaluation.effort_report import effort_json, format_jump_pause_table, jump_pause_rows
    from tracker.evaluation.pause import choose_jump_limit

    sequences = _sliding_dataset(tmp_path, absent=())
    ev = effort_evaluate(sequences, {"memtrack:snap": lambda: RestartCorrector(SnappingTracker(7))}, [0.5],
                         interp=False)
    run = ev.runs["memtrack:snap"][0.5]["Slide"]
    assert run.corrections == [7]
    # 1 px per frame is 0.1 box sizes; the snap is 31 px (3.1); after the correction the box before is
    # the annotator's, so frame 8 is an ordinary step again
    assert run.jumps == pytest.approx([0.1] * 6 + [3.1] + [0.1] * 5)
    rows = {r.threshold: r for r in jump_pause_rows(ev)["memtrack:snap"]}
    assert (rows[0.7].onsets, rows[0.7].caught, rows[0.7].false_alarms) == (1, 1, 0)
    assert rows[3.0].caught == 1 and rows[0.3].false_alarms == 0
    confident_only = {r.threshold: r for r in pause_table([(run.scores, run.ious)], thresholds=(0.5,))}
    assert confident_only[0.5].caught == 0  # the confidence alone never sees it
    assert choose_jump_limit(list(rows.values())).threshold == 0.3
    saved = effort_json(ev)
    assert saved["pause_jump"]["memtrack:snap"]["rows"][4]["caught"] == 1  # limit 0.7
    assert saved["trackers"]["memtrack:snap"]["0.5"]["Slide"]["jumps"][6] == pytest.approx(3.1)
    assert "jump >" in format_jump_pause_table("memtrack:snap", list(rows.values()))


def test_jump_limit_rule_keeps_false_alarms_in_budget():
    from tracker.evaluation.pause import choose_jump_limit, jump_pause_table

    # 100 frames, one onset at the end; ordinary motion of 0.45 box sizes now and then (every 20th frame)
    jumps = [0.45 if i % 20 == 5 else 0.05 for i in range(99)] + [1.2]
    ious = [0.9] * 99 + [0.1]
    rows = jump_pause_table([([0.9] * 100, jumps, ious)], confidence=0.5, limits=(0.4, 0.5, 1.0, 1.5))
    by = {r.threshold: r for r in rows}
    assert by[0.4].false_alarms == 5 and by[0.5].false_alarms == 0 and by[1.5].caught == 0
    assert choose_jump_limit(rows).threshold == 0.5
    with pytest.raises(ValueError):
        jump_pause_table([([0.9], [0.1, 0.2], [0.9])], confidence=0.5)
