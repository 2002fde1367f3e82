"""End-to-end tests that drive the real MainWindow offscreen: open a clip, draw, track in the
worker thread, correct and re-track, undo, save and reload, recover after a crash, cancel."""
from __future__ import annotations

import json
import threading

import pytest
from PySide6 import QtCore

from app.core.action_specs import ACTIONS
from app_fakes import FakeTracker, JumpyTracker
from tracker.project import Provenance, load_project
from tracker.types import Box

pytestmark = pytest.mark.gui


def open_clip(qtbot, w, path) -> None:
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)


def goto(qtbot, w, frame: int) -> None:
    w.seek(frame)
    qtbot.waitUntil(lambda: w.displayed_frame == frame, timeout=5000)


def activate(qtbot, w) -> None:
    """Shortcuts need an active window with the focus inside it, as for a user."""
    w.show()
    w.activateWindow()
    w.frame_view.setFocus()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)


def draw(w, box) -> None:
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*box))


def wait_run(qtbot, w, timeout=8000) -> None:
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=timeout)
    w.refresh()


def entries(w, tid=1):
    return w.store.project.objects[tid].entries


def track_n(qtbot, w, n: int, backward: bool = False) -> None:
    w.update_settings(track_range="frames", track_frames=n)
    w.actions["track_backward" if backward else "track_forward"].trigger()
    wait_run(qtbot, w)


def test_open_draw_and_track_20_frames_in_the_worker_thread(qtbot, make_window, square_video):
    path, truth = square_video
    trk = FakeTracker()
    w = make_window(trk)
    open_clip(qtbot, w, path)
    assert w.frame_count == 40
    draw(w, truth[0])
    assert w.selected == [1] and entries(w)[0].provenance is Provenance.KEYFRAME
    track_n(qtbot, w, 20)
    tracked = entries(w)
    assert sorted(tracked) == list(range(21))
    for f in range(1, 21):
        assert tracked[f].provenance is Provenance.TRACKED
        assert tracked[f].box.iou(Box(*truth[f])) > 0.8
    assert threading.get_ident() not in trk.thread_ids  # the engine ran off the GUI thread
    # follow: the window shows the last tracked frame, with the box stored for that frame
    qtbot.waitUntil(lambda: w.displayed_frame == 20)
    assert w.frame_view.boxes_shown() == {1: tracked[20].box}
    assert "fps" in w.status_speed.text() and w.status_device.text() == "FakeTracker on cpu"
    assert w.status_frame.text() == "Frame 20 / 39"
    assert w.actions["undo"].text() == "&Undo Track forward"
    w.actions["undo"].trigger()  # the whole run is one undo step
    assert sorted(entries(w)) == [0]


def test_correct_midway_retrack_shows_moved_boxes_and_undo(qtbot, make_window, square_video):
    path, truth = square_video
    trk = FakeTracker()
    w = make_window(trk)
    open_clip(qtbot, w, path)
    # one-sided: the shifted correction carries through every frame up to the next keyframe (two-sided
    # fill would pull the frames near keyframe 18 back to it: test_tracking_job covers that)
    w.update_settings(two_sided_fill=False)
    draw(w, truth[0])
    track_n(qtbot, w, 25)
    goto(qtbot, w, 18)
    w.frame_view.item(1).setPos((truth[18][0] + 1, truth[18][1]))  # a small drag: keyframe at 18
    w.frame_view.item(1).sigRegionChangeFinished.emit(w.frame_view.item(1))
    assert entries(w)[18].provenance is Provenance.KEYFRAME
    before = {f: entries(w)[f].box for f in range(11, 18)}
    goto(qtbot, w, 10)
    shifted = Box(truth[10][0] + 7, truth[10][1], 24, 24)
    w.frame_view.box_edited.emit(10, 1, shifted)  # what a drag of the box commits
    assert entries(w)[10].provenance is Provenance.KEYFRAME and entries(w)[10].box == shifted
    w.actions["retrack"].trigger()
    wait_run(qtbot, w)
    moved = w.tracking.moved_frames(1)
    assert moved == list(range(11, 18))  # up to, not including, the next keyframe
    for f in moved:
        assert entries(w)[f].box != before[f] and w.tracking.moved_from(1, f) == before[f]
    assert entries(w)[18].provenance is Provenance.KEYFRAME  # never overwritten
    assert entries(w)[20].box.iou(Box(*truth[20])) > 0.8  # beyond the next keyframe: untouched
    goto(qtbot, w, 12)
    displays = {d.track_id: d for d in w.box_displays(12)}
    assert displays[1].moved_from == before[12]  # the view draws the old box as a ghost
    w.actions["undo"].trigger()  # undo the re-track in one step
    assert {f: entries(w)[f].box for f in range(11, 18)} == before
    w.actions["undo"].trigger()  # undo the correction
    assert entries(w)[10].provenance is Provenance.TRACKED


