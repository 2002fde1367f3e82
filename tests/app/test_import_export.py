"""File > Export and Import through tracker.formats, run in a background thread."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from app_fakes import FakeTracker
from tracker.project import Provenance

pytestmark = pytest.mark.gui


def test_export_mot_then_import_it_back_as_new_tracks_in_one_undo_step(qtbot, make_window, square_video, tmp_path):
    formats = pytest.importorskip("tracker.formats")
    path, truth = square_video
    w = make_window(FakeTracker())
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.update_settings(track_range="frames", track_frames=9)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=5000)
    out = tmp_path / "mot_out"
    task = w.io.export("mot", out)
    with qtbot.waitSignal(task.finished, timeout=10000):
        pass
    gt = out / "gt" / "gt.txt"
    assert gt.exists() and len(gt.read_text().splitlines()) == 10
    task = w.io.import_file("mot", gt)
    with qtbot.waitSignal(task.finished, timeout=10000):
        pass
    qtbot.waitUntil(lambda: 2 in w.store.project.objects)
    imported = w.store.project.objects[2].entries
    assert sorted(imported) == list(range(10))
    assert imported[5].box.iou(w.store.project.objects[1].entries[5].box) > 0.99
    assert imported[5].provenance in (Provenance.IMPORTED, Provenance.TRACKED)
    w.actions["undo"].trigger()
    assert sorted(w.store.project.objects) == [1]
    assert formats.EXPORT_FORMATS


def test_export_errors_are_reported_and_leave_nothing(qtbot, make_window, square_video, prompts, tmp_path):
    pytest.importorskip("tracker.formats")
    path, truth = square_video
    w = make_window(FakeTracker())
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    target = tmp_path / "x.csv"
    target.write_text("keep me")
    prompts.answer("confirm", False)  # do not replace the existing file
    assert w.io.export("csv", target) is None and target.read_text() == "keep me"
    task = w.io.export("mot", tmp_path / "sub" / "out", write_frames=False)
    with qtbot.waitSignal(task.finished, timeout=10000):
        pass
    assert not any(k == "error" for k in prompts.kinds())  # an empty project exports fine
    task = w.io.import_file("mot", tmp_path / "missing.txt")
    with qtbot.waitSignal(task.finished, timeout=10000):
        pass
    assert prompts.kinds()[-1] == "error" and "missing.txt" in prompts.asked[-1][2]


def _slow_exports(monkeypatch, started):
    """The real exporter, with every progress report slowed down (a long video export)."""
    import time

    from app.controllers import io as io_module

    real = io_module._formats.export_project

    def slow(*args, progress=None, **kwargs):
        def report(done, total):
            started.set()
            time.sleep(0.03)
            progress(done, total)

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(io_module._formats, "export_project", slow)


def test_closing_during_an_export_asks_cancels_waits_and_leaves_nothing(
        qtbot, make_window, square_video, prompts, tmp_path, monkeypatch):
    import threading

    pytest.importorskip("tracker.formats")
    started = threading.Event()
    _slow_exports(monkeypatch, started)
    path, truth = square_video
    w = make_window(FakeTracker())
    w.show()
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    out = tmp_path / "exports" / "mot_out"
    # "no": the window stays open and the export goes on to the end
    task = w.io.export("mot", out, write_frames=True)
    qtbot.waitUntil(started.is_set, timeout=5000)
    prompts.answer("confirm", False)
    assert not w.close() and w.isVisible() and ("confirm", "Close") in prompts.asked
    with qtbot.waitSignal(task.finished, timeout=20000):
        pass
    assert (out / "gt" / "gt.txt").exists()
    # "yes": the export is cancelled, its thread waited for, nothing of it left behind
    started.clear()
    out2 = tmp_path / "exports" / "mot_out2"
    task = w.io.export("mot", out2, write_frames=True)
    qtbot.waitUntil(started.is_set, timeout=5000)
    prompts.answer("confirm", True)
    closed = w.close()
    assert closed, (prompts.asked, w.statusBar().currentMessage())
    assert not task.running
    assert sorted(p.name for p in out.parent.iterdir()) == ["mot_out"]  # no out2, no stage left
    assert not any(k == "error" for k in prompts.kinds())
