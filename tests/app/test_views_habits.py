"""The window as a professional annotator needs it: the attention overlay on a fixed range with an
opacity control, truthful memory and diagnostics messages, undecodable frames, box dragging and
draw/move modes, shortcut conflicts, keyboard focus and filling to the next keyframe."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from app.views.attention_overlay import FLAT_RATIO, AttentionOverlay, heat_rgba, peak_ratio
from app_fakes import FakeTracker
from tracker.types import Box

pytestmark = pytest.mark.gui


def opened(qtbot, make_window, path, tracker=None, **kw):
    w = make_window(tracker or FakeTracker(), **kw)
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    return w


# ---------------------------------------------------------------------- 6: the attention overlay
def test_attention_heat_is_on_a_fixed_range_and_a_flat_map_draws_nothing(qtbot):
    n = 16
    flat = np.full((n, n), 1.0 / n**2)
    flat[0, 0] *= 1.3  # nearly flat: its own min..max stretch would have made this a solid wash
    assert peak_ratio(flat) < FLAT_RATIO
    peaked = np.full((n, n), 0.5 / (n * n - 1))
    peaked[5, 7] = 0.5
    # fixed range: the uniform cells of a peaked map are transparent, the peak is at full opacity
    rgba = heat_rgba(peaked, opacity=0.5)
    assert rgba[5, 7, 3] == int(255 * 0.5) and rgba[0, 0, 3] == 0
    assert heat_rgba(peaked, opacity=1.0)[5, 7, 3] == 255
    # the same map at twice the weights (it is not normalised) looks the same: scale-free
    assert np.array_equal(heat_rgba(peaked * 2, 0.5), rgba)
    overlay = AttentionOverlay()
    grid, search = Box(10, 10, 40, 40), Box(0, 0, 60, 60)
    overlay.show(flat, grid, search, (30, 30), opacity=0.8)
    assert overlay.visible and overlay.flat and overlay.shown_rgba is None
    assert not overlay.image.isVisible() and overlay.flat_label.isVisible()
    assert overlay.outline.isVisible()  # the search region is still outlined
    overlay.show(peaked, grid, search, (30, 30), opacity=0.8)
    assert not overlay.flat and overlay.image.isVisible() and not overlay.flat_label.isVisible()
    assert overlay.shown_rgba[..., 3].max() == int(255 * 0.8)


def test_overlay_opacity_slider_persists_in_the_settings(qtbot, make_window):
    w = make_window(FakeTracker())
    assert w.maps.opacity.value() == round(w.settings.attention_opacity * 100)
    w.maps.opacity.setValue(30)
    assert w.settings.attention_opacity == pytest.approx(0.30)
    w2 = make_window(FakeTracker())  # same settings file
    assert w2.settings.attention_opacity == pytest.approx(0.30) and w2.maps.opacity.value() == 30


# ---------------------------------------------------------------------- 7, 8: truthful memory panel
class MemoryFake(FakeTracker):
    """FakeTracker with memory introspection: slot 0 holds the frame the target was last seeded on."""

    def _seed(self, target_id, frame_index):
        self._targets[target_id]["seeded"] = frame_index

    def initialize(self, frame, box, target_id=0, frame_index=0):
        super().initialize(frame, box, target_id, frame_index)
        self._seed(target_id, frame_index)

    def reseed(self, frame, box, mode="update", target_id=0, frame_index=None):
        super().reseed(frame, box, mode, target_id, frame_index)
        self._seed(target_id, frame_index)

    def memory_slots(self, target_id=0):
        seeded = self._targets[target_id]["seeded"]
        return [{"frame": seeded, "pinned": False, "usage": 1.0, "crop": None},
                {"frame": None, "pinned": False, "usage": 0.0, "crop": None}]

    def pin_slot(self, slot, pinned=True, target_id=0):
        pass

    def evict_slot(self, slot, target_id=0):
        pass

    def set_writes_frozen(self, frozen, target_id=0):
        pass


def run_frames(qtbot, w, n):
    w.update_settings(track_range="frames", track_frames=n, auto_pause=False)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=10000)


def show(qtbot, w, frame):
    w.seek(frame)
    qtbot.waitUntil(lambda: w.displayed_frame == frame, timeout=5000)
    w.insight.update()
    return w.memory_panel.view


def test_memory_at_a_corrected_keyframe_is_the_memory_after_reseeding(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path, MemoryFake())
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    run_frames(qtbot, w, 10)
    view = show(qtbot, w, 5)
    assert [c.source for c in view.cards] == [0, None]  # tracked: the memory seeded on frame 0
    w.frame_view.box_edited.emit(5, 1, Box(truth[5][0] + 2, truth[5][1], 24, 24))  # the correction
    view = show(qtbot, w, 5)
    # the recorded memory is from before the correction: not shown as "after re-seeding"
    assert view.cards == () and "corrected after a run tracked this frame" in view.message
    run_frames(qtbot, w, 3)  # a run from the keyframe re-seeds there and records the memory after it
    view = show(qtbot, w, 5)
    assert [c.source for c in view.cards] == [5, None]
    assert "after re-seeding here" in view.message
    w.actions["undo"].trigger()  # the run
    w.actions["undo"].trigger()  # the correction: the memory after re-seeding is not the tracked frame's
    view = show(qtbot, w, 5)
    assert view.cards == ()


def test_frames_tracked_in_an_earlier_session_say_so(qtbot, make_window, square_video, prompts, tmp_path):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    run_frames(qtbot, w, 6)
    project = tmp_path / "p.json"
    prompts.answer("save_path", project)
    w.actions["save"].trigger()
    assert project.exists()
    w2 = make_window(FakeTracker(), settings_name="other.ini")
    assert w2.files.open_path(project)
    qtbot.waitUntil(lambda: w2.displayed_frame == 0, timeout=5000)
    w2.set_selection([1])
    show(qtbot, w2, 3)
    message = w2.memory_panel.view.message
    assert "tracked in an earlier session" in message and "not tracked" not in message
    assert "tracked in an earlier session" in w2.maps.caption.text()


# ---------------------------------------------------------------------- 10: undecodable frames
def test_an_undecodable_frame_shows_an_error_state_and_refuses_drawing(qtbot, make_window, tmp_path):
    import cv2

    from app_fakes import moving_square_frames

    frames, boxes = moving_square_frames(n=8)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    (folder / "0004.png").write_bytes(b"not an image")
    w = opened(qtbot, make_window, folder)
    w.seek(4)
    qtbot.waitUntil(lambda: w.frame_view.error_frame == 4, timeout=5000)
    assert w.displayed_frame is None and w.session.displayed_frame is None
    assert "cannot be decoded" in w.status_frame.text()
    assert w.frame_view.error_label.isVisible() and "Frame 4 cannot be decoded" in w.frame_view.error_label.toPlainText()
    assert w.frame_view.boxes_shown() == {}
    w.frame_view.commit_drawn_rect(QtCore.QRectF(10, 10, 30, 30))
    assert not w.store.project.objects  # nothing drawn on frame 3 (the last image) or anywhere
    assert "cannot be decoded" in w.statusBar().currentMessage()
    w.seek(5)  # the next frame shows normally again
    qtbot.waitUntil(lambda: w.displayed_frame == 5, timeout=5000)
    assert w.frame_view.error_frame is None and not w.frame_view.error_label.isVisible()
    assert "cannot be decoded" not in w.status_frame.text()


def test_drawing_while_the_requested_frame_decodes_is_refused(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.frame_view.set_requested(20)  # the counter moved on; frame 0's image is still on screen
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    assert not w.store.project.objects and "still being decoded" in w.statusBar().currentMessage()
    w.seek(20)
    qtbot.waitUntil(lambda: w.displayed_frame == 20, timeout=5000)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[20]))
    assert list(w.store.project.objects[1].entries) == [20]


# ---------------------------------------------------------------------- 11: dragging, draw and move modes
def drag(w, start_xy, end_xy, steps=(0.3, 0.6, 1.0)):
    from PySide6 import QtGui, QtWidgets

    view = w.frame_view
    start, end = view.map_image_to_widget(*start_xy), view.map_image_to_widget(*end_xy)
    vp = view.viewport()
    L = QtCore.Qt.MouseButton.LeftButton

    def send(kind, pos, buttons):
        local = QtCore.QPointF(pos)
        ev = QtGui.QMouseEvent(kind, local, vp.mapToGlobal(local), L, buttons, QtCore.Qt.KeyboardModifier.NoModifier)
        QtWidgets.QApplication.sendEvent(vp, ev)

    send(QtCore.QEvent.Type.MouseButtonPress, start, L)
    for t in steps:
        send(QtCore.QEvent.Type.MouseMove, start + (end - start) * t, L)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, QtCore.Qt.MouseButton.NoButton)


def shown_window(qtbot, make_window, path):
    w = opened(qtbot, make_window, path)
    w.resize(900, 700)
    w.show()
    qtbot.waitExposed(w)
    w.frame_view.fit()
    return w


def test_a_box_dragged_past_the_edge_stays_inside_the_frame(qtbot, make_window, square_video):
    path, truth = square_video
    w = shown_window(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 40, 30, 30))
    qtbot.waitUntil(lambda: w.frame_view.item(1) is not None)
    drag(w, (115, 55), (200, 55))  # 85 px to the right: the frame is 160 wide
    box = w.store.project.objects[1].entries[0].box
    assert box.x + box.w <= 160.0 and box.w == pytest.approx(30, abs=0.5)
    assert box.x > 110  # it moved right, as far as the frame allows
    # an edit that would end outside (as a script or a handle could send it) is clipped
    w.frame_view._on_item_edited(1, Box(150, 100, 30, 30))
    box = w.store.project.objects[1].entries[0].box
    assert (box.x, box.y, box.w, box.h) == (150, 100, 10, 20)


def test_draw_mode_draws_inside_a_box_and_move_mode_never_draws(qtbot, make_window, square_video):
    path, truth = square_video
    w = shown_window(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(20, 20, 80, 80))
    qtbot.waitUntil(lambda: w.frame_view.item(1) is not None)
    w.actions["draw_mode"].trigger()
    assert w.frame_view.mode == "draw" and "Draw mode" in w.statusBar().currentMessage()
    w.set_selection([])
    drag(w, (40, 40), (70, 70))  # starts inside #1: draws a new object instead of moving #1
    assert sorted(w.store.project.objects) == [1, 2]
    assert w.store.project.objects[1].entries[0].box == Box(20, 20, 80, 80)
    assert w.store.project.objects[2].entries[0].box.x == pytest.approx(40, abs=1.5)
    w.actions["move_mode"].trigger()  # exclusive: draw mode is off
    assert w.frame_view.mode == "move" and not w.actions["draw_mode"].isChecked()
    drag(w, (110, 10), (150, 40))  # outside every box: pans, never draws
    assert sorted(w.store.project.objects) == [1, 2]
    w.actions["move_mode"].trigger()
    assert w.frame_view.mode == "edit"


# ---------------------------------------------------------------------- 14: conflicting shortcuts
def test_conflicting_shortcuts_are_refused_in_the_settings_dialog(qtbot, make_window):
    from PySide6 import QtGui

    from app.core.action_specs import shortcut_conflicts
    from app.dialogs.settings_dialog import SettingsDialog

    assert shortcut_conflicts({"quit": "T", "track_forward": "T", "play": "Space"}) == [
        ("T", ("quit", "track_forward"))]
    assert shortcut_conflicts({"quit": "Ctrl+K", "save": "Ctrl+K, S"}) == [("Ctrl+K", ("save", "quit"))]
    assert shortcut_conflicts({"quit": "Ctrl+Q", "play": "Space", "next": ""}) == []
    w = make_window(FakeTracker())
    dialog = SettingsDialog(w.settings, w)
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled() and not dialog.conflicts()  # the defaults do not conflict
    dialog.keys["quit"].setKeySequence(QtGui.QKeySequence("T"))
    assert dialog.conflicts() == [("T", ("quit", "track_forward"))]
    assert not dialog.ok_button.isEnabled() and not dialog.conflicts_label.isHidden()
    assert "Quit" in dialog.conflicts_label.text() and "Track forward" in dialog.conflicts_label.text()
    dialog.accept()  # refused
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.tabs.currentIndex() == 1
    dialog.keys["quit"].setKeySequence(QtGui.QKeySequence("Ctrl+Shift+Q"))
    assert dialog.ok_button.isEnabled() and dialog.conflicts_label.isHidden()
    assert dialog.result_settings().shortcuts == {"quit": "Ctrl+Shift+Q"}


# ---------------------------------------------------------------------- 15: keyboard focus
def test_the_frames_and_threshold_boxes_take_keyboard_focus(qtbot, make_window):
    w = make_window(FakeTracker())
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    panel = w.track_panel
    panel.range_combo.setCurrentIndex(2)  # for N frames
    assert w.settings.track_range == "frames" and panel.frames_spin.isEnabled()
    for spin in (panel.frames_spin, panel.threshold):
        assert spin.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus
        assert spin.focusPolicy() & QtCore.Qt.FocusPolicy.ClickFocus
    panel.frames_spin.setFocus()
    qtbot.waitUntil(panel.frames_spin.hasFocus)
    panel.frames_spin.lineEdit().selectAll()
    qtbot.keyClicks(panel.frames_spin, "75")
    qtbot.keyClick(panel.frames_spin, QtCore.Qt.Key.Key_Return)
    assert w.settings.track_frames == 75 and not panel.frames_spin.hasFocus()
    panel.threshold.setFocus()
    qtbot.waitUntil(panel.threshold.hasFocus)
    panel.threshold.lineEdit().selectAll()
    qtbot.keyClicks(panel.threshold, "0.35")
    qtbot.keyClick(panel.threshold, QtCore.Qt.Key.Key_Return)
    assert w.settings.confidence_threshold == pytest.approx(0.35)


# ---------------------------------------------------------------------- 16: to the next keyframe
def test_to_the_next_keyframe_asks_before_overwriting_earlier_results(qtbot, make_window, square_video, prompts):
    from app.controllers.track import KEEP_EARLIER, OVERWRITE_EARLIER
    from tracker.project import Provenance

    path, truth = square_video
    fake = FakeTracker()
    w = opened(qtbot, make_window, path, fake)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.seek(10)
    qtbot.waitUntil(lambda: w.displayed_frame == 10)
    w.frame_view.box_edited.emit(10, 1, Box(*truth[10]))  # keyframe 10
    w.update_settings(track_range="end", two_sided_fill=False, auto_pause=False)
    w.actions["track_backward"].trigger()  # frames 9..1 tracked backward from keyframe 10
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    entries = w.store.project.objects[1].entries
    backward = {f: entries[f] for f in range(1, 10)}
    assert all(e.provenance is Provenance.TRACKED for e in backward.values())
    fake.scores = {f: 0.42 for f in range(1, 10)}  # the forward run's results are recognisable
    w.seek(0)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    w.update_settings(track_range="next_keyframe")
    prompts.answer("choose", None)  # cancelled: nothing runs
    w.actions["track_forward"].trigger()
    assert not w.controller.busy and "not started" in w.statusBar().currentMessage()
    assert {f: w.store.project.objects[1].entries[f] for f in range(1, 10)} == backward
    prompts.answer("choose", KEEP_EARLIER)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    entries = w.store.project.objects[1].entries
    assert {f: entries[f] for f in range(1, 10)} == backward  # the backward results are kept
    assert entries[0].is_keyframe and entries[10].is_keyframe
    w.seek(0)  # follow moved the view along the run
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    prompts.answer("choose", OVERWRITE_EARLIER)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    entries = w.store.project.objects[1].entries
    assert [entries[f].score for f in range(1, 10)] == pytest.approx([0.42] * 9)
    assert entries[10].is_keyframe  # keyframes are never overwritten


# ---------------------------------------------------------------------- 9: layout and stale messages
def test_plots_scroll_instead_of_squashing_and_stale_run_messages_go(qtbot, make_window, square_video, tmp_path):
    from PySide6 import QtWidgets

    from app.views.insight_plots import MIN_PLOT_HEIGHT
    import cv2

    from app_fakes import moving_square_frames

    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    w.plots_dock.raise_()
    qtbot.waitUntil(lambda: w.plots.isVisible())
    assert isinstance(w.plots_dock.widget(), QtWidgets.QScrollArea)
    assert all(p.geometry().height() >= MIN_PLOT_HEIGHT - 1 for p in w.plots.plots.values())
    # a paused run's message goes when the run is undone
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.update_settings(track_range="frames", track_frames=5, auto_pause=False)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    assert "Tracked 5 frames" in w.track_panel.progress.format()
    assert "Tracked" in w.statusBar().currentMessage()
    w.actions["undo"].trigger()
    assert w.track_panel.progress.format() == "idle" and "Tracked" not in w.statusBar().currentMessage()
    w.actions["redo"].trigger()
    w.seek(3)
    w.track_panel.set_message("Paused on frame 3 ...")
    w.statusBar().showMessage("Paused on frame 3 ...")
    frames, _ = moving_square_frames(n=5)
    other = tmp_path / "other.mp4"
    writer = cv2.VideoWriter(str(other), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (160, 120))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    w.prompts.answer("save_changes", "discard")
    assert w.files.open_path(other)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    assert w.track_panel.message.text() == "" and "Paused" not in w.statusBar().currentMessage()
    assert w.track_panel.progress.format() == "idle"


# ---------------------------------------------------------------------- 13: keys
def test_keyframe_keys_jump_between_keyframes_and_the_new_keys_work(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.show()
    qtbot.waitExposed(w)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    for f in (12, 30):
        w.seek(f)
        qtbot.waitUntil(lambda: w.displayed_frame == f)
        w.frame_view.box_edited.emit(f, 1, Box(*truth[f]))
    w.seek(5)
    qtbot.waitUntil(lambda: w.displayed_frame == 5)
    w.frame_view.setFocus()
    ctrl = QtCore.Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_Right, ctrl)
    assert w.frame == 12
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_Right, ctrl)
    assert w.frame == 30
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_Left, ctrl)
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_Left, ctrl)
    assert w.frame == 0
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_A)  # mark absent
    assert w.store.project.objects[1].entries[0].box is None
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_D)
    assert w.frame_view.mode == "draw"


# ---------------------------------------------------------------------- 12: labels by number keys
def test_number_keys_give_labels_to_the_selection_and_to_new_boxes(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.frame_view.setFocus()
    qtbot.waitUntil(w.frame_view.hasFocus)
    w.store.project.labels[:] = ["person", "car", "bike"]
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    assert w.store.project.objects[1].label == "person" and w.selected == [1]
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_2)
    assert w.store.project.objects[1].label == "car", w.statusBar().currentMessage()
    w.actions["undo"].trigger()
    assert w.store.project.objects[1].label == "person"
    w.set_selection([])
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_3)  # nothing selected: the label for the next box
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 60, 30, 30))
    assert w.store.project.objects[2].label == "bike"
    qtbot.keyClick(w.frame_view, QtCore.Qt.Key.Key_7)
    assert "no label 7" in w.statusBar().currentMessage()


def test_memory_cards_reflow_so_no_column_is_cut(qtbot):
    from app.views.memory_panel import MemoryPanel

    panel = MemoryPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.columns == 3
    right = lambda: max(c.mapTo(panel, c.rect().topRight()).x() for c in panel.cards)  # noqa: E731
    qtbot.wait(50)
    assert right() <= panel.width(), (right(), panel.width(), panel.minimumSizeHint())
    panel.resize(640, 700)
    qtbot.waitUntil(lambda: panel.columns == 4)


def test_the_timeline_without_a_video_shows_no_stray_axis(qtbot, make_window, square_video):
    w = make_window(FakeTracker())
    axis = w.timeline.getPlotItem().getAxis("bottom")
    assert not axis.autoSIPrefix and axis.labelText == "frame" and not axis.style["showValues"]
    path, _ = square_video
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    assert axis.style["showValues"]
