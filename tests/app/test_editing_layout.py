"""Issue 14's editing and layout items: box labels that never overlap, an object list with at
least 8 rows at 1366x768, the label picker after drawing, hiding and locking objects (saved,
undoable), imports that can be cancelled midway, and the tracker threads setting."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6 import QtCore, QtWidgets

from app.core import edits
from app_fakes import FakeTracker
from test_views_habits import drag, opened, shown_window
from tracker.project import Project, VideoRef, load_project, project_from_dict, project_to_dict, save_project
from tracker.types import Box

pytestmark = pytest.mark.gui


# ---------------------------------------------------------------------- 1: label layout
def test_labels_of_overlapping_boxes_do_not_overlap_and_stay_in_the_view(qtbot, make_window, square_video):
    path, _ = square_video
    w = shown_window(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(40, 40, 30, 30))
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(42, 42, 30, 30))  # almost the same place
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(2, 1, 20, 20))  # at the frame's top-left corner
    qtbot.waitUntil(lambda: len(w.frame_view.label_rects) == 3)
    rects = w.frame_view.label_rects
    assert not rects[1].intersects(rects[2]) and not rects[1].intersects(rects[3])
    assert not rects[2].intersects(rects[3])
    view = w.frame_view.vb.sceneBoundingRect()
    assert all(view.contains(r) for r in rects.values())
    for tid, rect in rects.items():  # the labels are drawn where the layout put them
        label = w.frame_view.item(tid).label
        assert label.mapToScene(QtCore.QPointF(0, 0)).toTuple() == pytest.approx(rect.topLeft().toTuple(), abs=1.0)
        assert label.toPlainText().startswith(f"#{tid} ")
    # zooming lays them out again: still apart
    w.frame_view.zoom(1.5)
    w.frame_view.layout_labels()
    rects = w.frame_view.label_rects
    assert not rects[1].intersects(rects[2])


# ---------------------------------------------------------------------- 2: object list rows
def _window_with_15_objects_at_1366x768(qtbot, make_window, path):
    w = opened(qtbot, make_window, path)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    for i in range(15):
        w.set_selection([])
        w.frame_view.commit_drawn_rect(QtCore.QRectF(2 + 9 * i, 2 + 6 * i, 12, 12))
    w.refresh()
    return w


def test_the_object_list_shows_at_least_8_rows_at_1366x768(qtbot, make_window, square_video):
    w = _window_with_15_objects_at_1366x768(qtbot, make_window, square_video[0])
    table = w.objects.table
    qtbot.waitUntil(lambda: table.rowCount() == 15)
    assert w.size() == QtCore.QSize(1366, 768) and w.objects_dock.isVisible()
    viewport = table.viewport().rect()
    visible = [r for r in range(table.rowCount()) if viewport.contains(table.visualRect(table.model().index(r, 1)))]
    assert len(visible) >= 8, (len(visible), viewport, table.rowHeight(0))
    assert w.track_dock.isVisible() and w.track_panel.height() >= w.track_panel.minimumSizeHint().height()


def test_many_objects_scroll_the_timeline_instead_of_squeezing_their_rows(qtbot, make_window, square_video):
    from app.views.timeline_view import MIN_ROW_HEIGHT

    w = _window_with_15_objects_at_1366x768(qtbot, make_window, square_video[0])
    qtbot.waitUntil(lambda: len(w.timeline.rows) == 15)
    scroll = w.timeline_dock.widget()
    assert isinstance(scroll, QtWidgets.QScrollArea) and scroll.widget() is w.timeline
    # each row keeps room for its caption; the dock (190 px) is lower, so it scrolls
    y0 = w.timeline.getPlotItem().getViewBox().mapViewToScene(QtCore.QPointF(0, 0)).y()
    y1 = w.timeline.getPlotItem().getViewBox().mapViewToScene(QtCore.QPointF(0, 1)).y()
    assert abs(y1 - y0) >= MIN_ROW_HEIGHT * 0.9
    assert scroll.verticalScrollBar().maximum() > 0


# ---------------------------------------------------------------------- 3: the label picker
def test_label_picker_filters_takes_enter_and_keeps_the_default_on_esc(qtbot):
    from app.dialogs.label_picker import LabelPicker

    picker = LabelPicker(["car", "person", "cat"], "person")
    qtbot.addWidget(picker)
    assert picker.edit.text() == "person" and picker.edit.selectedText() == "person"
    assert picker.highlighted() == "person"
    qtbot.keyClicks(picker.edit, "ca")  # replaces the selected default
    assert picker.visible_labels() == ["car", "cat"] and picker.highlighted() == "car"
    qtbot.keyClick(picker.edit, QtCore.Qt.Key.Key_Down)
    qtbot.keyClick(picker.edit, QtCore.Qt.Key.Key_Return)
    assert picker.chosen == "cat" and picker.result() == QtWidgets.QDialog.DialogCode.Accepted
    picker = LabelPicker(["car", "person"], "person")
    qtbot.addWidget(picker)
    qtbot.keyClicks(picker.edit, "truck")  # a new label
    assert picker.visible_labels() == []
    qtbot.keyClick(picker.edit, QtCore.Qt.Key.Key_Return)
    assert picker.chosen == "truck"
    picker = LabelPicker(["car", "person"], "person")
    qtbot.addWidget(picker)
    qtbot.keyClicks(picker.edit, "c")
    qtbot.keyClick(picker.edit, QtCore.Qt.Key.Key_Escape)
    assert picker.chosen == "person"


def test_the_real_picker_opens_on_a_drawn_box(qtbot):
    from app.prompts import Prompts

    def answer():
        picker = QtWidgets.QApplication.activeModalWidget()
        qtbot.keyClicks(picker.edit, "dog")
        qtbot.keyClick(picker.edit, QtCore.Qt.Key.Key_Return)

    QtCore.QTimer.singleShot(50, answer)
    assert Prompts(None).pick_label(["car"], "car", QtCore.QPoint(10, 10)) == "dog"


def test_drawing_a_new_object_asks_for_its_label_and_never_silently_inherits(
        qtbot, make_window, square_video, prompts):
    path, _ = square_video
    w = opened(qtbot, make_window, path)
    w.edits.run_built(lambda: edits.set_labels(w.store.project, ["object", "car", "person"]))
    prompts.answer("pick_label", "car")
    w.frame_view.commit_drawn_rect(QtCore.QRectF(10, 10, 20, 20))
    assert prompts.asked[-1] == ("pick_label", ("object", "car", "person"), "object")
    assert w.store.project.objects[1].label == "car"
    # the next object: the picker is shown with the last chosen label as its default (Esc keeps it)
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(60, 60, 20, 20))
    assert prompts.asked[-1][0] == "pick_label" and prompts.asked[-1][2] == "car"
    assert w.store.project.objects[2].label == "car"
    # a new label typed in the picker joins the list; one undo removes the object and the label
    w.set_selection([1])  # selecting #1 (car) does not make "car" the default of the next object...
    prompts.answer("pick_label", "truck")
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 20, 20, 20))
    assert w.store.project.objects[3].label == "truck" and "truck" in w.store.project.labels
    w.actions["undo"].trigger()
    assert 3 not in w.store.project.objects and "truck" not in w.store.project.labels
    # the number keys choose the default too
    w.actions["label_3"].trigger()
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 20, 20, 20))
    assert prompts.asked[-1][2] == "person"
    # ...and with the picker off (Settings), no question: the last chosen label
    asked = len(prompts.asked)
    w.update_settings(label_picker=False)
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(120, 80, 20, 20))
    assert len(prompts.asked) == asked and w.store.project.objects[max(w.store.project.objects)].label == "person"


# ---------------------------------------------------------------------- 4: hide and lock
def test_hide_and_lock_objects_undoable_refused_edits_and_saved(qtbot, make_window, square_video, tmp_path):
    path, _ = square_video
    w = shown_window(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(20, 20, 40, 40))
    w.set_selection([])
    w.frame_view.commit_drawn_rect(QtCore.QRectF(100, 60, 30, 30))
    qtbot.waitUntil(lambda: w.frame_view.item(2) is not None)
    # H hides the selected object: its box is not drawn (so it cannot be clicked or dragged)
    w.set_selection([2])
    w.actions["hide_object"].trigger()
    assert w.store.project.objects[2].hidden
    qtbot.waitUntil(lambda: w.frame_view.item(2) is None)
    assert [d.track_id for d in w.box_displays(0)] == [1]
    w.actions["undo"].trigger()
    qtbot.waitUntil(lambda: w.frame_view.item(2) is not None)
    w.actions["redo"].trigger()
    qtbot.waitUntil(lambda: w.frame_view.item(2) is None)
    # the object list's Show box shows it again
    w.refresh()
    show = w.objects.toggle(2, w.objects.SHOW)
    assert show.checkState() == QtCore.Qt.CheckState.Unchecked
    show.setCheckState(QtCore.Qt.CheckState.Checked)
    assert not w.store.project.objects[2].hidden
    qtbot.waitUntil(lambda: w.frame_view.item(2) is not None)
    # L locks: a mouse drag moves nothing (and draws nothing), Delete and A are refused, with a message
    w.set_selection([1])
    w.actions["lock_object"].trigger()
    assert w.store.project.objects[1].locked
    w.refresh()
    assert w.objects.toggle(1, w.objects.LOCK).checkState() == QtCore.Qt.CheckState.Checked
    before = w.store.project.objects[1].entries[0]
    w.statusBar().clearMessage()
    drag(w, (40, 40), (60, 50))
    assert w.store.project.objects[1].entries[0] == before and sorted(w.store.project.objects) == [1, 2]
    assert "#1 is locked: cannot move or resize" in w.statusBar().currentMessage()  # the drag reached it
    w.actions["delete_box"].trigger()
    w.actions["mark_absent"].trigger()
    assert w.store.project.objects[1].entries[0] == before and "locked" in w.statusBar().currentMessage()
    w.frame_view.box_edited.emit(0, 1, Box(30, 30, 40, 40))  # an edit that got through: refused too
    assert w.store.project.objects[1].entries[0] == before
    w.actions["track_forward"].trigger()  # runs skip locked objects
    assert not w.controller.busy and "locked: not tracked" in w.statusBar().currentMessage()
    assert sorted(w.store.project.objects[1].entries) == [0]
    assert "locked" in w.frame_view.item(1).label.toPlainText()
    # an unlocked box still moves
    w.set_selection([2])
    w.frame_view.box_edited.emit(0, 2, Box(110, 60, 30, 30))
    assert w.store.project.objects[2].entries[0].box == Box(110, 60, 30, 30)
    # the flags are saved with the project and read back; undo of the lock unlocks
    w.objects.toggle(2, w.objects.SHOW).setCheckState(QtCore.Qt.CheckState.Unchecked)
    out = tmp_path / "flags.memtrack.json"
    save_project(out, w.store.project)
    back = load_project(out)
    assert back.objects[1].locked and not back.objects[1].hidden
    assert back.objects[2].hidden and not back.objects[2].locked
    w.actions["undo"].trigger()  # the hide of #2
    w.actions["undo"].trigger()  # the move of #2
    w.actions["undo"].trigger()  # the lock of #1
    assert not w.store.project.objects[1].locked and not w.store.project.objects[2].hidden


def test_project_files_without_the_flags_load_and_unflagged_projects_stay_version_1(tmp_path):
    project = Project(VideoRef("clip.mp4", 10, 160, 120, 25.0))
    project.new_object("car")
    data = project_to_dict(project)
    assert data["version"] == 1 and "hidden" not in data["objects"][0]
    loaded = project_from_dict(data)
    assert not loaded.objects[1].hidden and not loaded.objects[1].locked
    project.objects[1].locked = True
    data = project_to_dict(project)
    assert data["version"] == 3 and data["objects"][0]["locked"] is True and "hidden" not in data["objects"][0]
    assert project_from_dict(data).objects[1].locked
    old = dict(data, version=2)  # an older version never had the keys: refused, not ignored
    with pytest.raises(Exception, match="unknown key"):
        project_from_dict(old)
    bad = dict(data)
    bad["objects"] = [dict(data["objects"][0], locked="yes")]
    with pytest.raises(Exception, match="locked"):
        project_from_dict(bad)


# ---------------------------------------------------------------------- 5: cancelling an import
class _SlowImporter:
    """An importer of 2,000 "files", 5 ms each (10 s in all), checking for cancellation between them."""

    DESCRIPTION = "slow test importer"

    def __init__(self):
        self.started = threading.Event()
        self.read = 0

    def load(self, path, video_path):
        from tracker.formats.building import new_project, video_ref
        from tracker.formats.reading import checkpoint

        video = video_ref(video_path, "slow")
        project = new_project(video, ["object"])
        for _ in range(2000):
            checkpoint()
            self.started.set()
            time.sleep(0.005)
            self.read += 1
        project.new_object("object")
        return project


@pytest.fixture
def slow_importer(monkeypatch):
    import tracker.formats as formats

    importer = _SlowImporter()
    monkeypatch.setitem(formats._IMPORTERS, "slow", importer)
    return importer


def test_cancel_on_the_progress_dialog_stops_an_import_midway_and_changes_nothing(
        qtbot, make_window, square_video, slow_importer, tmp_path):
    path, _ = square_video
    w = opened(qtbot, make_window, path)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(10, 10, 20, 20))
    before = project_to_dict(w.store.project)
    undo_text = w.store.undo_text()
    task = w.io.import_file("slow", tmp_path / "anything")
    qtbot.waitUntil(slow_importer.started.is_set, timeout=5000)
    progress = w.io.progress
    button = progress.findChild(QtWidgets.QPushButton)
    assert button.text() == "Cancel"
    t0 = time.monotonic()
    button.click()
    with qtbot.waitSignal(task.finished, timeout=3000):
        pass
    assert time.monotonic() - t0 < 2.0 and slow_importer.read < 2000
    assert project_to_dict(w.store.project) == before and w.store.undo_text() == undo_text
    assert "cancelled; nothing was imported" in w.statusBar().currentMessage()


def test_closing_the_window_during_an_import_stops_it_promptly(
        qtbot, make_window, square_video, slow_importer, prompts, tmp_path):
    path, _ = square_video
    w = opened(qtbot, make_window, path)
    w.show()
    task = w.io.import_file("slow", tmp_path / "anything")
    qtbot.waitUntil(slow_importer.started.is_set, timeout=5000)
    prompts.answer("confirm", True)  # yes: cancel the import and close
    t0 = time.monotonic()
    assert w.close()
    assert time.monotonic() - t0 < 2.0 and not task.running and slow_importer.read < 2000


# ---------------------------------------------------------------------- 6: tracker threads
def test_settings_dialog_round_trips_tracker_threads_and_the_label_picker(qtbot):
    from app.core.settings import AppSettings
    from app.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(AppSettings(threads="3", label_picker=False))
    qtbot.addWidget(dialog)
    assert dialog.threads.value() == 3 and not dialog.label_picker.isChecked()
    assert dialog.result_settings().threads == "3" and dialog.result_settings().label_picker is False
    dialog.threads.setValue(0)
    assert dialog.threads.text() == "Auto" and dialog.result_settings().threads == "auto"
    dialog.threads.setValue(5)
    dialog.label_picker.setChecked(True)
    result = dialog.result_settings()
    assert (result.threads, result.label_picker) == ("5", True)
    auto = SettingsDialog(AppSettings())
    qtbot.addWidget(auto)
    assert auto.threads.value() == 0 and auto.result_settings() == AppSettings()


def test_a_threads_change_in_settings_reaches_the_engine_on_the_next_run(
        qtbot, tmp_path, prompts, square_video, monkeypatch):
    from app.application import create_window
    from app.dialogs import settings_dialog

    seen: list[str] = []

    def factory(settings):
        seen.append(settings.threads)
        return FakeTracker()

    w = create_window(str(tmp_path / "s.ini"), tmp_path / "recovery", factory, prompts)
    qtbot.addWidget(w)
    try:
        path, truth = square_video
        assert w.files.open_path(path)
        qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
        w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
        w.update_settings(track_range="frames", track_frames=3, auto_pause=False)
        w.actions["track_forward"].trigger()
        qtbot.waitUntil(lambda: not w.controller.busy and bool(seen), timeout=8000)
        assert seen == ["auto"]

        def accept(dialog):
            dialog.threads.setValue(2)
            return QtWidgets.QDialog.DialogCode.Accepted

        monkeypatch.setattr(settings_dialog.SettingsDialog, "exec", accept)
        w.actions["settings"].trigger()
        assert w.settings.threads == "2"
        w.actions["track_forward"].trigger()
        qtbot.waitUntil(lambda: not w.controller.busy and len(seen) == 2, timeout=8000)
        assert seen == ["auto", "2"]
    finally:
        w.controller.shutdown(5000)
        w.session.close_video()


def test_hide_and_lock_reach_the_autosave_copy_and_undo_there_too():
    from app.core.autosave import _apply, shadow_copy
    from app.core.store import AnnotationStore

    project = Project(VideoRef("clip.mp4", 10, 160, 120, 25.0))
    store = AnnotationStore(project)
    store.execute(edits.add_object(project, "car", 0, Box(1, 1, 10, 10))[0])
    shadow = shadow_copy(project)
    store.change_hooks.append(lambda changes: _apply(shadow, changes))
    store.execute(edits.set_object_flags(project, [1], hidden=True, locked=True))
    assert (shadow.objects[1].hidden, shadow.objects[1].locked) == (True, True)
    assert project_to_dict(shadow) == project_to_dict(project)
    store.execute(edits.set_object_meta(project, 1, label="bus"))  # a rename keeps the flags
    assert project.objects[1].locked and shadow.objects[1].locked
    store.undo()
    store.undo()
    assert not shadow.objects[1].hidden and not project.objects[1].locked
    store.execute(edits.delete_track(project, 1))
    store.undo()  # a deleted locked track comes back locked
    assert project_to_dict(shadow) == project_to_dict(project)
    store.execute(edits.set_object_flags(project, [1], locked=True))
    store.execute(edits.delete_track(project, 1))
    store.undo()
    assert project.objects[1].locked and shadow.objects[1].locked
