"""What the GUI thread redraws (counted, not timed): an edit redraws the edited object's timeline
row only, whatever the project's size; the current-frame views are drawn once per new input, not
once per signal; a burst of displayed frames is coalesced to the first and the last."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from app_fakes import FakeTracker
from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef, save_project
from tracker.types import Box

pytestmark = pytest.mark.gui


def _open_project(qtbot, make_window, square_video, tmp_path, objects: int = 3):
    """A window on a project of ``objects`` objects tracked on every frame of the clip."""
    path, _truth = square_video
    project = Project(video=VideoRef(str(path), 40, 160, 120, 25.0))
    colors = ("#e6194b", "#3cb44b", "#4363d8", "#f58231")
    for tid in range(1, objects + 1):
        entries = {f: BoxEntry(Box(10 + 20 * tid, 10 + f, 20, 20), Provenance.TRACKED, 0.9) for f in range(40)}
        entries[0] = BoxEntry(Box(10 + 20 * tid, 10, 20, 20), Provenance.KEYFRAME)
        project.objects[tid] = TrackObject(tid, "object", colors[tid - 1], entries)
    file = tmp_path / "three.memtrack.json"
    save_project(file, project)
    w = make_window(FakeTracker())
    w.show()
    assert w.files.open_path(file)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    qtbot.waitUntil(lambda: len(w.timeline.rows) == objects, timeout=5000)
    return w


def test_an_edit_redraws_only_the_edited_objects_timeline_row(qtbot, make_window, square_video, tmp_path):
    w = _open_project(qtbot, make_window, square_video, tmp_path)
    w.seek(5)
    qtbot.waitUntil(lambda: w.displayed_frame == 5, timeout=5000)
    w.set_selection([2])  # the edit selects object 2: select it first, so the edit changes nothing else
    qtbot.wait(300)  # the coalesced refresh (and a first paint of every row) settle
    rows = w.timeline._rows
    assert sorted(rows) == [1, 2, 3]
    qtbot.waitUntil(lambda: all(r.item.paints > 0 for r in rows.values()), timeout=3000)
    paints = {tid: r.item.paints for tid, r in rows.items()}
    w.timeline.row_updates.clear()
    computed = w.navigation.rows.computed

    w.frame_view.box_edited.emit(5, 2, Box(55.0, 16.0, 20.0, 20.0))  # a box drag's end on frame 5
    qtbot.waitUntil(lambda: w.store.project.objects[2].entries[5].provenance is Provenance.KEYFRAME)
    qtbot.waitUntil(lambda: w.timeline.row_updates == [2], timeout=3000)
    qtbot.waitUntil(lambda: rows[2].item.paints > paints[2], timeout=3000)  # drawn again (into its cache)
    qtbot.wait(300)
    assert w.timeline.row_updates == [2]  # no other row was rebuilt ...
    assert rows[1].item.paints == paints[1] and rows[3].item.paints == paints[3]  # ... nor drawn again
    assert w.navigation.rows.computed - computed == 2  # the edited object's timeline row and summary
    assert [s.start for s in w.timeline.rows[1].spans if s.kind is Provenance.KEYFRAME] == [0, 5]

    # a new object shifts nothing above it and draws only its own row
    w.timeline.row_updates.clear()
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 60, 30, 30))
    qtbot.waitUntil(lambda: len(w.timeline.rows) == 4, timeout=3000)
    qtbot.wait(300)
    assert w.timeline.row_updates == [4]
    # undo removes it again: its row's items go, the others stay as they were
    w.actions["undo"].trigger()
    qtbot.waitUntil(lambda: len(w.timeline.rows) == 3, timeout=3000)
    assert sorted(w.timeline._rows) == [1, 2, 3] and w.timeline.row_updates == [4]


def test_the_current_frame_views_are_drawn_once_per_new_input(qtbot, make_window, square_video):
    """While a run is followed, frame_tracked, store_changed and frame_displayed all ask for an
    update; the overlay and the panels are drawn when what they show changed, not per request."""
    path, truth = square_video
    w = make_window(FakeTracker(delay=0.02))
    w.show()
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    qtbot.wait(100)
    displayed: list[int] = []
    w.session.frame_displayed.connect(displayed.append)
    renders = w.insight.frame_renders
    w.update_settings(track_range="frames", track_frames=20, follow=True)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    qtbot.waitUntil(lambda: w.displayed_frame == 20, timeout=3000)
    qtbot.wait(300)
    assert w.insight.shown == (1, 20)  # the views show the last tracked frame
    drawn = w.insight.frame_renders - renders
    # once per displayed frame, plus the run's start and end (the memory panel's editable state)
    assert 0 < drawn <= len(displayed) + 2, (drawn, displayed)
    # asking again with nothing changed draws nothing
    before = w.insight.frame_renders
    for _ in range(3):
        w.insight.update()
    assert w.insight.frame_renders == before


def test_a_burst_of_displayed_frames_draws_the_first_and_the_last(qtbot, make_window, square_video):
    path, truth = square_video
    w = make_window(FakeTracker())
    w.show()
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    for k in range(1, 12):  # decoded once, so the burst below shows each frame at once
        w.seek(k)
        qtbot.waitUntil(lambda k=k: w.displayed_frame == k, timeout=5000)
    assert all(w.loader.get(k) is not None for k in range(1, 12))
    qtbot.wait(200)
    shown: list[tuple] = []
    real = w.insight._show_frame
    w.insight._show_frame = lambda tid, frame: (shown.append((tid, frame)), real(tid, frame))[1]
    now = w.insight._clock()
    w.insight._clock = lambda: now  # the burst takes no time, however slow the machine
    for k in range(1, 11):  # ten frames on screen within one pass of the event loop
        w.seek(k)
        assert w.displayed_frame == k
    w.insight._clock = lambda: now + 1.0
    qtbot.waitUntil(lambda: len(shown) >= 2, timeout=3000)
    qtbot.wait(150)
    assert shown == [(1, 1), (1, 10)]  # the intermediate frames are dropped, the last one is shown
    assert w.insight.shown == (1, 10)