def test_cancel_midway_stops_at_once_and_keeps_one_undo_step(qtbot, make_window, square_video):
    path, truth = square_video
    w = make_window(FakeTracker(delay=0.05))
    open_clip(qtbot, w, path)
    draw(w, truth[0])
    w.update_settings(track_range="end")
    activate(qtbot, w)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: len(entries(w)) >= 6, timeout=5000)
    qtbot.keyClick(w, QtCore.Qt.Key.Key_Escape)
    assert not w.controller.running  # at once, before the worker noticed
    count = len(entries(w))
    wait_run(qtbot, w)
    qtbot.wait(100)
    assert len(entries(w)) == count < 40  # nothing arrived after Esc
    assert "Cancelled" in w.track_panel.progress.format()
    w.actions["undo"].trigger()
    assert sorted(entries(w)) == [0]


def test_auto_pause_stops_on_a_confident_jump_and_says_so(qtbot, make_window, square_video):
    path, truth = square_video
    w = make_window(JumpyTracker(jump_at=5))
    open_clip(qtbot, w, path)
    w.update_settings(confidence_threshold=0.3, auto_pause=True, jump_limit=0.7)
    draw(w, truth[0])
    track_n(qtbot, w, 30)
    assert max(entries(w)) == 5
    qtbot.waitUntil(lambda: w.displayed_frame == 5)
    assert "Paused on frame 5 (#1: box jumped" in w.track_panel.message.text()


def test_auto_pause_flags_the_frame_and_continuing_reseeds_the_memory(qtbot, make_window, square_video):
    path, truth = square_video
    trk = FakeTracker(scores={8: 0.05})
    w = make_window(trk)
    open_clip(qtbot, w, path)
    w.update_settings(confidence_threshold=0.3, auto_pause=True)
    draw(w, truth[0])
    track_n(qtbot, w, 30)
    assert max(entries(w)) == 8
    qtbot.waitUntil(lambda: w.displayed_frame == 8)
    assert "Paused on frame 8" in w.track_panel.message.text()
    assert [d.low_confidence for d in w.box_displays(8)] == [True]
    assert 8 in w.timeline.rows[0].low_frames
    trk.calls.clear()
    w.frame_view.box_edited.emit(8, 1, Box(truth[8][0] + 1, truth[8][1], 24, 24))  # the correction
    track_n(qtbot, w, 5)
    assert "initialize" not in trk.call_names() and trk.calls[0][:3] == ("reseed", 1, 8)
    assert max(entries(w)) == 13


