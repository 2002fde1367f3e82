"""Playback, backward tracking, the follow toggle, settings that persist, the shortcut sheet."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from app.core.action_specs import shortcut_sheet
from app_fakes import FakeTracker
from tracker.project import Provenance
from tracker.types import Box

pytestmark = pytest.mark.gui


def opened(qtbot, make_window, path, tracker=None, **kw):
    w = make_window(tracker or FakeTracker(), **kw)
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    return w


def test_playback_advances_frames_and_space_toggles_it(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.update_settings(playback_speed=4.0)
    w.actions["play"].trigger()
    qtbot.waitUntil(lambda: w.displayed_frame >= 12, timeout=5000)
    w.actions["play"].trigger()
    stopped = w.frame
    qtbot.wait(150)
    assert w.frame == stopped and w.player.play_button.text() == "\u25b6"


def test_backward_tracking_with_follow_off(qtbot, make_window, square_video):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.seek(30)
    qtbot.waitUntil(lambda: w.displayed_frame == 30)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[30]))
    w.actions["follow"].trigger()  # off
    assert not w.settings.follow and not w.track_panel.follow.isChecked()
    w.update_settings(track_range="end")
    w.actions["track_backward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    entries = w.store.project.objects[1].entries
    assert sorted(entries) == list(range(31))
    assert all(entries[f].box.iou(Box(*truth[f])) > 0.8 for f in range(30))
    assert w.displayed_frame == 30  # follow off: the view stayed where the user was


def test_settings_persist_between_windows_and_shortcut_overrides_apply(qtbot, make_window, tmp_path):
    w = make_window(FakeTracker())
    w.track_panel.threshold.setValue(0.45)
    w.track_panel.range_combo.setCurrentIndex(1)
    w.update_settings(shortcuts={"track_forward": "G"}, device="cpu")
    w2 = make_window(FakeTracker())  # same settings file
    assert w2.settings.confidence_threshold == 0.45 and w2.settings.track_range == "next_keyframe"
    assert w2.settings.device == "cpu"
    assert w2.track_panel.threshold.value() == 0.45
    assert w2.actions["track_forward"].shortcut().toString() == "G"
    assert ("Track", "Track forward", "G") in shortcut_sheet(w2.settings.shortcuts)


def test_shortcut_sheet_lists_every_key(qtbot, make_window):
    from app.dialogs.shortcut_sheet import ShortcutSheet

    w = make_window(FakeTracker())
    sheet = ShortcutSheet({}, w)
    texts = {sheet.table.item(r, 2).text() for r in range(sheet.table.rowCount())}
    for key in ("Space", "Left", "Right", "Shift+Left", "Shift+Right", "Home", "End", "T", "Shift+T", "Delete",
                "Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+S", "Esc"):
        assert key in texts
    sheet.close()


def test_settings_dialog_round_trip(qtbot, make_window):
    from app.dialogs.settings_dialog import SettingsDialog

    w = make_window(FakeTracker())
    dialog = SettingsDialog(w.settings, w)
    dialog.threshold.setValue(0.6)
    dialog.device.setCurrentText("cpu")
    dialog.keys["track_backward"].setKeySequence("B")
    assert dialog.jump_limit.value() == 0.7  # the calibrated default (tracker.drift)
    dialog.jump_limit.setValue(0.0)
    new = dialog.result_settings()
    assert (new.confidence_threshold, new.device, new.shortcuts) == (0.6, "cpu", {"track_backward": "B"})
    assert new.jump_limit == 0.0 and dialog.jump_limit.text() == "off"
    dialog.close()


def test_deleting_a_track_asks_and_undo_restores(qtbot, make_window, square_video, prompts):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.edits.new_object()
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 70, 20, 20))
    assert sorted(w.store.project.objects) == [1, 2] and w.selected == [2]
    prompts.answer("confirm", False)
    w.actions["delete_track"].trigger()
    assert 2 in w.store.project.objects
    w.actions["delete_track"].trigger()
    assert sorted(w.store.project.objects) == [1]
    w.actions["undo"].trigger()
    assert w.store.project.objects[2].entries[0].provenance is Provenance.KEYFRAME
    w.objects.label_changed.emit(2, "car")
    assert w.store.project.objects[2].label == "car" and "car" in w.store.project.labels
    w.refresh()
    combo = w.objects.table.cellWidget(1, 2)
    assert isinstance(combo, QtWidgets.QComboBox) and combo.currentText() == "car"


def test_engine_preloads_on_open_and_a_run_started_meanwhile_waits_for_it(qtbot, make_window, square_video,
                                                                         prompts, tmp_path):
    import time as _time

    from app.application import create_window

    path, truth = square_video
    created = []

    def slow_factory(settings):
        _time.sleep(0.4)
        created.append(FakeTracker())
        return created[-1]

    w = create_window(str(tmp_path / "slow.ini"), tmp_path / "recovery", slow_factory, prompts)
    qtbot.addWidget(w)
    try:
        assert w.files.open_path(path)
        qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
        w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
        w.update_settings(track_range="frames", track_frames=5)
        w.actions["track_forward"].trigger()  # while the engine is still loading
        assert w.controller.running
        qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
        assert len(created) == 1 and sorted(w.store.project.objects[1].entries) == list(range(6))
        assert w.status_device.text() == "FakeTracker on cpu"
    finally:
        w.controller.shutdown(5000)


def test_a_label_with_a_newline_is_refused_with_a_message(qtbot, make_window, square_video, prompts):
    path, truth = square_video
    w = opened(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    labels_before, label_before = list(w.store.project.labels), w.store.project.objects[1].label
    w.objects.label_changed.emit(1, "car\nperson")
    assert w.store.project.objects[1].label == label_before and w.store.project.labels == labels_before
    assert "control character U+000A" in w.statusBar().currentMessage()
    prompts.answer("text_list", ["car", "bad\x00label"])
    w.edits.edit_labels()
    assert w.store.project.labels == labels_before
    assert "control character U+0000" in w.statusBar().currentMessage()


def test_a_frame_of_another_size_stops_tracking_with_its_one_line(qtbot, make_window, prompts, tmp_path):
    import cv2
    import numpy as np

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(6):
        size = (120, 160) if i != 3 else (100, 160)  # frame 3 is shorter: the folder's size is mixed
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((*size, 3), 30 * i, np.uint8))
    w = opened(qtbot, make_window, folder)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(20, 20, 30, 30))
    w.update_settings(track_range="end")
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    errors = [a for a in prompts.asked if a[0] == "error"]
    assert len(errors) == 1 and errors[0][1] == "Tracking failed"
    assert prompts.error_details == [f"{folder / '003.png'}: image is 160x100 but 000.png is 160x120; all frames "
                                     "of a folder must have one size"]
    assert sorted(w.store.project.objects[1].entries) == [0, 1, 2]  # the frames before it are kept


def test_correction_strategy_setting_offers_every_strategy_persists_and_drives_the_reseed(
        qtbot, make_window, square_video):
    from tracker import CORRECTION_STRATEGIES, DEFAULT_CORRECTION_STRATEGY

    path, truth = square_video
    trk = FakeTracker(scores={8: 0.05})
    w = opened(qtbot, make_window, path, trk)
    combo = w.track_panel.strategy_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(CORRECTION_STRATEGIES)
    assert w.settings.correction_strategy == DEFAULT_CORRECTION_STRATEGY == combo.currentData()
    other = next(n for n in CORRECTION_STRATEGIES if n != DEFAULT_CORRECTION_STRATEGY)
    combo.setCurrentIndex(list(CORRECTION_STRATEGIES).index(other))
    assert w.settings.correction_strategy == other
    w.update_settings(confidence_threshold=0.3, auto_pause=True, track_range="frames", track_frames=30)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    qtbot.waitUntil(lambda: w.displayed_frame == 8, timeout=5000)  # paused on the low score
    trk.calls.clear()
    w.frame_view.box_edited.emit(8, 1, Box(truth[8][0] + 1, truth[8][1], 24, 24))  # the correction
    w.update_settings(track_frames=3)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    assert trk.calls[0][0] == "reseed" and trk.calls[0][4] == other
    w2 = make_window(FakeTracker())  # same settings file
    assert w2.settings.correction_strategy == other and w2.track_panel.strategy_combo.currentData() == other
