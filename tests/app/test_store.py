"""The annotation store: every edit undoes and redoes exactly; a tracking run is one undo step."""
from __future__ import annotations

import pytest

from app.core import edits
from app.core.store import AnnotationStore, StoreError
from tracker.project import BoxEntry, Project, Provenance, VideoRef
from tracker.result import TrackResult
from tracker.types import Box


def make_store() -> AnnotationStore:
    return AnnotationStore(Project(VideoRef("/v.mp4", 100, 160, 120, 25.0)))


def entries(store, tid):
    return dict(store.project.objects[tid].entries)


def test_draw_correct_undo_redo_and_dirty_flag():
    store = make_store()
    cmd, tid = edits.add_object(store.project, label="car", frame=3, box=Box(1, 2, 10, 10))
    store.execute(cmd)
    assert store.dirty and store.project.labels == ["object", "car"]
    store.mark_saved()
    store.execute(edits.set_keyframe(store.project, tid, 3, Box(5, 5, 10, 10)))
    assert store.project.objects[tid].box_at(3) == Box(5, 5, 10, 10)
    assert store.dirty
    store.undo()
    assert store.project.objects[tid].box_at(3) == Box(1, 2, 10, 10)
    assert not store.dirty  # back at the saved state
    store.redo()
    assert store.project.objects[tid].box_at(3) == Box(5, 5, 10, 10) and store.dirty
    store.undo()
    store.undo()
    assert store.project.objects == {} and store.project.labels == ["object"]
    assert not store.can_undo() and store.can_redo()


def test_new_edit_after_undo_clears_redo_and_stays_dirty_vs_save_point():
    store = make_store()
    cmd, tid = edits.add_object(store.project, frame=0, box=Box(0, 0, 5, 5))
    store.execute(cmd)
    store.mark_saved()
    store.undo()
    store.execute(edits.add_object(store.project, frame=1, box=Box(0, 0, 6, 6))[0])
    assert not store.can_redo()
    assert store.dirty  # a different state from the saved one, though the history depth matches


def test_delete_track_undo_restores_every_entry():
    store = make_store()
    cmd, tid = edits.add_object(store.project, frame=0, box=Box(0, 0, 5, 5))
    store.execute(cmd)
    store.execute(edits.mark_absent(store.project, tid, 4))
    store.execute(edits.set_object_meta(store.project, tid, color="#123456"))
    before = entries(store, tid)
    store.execute(edits.delete_track(store.project, tid))
    assert tid not in store.project.objects
    store.undo()
    assert entries(store, tid) == before and store.project.objects[tid].color == "#123456"


def test_tracking_batch_is_one_undo_step_and_never_overwrites_keyframes():
    store = make_store()
    cmd, tid = edits.add_object(store.project, frame=0, box=Box(0, 0, 5, 5))
    store.execute(cmd)
    store.execute(edits.set_keyframe(store.project, tid, 3, Box(9, 9, 5, 5)))
    store.begin_batch("Track forward")
    with pytest.raises(StoreError):
        store.execute(edits.delete_box(store.project, tid, 0))  # no edits while a run writes
    assert not store.can_undo()
    for f in range(1, 6):
        change = edits.tracked_change(store.project, tid, f, TrackResult(Box(f, f, 5, 5), 0.8))
        if f == 3:
            assert change is None  # the user's keyframe stays
        store.apply_in_batch([change] if change else [])
    # a second result for the same frame in the same run is squashed into one change
    store.apply_in_batch([edits.tracked_change(store.project, tid, 5, TrackResult(Box(7, 7, 5, 5), 0.7))])
    command = store.end_batch()
    assert command is not None and len(command.changes) == 4
    assert store.project.objects[tid].entries[3] == BoxEntry(Box(9, 9, 5, 5), Provenance.KEYFRAME)
    assert store.project.objects[tid].entries[5].box == Box(7, 7, 5, 5)
    store.undo()
    assert sorted(store.project.objects[tid].entries) == [0, 3]


def test_committed_callbacks_fire_for_edits_runs_undo_and_redo():
    store = make_store()
    fired = []
    store.committed.append(lambda: fired.append(1))
    store.execute(edits.add_object(store.project, frame=0, box=Box(0, 0, 5, 5))[0])
    store.begin_batch("run")
    store.apply_in_batch([edits.tracked_change(store.project, 1, 1, TrackResult(Box(1, 1, 5, 5), 0.9))])
    assert len(fired) == 1  # not per tracked frame
    store.end_batch()
    store.undo()
    store.redo()
    assert len(fired) == 4


def test_interpolation_fills_between_keyframes_and_keeps_inner_keyframes():
    store = make_store()
    cmd, tid = edits.add_object(store.project, frame=0, box=Box(0, 0, 10, 10))
    store.execute(cmd)
    store.execute(edits.set_keyframe(store.project, tid, 10, Box(100, 50, 20, 30)))
    store.execute(edits.set_keyframe(store.project, tid, 4, Box(40, 40, 10, 10)))
    store.execute(edits.interpolate(store.project, tid, 0, 10))
    obj = store.project.objects[tid]
    assert obj.entries[4].provenance is Provenance.KEYFRAME
    assert obj.entries[2].box == Box(20, 20, 10, 10)
    assert obj.entries[2].provenance is Provenance.INTERPOLATED
    b7 = obj.entries[7].box  # between 4 and 10: (7-4)/6 = 0.5
    assert (b7.x, b7.y, b7.w, b7.h) == pytest.approx((70, 45, 15, 20))
    with pytest.raises(StoreError):
        edits.interpolate(store.project, tid, 0, 12)


def test_labels_edit_keeps_labels_in_use():
    store = make_store()
    store.execute(edits.add_object(store.project, label="car")[0])
    store.execute(edits.set_labels(store.project, ["person", "bike"]))
    assert store.project.labels == ["person", "bike", "car"]