def test_save_reload_and_recovery_after_a_crash(qtbot, make_window, square_video, prompts, tmp_path):
    path, truth = square_video
    w = make_window(FakeTracker())
    open_clip(qtbot, w, path)
    draw(w, truth[0])
    track_n(qtbot, w, 5)
    saved = tmp_path / "work.json"
    prompts.answer("save_path", saved)
    w.actions["save"].trigger()
    assert saved.exists() and not w.store.dirty
    assert w.files.autosaver.flush()  # autosave writes and discards on its own thread
    assert not list((tmp_path / "recovery").glob("*.json"))  # a clean save removes the recovery file
    data = json.loads(saved.read_text())
    assert data["video"]["path"] == "square.mp4"  # relative to the project file
    # more work after the save, then a "crash": the window is never closed
    goto(qtbot, w, 5)
    w.frame_view.box_edited.emit(5, 1, Box(40, 40, 24, 24))
    w.edits.new_object()
    assert w.files.autosaver.flush()
    assert list((tmp_path / "recovery").glob("*.recovery.json"))
    on_disk = saved.read_text()
    # next start: opening the project offers the newer autosave
    w2 = make_window(FakeTracker(), settings_name="second.ini")
    prompts.answer("recover", "recover")
    open_clip(qtbot, w2, saved)
    assert ("recover" in prompts.kinds()) and w2.store.dirty
    assert entries(w2)[5].box == Box(40, 40, 24, 24) and sorted(w2.store.project.objects) == [1, 2]
    assert saved.read_text() == on_disk  # recovery never touches the project file
    # reload without recovery: what was saved
    w3 = make_window(FakeTracker(), settings_name="third.ini")
    prompts.answer("recover", "discard")
    open_clip(qtbot, w3, saved)
    assert sorted(entries(w3)) == list(range(6)) and not w3.store.dirty
    assert w3.files.autosaver.flush()
    assert not list((tmp_path / "recovery").glob("*.recovery.json"))


def test_startup_offers_recovery_of_another_document(qtbot, make_window, square_video, prompts):
    path, truth = square_video
    w = make_window(FakeTracker())
    open_clip(qtbot, w, path)
    draw(w, truth[0])  # never saved: the recovery is keyed by the video
    w2 = make_window(FakeTracker(), settings_name="second.ini")
    prompts.answer("recover", "recover")
    assert w2.files.offer_recoveries()
    qtbot.waitUntil(lambda: w2.displayed_frame == 0)
    assert entries(w2)[0].box == Box(*truth[0]) and w2.doc.project_path is None


def test_corrupt_project_and_missing_video_get_dialogs_and_nothing_is_overwritten(
        qtbot, make_window, square_video, prompts, tmp_path):
    path, truth = square_video
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "memtrack-project", "version": 1, "video": ')
    w = make_window(FakeTracker())
    assert not w.files.open_path(bad)
    assert prompts.asked[-1][0] == "error" and "bad.json" in prompts.asked[-1][2]
    assert bad.read_text().endswith('"video": ') and w.doc is None
    # a project whose video was moved: the user locates it; the file changes only on save
    open_clip(qtbot, w, path)
    draw(w, truth[0])
    project_file = tmp_path / "p.json"
    prompts.answer("save_path", project_file)
    w.files.save()
    moved = tmp_path / "moved.mp4"
    path.rename(moved)
    before = project_file.read_text()
    w2 = make_window(FakeTracker(), settings_name="second.ini")
    prompts.answer("locate", moved)
    open_clip(qtbot, w2, project_file)
    assert ("locate", str(path.resolve())) in prompts.asked
    assert w2.doc.video_path == moved.resolve() and w2.store.dirty
    assert project_file.read_text() == before
    w2.files.save()
    assert load_project(project_file).video.path == "moved.mp4"


