"""Planning and running tracking jobs without Qt, on a fake engine that records its calls."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.tracking_job import (Direction, JobRunner, PlanError, RangeMode, StopReason, TrackerState,
                                   plan_job)
from tracker.sequence import iter_frames
from app_fakes import FakeTracker, JumpyTracker, moving_square_frames
from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef
from tracker.result import TrackResult
from tracker.types import Box


class ListSource:
    def __init__(self, frames):
        self.frames = frames
        self.reads: list[int] = []
        self.height, self.width = frames[0].shape[:2]

    def __len__(self):
        return len(self.frames)

    def read(self, i):
        self.reads.append(i)
        return self.frames[i].copy()

    def close(self):
        pass


def project_with(entries: dict[int, BoxEntry], n: int = 40) -> Project:
    p = Project(VideoRef("/v.mp4", n, 160, 120, 25.0))
    p.objects[1] = TrackObject(1, "object", "#ff0000", dict(entries))
    return p


KF = Provenance.KEYFRAME


def plan(project, start, direction=Direction.FORWARD, mode=RangeMode.TO_END, n=50, ids=(1,)):
    return plan_job(project, video_path="/v.mp4", frame_count=40, start=start, direction=direction,
                    track_ids=list(ids), mode=mode, n_frames=n)


def test_plan_ranges_keyframes_and_absent_marks():
    b = Box(10, 10, 20, 20)
    p = project_with({5: BoxEntry(b, KF), 12: BoxEntry(Box(30, 12, 20, 20), KF),
                      20: BoxEntry(None, Provenance.ABSENT)})
    to_end = plan(p, 5)
    assert to_end.targets[0].stop == 19  # stops before the absent mark
    assert dict(to_end.targets[0].keyframes) == {12: Box(30, 12, 20, 20)}
    assert to_end.total == 14
    assert plan(p, 5, mode=RangeMode.TO_NEXT_KEYFRAME).targets[0].stop == 11
    assert plan(p, 5, mode=RangeMode.FRAMES, n=3).targets[0].stop == 8
    back = plan(p, 12, Direction.BACKWARD, RangeMode.TO_NEXT_KEYFRAME)
    assert back.targets[0].stop == 6
    assert plan(p, 5, Direction.BACKWARD).targets[0].stop == 0
    with pytest.raises(PlanError, match="no box on frame 7"):
        plan(p, 7)
    with pytest.raises(PlanError, match="select an object"):
        plan(p, 5, ids=())
    q = project_with({39: BoxEntry(b, KF)})
    with pytest.raises(PlanError, match="nothing to track after frame 39"):
        plan(q, 39)


def test_runner_initializes_tracks_and_reseeds_on_keyframes():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF), 10: BoxEntry(Box(*boxes[10]), KF)}, n=20)
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.TO_END, correction_strategy="update")
    trk = FakeTracker()
    runner = JobRunner(job, trk, ListSource(frames), threading.Event())
    outcomes = list(runner)
    assert [o.frame for o in outcomes] == list(range(1, 20))
    assert runner.reason is StopReason.COMPLETED
    assert trk.calls[0][0] == "initialize" and trk.calls[0][2] == 0
    reseeds = [c for c in trk.calls if c[0] == "reseed"]
    assert reseeds == [("reseed", 1, 10, Box(*boxes[10]), "update")]
    assert outcomes[9].reseeded == (1,) and 1 not in outcomes[9].results  # keyframe not overwritten
    for o in outcomes:
        if o.results:
            assert o.results[1].box.iou(Box(*boxes[o.frame])) > 0.8
        assert not o.image.flags.writeable
    assert runner.state.frame == 19


@pytest.mark.parametrize("strategy", ["reset", "reset-keyframe"])
def test_runner_uses_the_jobs_correction_strategy_and_pins_a_user_start_box_for_keyframe_strategies(strategy):
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF), 10: BoxEntry(Box(*boxes[10]), KF),
                      14: BoxEntry(Box(*boxes[14]), Provenance.TRACKED)}, n=20)
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.TO_END, correction_strategy=strategy)
    assert job.correction_strategy == strategy and job.targets[0].start_is_keyframe
    trk = FakeTracker()
    list(JobRunner(job, trk, ListSource(frames), threading.Event()))
    reseeds = [c for c in trk.calls if c[0] == "reseed"]
    pinned_start = [("reseed", 1, 0, Box(*boxes[0]), strategy)] if strategy == "reset-keyframe" else []
    assert trk.calls[0][0] == "initialize"
    assert reseeds == pinned_start + [("reseed", 1, 10, Box(*boxes[10]), strategy)]
    # a run from a tracked box starts the tracker without treating that box as a keyframe
    trk.calls.clear()
    job = plan_job(p, video_path="/v", frame_count=20, start=14, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.FRAMES, n_frames=2, correction_strategy=strategy)
    assert not job.targets[0].start_is_keyframe
    list(JobRunner(job, trk, ListSource(frames), threading.Event()))
    assert "reseed" not in trk.call_names()


def test_runner_pauses_below_threshold_and_resume_reseeds_instead_of_initialize():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF)}, n=20)
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.TO_END, pause_below=0.5)
    trk = FakeTracker(scores={6: 0.1})
    runner = JobRunner(job, trk, ListSource(frames), threading.Event())
    outcomes = list(runner)
    assert runner.reason is StopReason.PAUSED and outcomes[-1].frame == 6
    assert outcomes[-1].low_confidence == (1,)
    # the user corrects frame 6; the next run continues from the engine's memory
    corrected = Box(boxes[6][0] + 1, boxes[6][1], 24, 24)  # differs from what the engine holds
    p.objects[1].entries[6] = BoxEntry(corrected, KF)
    job2 = plan_job(p, video_path="/v", frame_count=20, start=6, direction=Direction.FORWARD, track_ids=[1],
                    mode=RangeMode.FRAMES, n_frames=3)
    trk.calls.clear()
    runner2 = JobRunner(job2, trk, ListSource(frames), threading.Event(), resume=runner.state)
    assert [o.frame for o in runner2] == [7, 8, 9]
    assert trk.call_names()[0] == "reseed" and "initialize" not in trk.call_names()
    # a run elsewhere starts the memory over
    trk.calls.clear()
    job3 = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                    mode=RangeMode.FRAMES, n_frames=2)
    list(JobRunner(job3, trk, ListSource(frames), threading.Event(), resume=runner2.state))
    assert trk.call_names()[:2] == ["remove", "initialize"]


def test_runner_cancel_stops_without_further_results():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF)}, n=20)
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.TO_END)
    cancel = threading.Event()
    runner = JobRunner(job, FakeTracker(), ListSource(frames), cancel)
    got = []
    for o in runner:
        got.append(o.frame)
        if o.frame == 4:
            cancel.set()
    assert got == [1, 2, 3, 4] and runner.reason is StopReason.CANCELLED and runner.state is None


def test_two_objects_one_engine_and_ranges_end_per_object():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF), 5: BoxEntry(Box(*boxes[5]), KF)}, n=20)
    p.objects[2] = TrackObject(2, "object", "#00ff00", {0: BoxEntry(Box(100, 80, 20, 20), KF)})
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1, 2],
                   mode=RangeMode.TO_NEXT_KEYFRAME)
    trk = FakeTracker()
    outcomes = list(JobRunner(job, trk, ListSource(frames), threading.Event()))
    assert [sorted(o.results) for o in outcomes[:4]] == [[1, 2]] * 4
    assert all(sorted(o.results) == [2] for o in outcomes[4:])  # #1 stopped before its keyframe 5
    assert ("remove", 1) in trk.calls and len(outcomes) == 19


def test_backward_frames_are_read_in_forward_blocks():
    frames = [np.full((10, 10, 3), i, np.uint8) for i in range(100)]
    src = ListSource(frames)
    got = [f for f, img in iter_frames(src, 99, 0, -1, block_bytes=300 * 40)]
    assert got == list(range(99, -1, -1))
    assert src.reads[:40] == list(range(60, 100))  # one forward block of 40 frames first
    assert [int(img[0, 0, 0]) for _, img in iter_frames(ListSource(frames), 5, 2, -1)] == [5, 4, 3, 2]
    assert TrackerState(1, Direction.FORWARD, {}).frame == 1


def test_two_sided_run_to_the_next_keyframe_merges_a_backward_pass_and_keeps_the_engine_state():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF), 12: BoxEntry(Box(*boxes[12]), KF)}, n=20)
    job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                   mode=RangeMode.TO_NEXT_KEYFRAME, two_sided=True)
    assert job.two_sided and job.targets[0].end_keyframe == (12, Box(*boxes[12])) and job.targets[0].stop == 11

    class Drifting(FakeTracker):
        """Adds 1 px to the right per tracked frame since its initialisation, so both passes drift."""

        def track_all(self, frame, frame_index=None):
            out = super().track_all(frame, frame_index)
            for tid, r in out.items():
                t = self._targets[tid]
                t["drift"] = t.get("drift", 0) + 3.0
                out[tid] = TrackResult(Box(r.box.x + t["drift"], r.box.y, r.box.w, r.box.h), 0.9)
            return out

    trk = Drifting()
    source = ListSource(frames)
    outcomes = list(JobRunner(job, trk, source, threading.Event()))
    assert [o.frame for o in outcomes] == list(range(1, 12))
    names = trk.call_names()
    # the backward pass first: initialised on the keyframe, tracked 11..1, removed; then the forward run
    assert trk.calls[0] == ("initialize", 1, 12, Box(*boxes[12]))
    assert [c[1] for c in trk.calls if c[0] == "track_all"][:11] == list(range(11, 0, -1))
    assert names[names.index("initialize", 1) - 1] == "remove"
    err = {o.frame: abs(o.results[1].box.x - boxes[o.frame][0]) for o in outcomes}
    # forward alone drifts 3 px per frame (33 px by frame 11); merged, the frames near 12 follow the
    # backward pass, so no frame is as far off as forward alone
    assert err[11] < 10 and max(err.values()) < 30
    one_sided = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD,
                         track_ids=[1], mode=RangeMode.TO_NEXT_KEYFRAME)
    assert not one_sided.two_sided
    assert not plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                        mode=RangeMode.TO_END, two_sided=True).two_sided  # no end keyframe: nothing to merge


def test_runner_pauses_on_a_confident_box_jump_and_says_why():
    frames, boxes = moving_square_frames(n=20)
    p = project_with({0: BoxEntry(Box(*boxes[0]), KF)}, n=20)

    def run(jump_above):
        job = plan_job(p, video_path="/v", frame_count=20, start=0, direction=Direction.FORWARD, track_ids=[1],
                       mode=RangeMode.TO_END, pause_below=0.5, pause_jump_above=jump_above)
        runner = JobRunner(job, JumpyTracker(jump_at=6), ListSource(frames), threading.Event())
        return runner, list(runner)

    runner, outcomes = run(0.7)
    assert runner.reason is StopReason.PAUSED and outcomes[-1].frame == 6
    assert outcomes[-1].low_confidence == (1,)
    assert "box jumped 2." in outcomes[-1].pause_reasons[1]  # 2 box sizes, plus the square's own step
    assert all(not o.low_confidence for o in outcomes[:-1])  # the square's own motion is no jump
    runner, outcomes = run(None)  # jumps off: only the confidence counts, and it stays high
    assert runner.reason is StopReason.COMPLETED and outcomes[-1].frame == 19