def test_keyboard_shortcuts_are_exactly_the_issue_list_and_work(qtbot, make_window, square_video):
    expected = {"play": "Space", "prev": "Left", "next": "Right", "back10": "Shift+Left",
                "fwd10": "Shift+Right", "first": "Home", "last": "End", "track_forward": "T",
                "track_backward": "Shift+T", "delete_box": "Del", "undo": "Ctrl+Z", "redo": "Ctrl+Shift+Z",
                "save": "Ctrl+S", "cancel": "Esc", "next_suspicious": "N", "draw_mode": "D", "move_mode": "M",
                "open": "Ctrl+O", "quit": "Ctrl+Q", "new_object": "Ctrl+N", "mark_absent": "A", "fit": "Ctrl+0",
                "zoom_in": "Ctrl+=", "zoom_out": "Ctrl+-", "prev_keyframe": "Ctrl+Left", "next_keyframe": "Ctrl+Right",
                "hide_object": "H", "lock_object": "L", **{f"label_{i}": str(i) for i in range(1, 10)}}
    path, truth = square_video
    w = make_window(FakeTracker())
    got = {a.objectName(): a.shortcut().toString() for a in w.actions.values() if not a.shortcut().isEmpty()}
    assert got == expected and len(ACTIONS) == len(w.actions)
    open_clip(qtbot, w, path)
    activate(qtbot, w)
    draw(w, truth[0])
    K, M = QtCore.Qt.Key, QtCore.Qt.KeyboardModifier
    qtbot.keyClick(w, K.Key_Right)
    assert w.frame == 1
    qtbot.keyClick(w, K.Key_Right, M.ShiftModifier)
    assert w.frame == 11
    qtbot.keyClick(w, K.Key_End)
    assert w.frame == 39
    qtbot.keyClick(w, K.Key_Home)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    qtbot.keyClick(w, K.Key_Delete)
    assert 0 not in entries(w)
    qtbot.keyClick(w, K.Key_Z, M.ControlModifier)
    assert 0 in entries(w)
    qtbot.keyClick(w, K.Key_Z, M.ControlModifier | M.ShiftModifier)
    assert 0 not in entries(w)


def test_mouse_drag_draws_a_box_and_timeline_click_seeks(qtbot, make_window, square_video):
    from PySide6 import QtGui, QtWidgets

    path, truth = square_video
    w = make_window(FakeTracker())
    open_clip(qtbot, w, path)
    w.show()
    qtbot.waitExposed(w)
    view = w.frame_view
    start, end = view.map_image_to_widget(40, 30), view.map_image_to_widget(80, 70)
    vp = view.viewport()
    L = QtCore.Qt.MouseButton.LeftButton

    def send(kind, pos, buttons):
        local = QtCore.QPointF(pos)
        ev = QtGui.QMouseEvent(kind, local, vp.mapToGlobal(local), L, buttons, QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(vp, ev)

    send(QtCore.QEvent.Type.MouseButtonPress, start, L)
    for t in (0.3, 0.6, 1.0):
        send(QtCore.QEvent.Type.MouseMove, start + (end - start) * t, L)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, QtCore.Qt.MouseButton.NoButton)
    box = entries(w)[0].box
    assert box.x == pytest.approx(40, abs=1.5) and box.w == pytest.approx(40, abs=2)
    w.timeline.request_at(17.2, 0.5)
    qtbot.waitUntil(lambda: w.displayed_frame == 17)
    assert w.selected == [1] and w.player.slider.value() == 17


def test_interpolation_between_keyframes_and_timeline_rows(qtbot, make_window, square_video):
    path, truth = square_video
    w = make_window(FakeTracker())
    open_clip(qtbot, w, path)
    draw(w, (10, 10, 20, 20))
    goto(qtbot, w, 10)
    w.frame_view.box_edited.emit(10, 1, Box(30, 20, 20, 20))
    goto(qtbot, w, 4)
    w.actions["interpolate"].trigger()
    assert entries(w)[5].box == Box(20, 15, 20, 20) and entries(w)[5].provenance is Provenance.INTERPOLATED
    w.refresh()
    kinds = [(s.start, s.stop, s.kind) for s in w.timeline.rows[0].spans]
    assert kinds == [(0, 0, Provenance.KEYFRAME), (1, 9, Provenance.INTERPOLATED), (10, 10, Provenance.KEYFRAME)]
    w.actions["mark_absent"].trigger()
    assert entries(w)[4].absent
