"""Autosave: written on its own thread from the store's changes, during tracking runs too."""
from __future__ import annotations

import json
import threading

import pytest
from PySide6 import QtCore

from app.core import recovery as recovery_module
from app.core.autosave import Autosaver
from app.core.edits import add_object, set_keyframe
from app.core.recovery import RecoveryStore
from app.core.store import AnnotationStore
from app_fakes import FakeTracker
from tracker.project import Project, Provenance, VideoRef
from tracker.types import Box

pytestmark = pytest.mark.gui


@pytest.fixture
def atomic_writes(monkeypatch):
    """Every recovery write, as (thread id, path); they all go through tracker.atomic."""
    calls: list[tuple[int, str]] = []
    real = recovery_module.atomic_write_text

    def spy(path, text, *args, **kwargs):
        calls.append((threading.get_ident(), str(path)))
        return real(path, text, *args, **kwargs)

    monkeypatch.setattr(recovery_module, "atomic_write_text", spy)
    return calls


def test_a_run_in_progress_is_autosaved_off_the_gui_thread_and_offered_after_a_crash(
        qtbot, make_window, square_video, prompts, tmp_path, atomic_writes):
    path, truth = square_video
    trk = FakeTracker(delay=0.05)
    w = make_window(trk)
    w.files.autosave_timer.setInterval(50)
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    saved = tmp_path / "work.json"
    prompts.answer("save_path", saved)
    assert w.files.save()  # saved: no recovery file, no earlier unsaved edit
    assert w.files.autosaver.flush() and not list((tmp_path / "recovery").glob("*.recovery.json"))
    atomic_writes.clear()
    w.update_settings(track_range="frames", track_frames=35)
    w.actions["track_forward"].trigger()
    recovery_dir = tmp_path / "recovery"

    def tracked_on_disk() -> int:
        files = list(recovery_dir.glob("*.recovery.json"))
        if not files:
            return 0
        data = json.loads(files[0].read_text())  # atomic: never a partial file
        return len(data["project"]["objects"][0]["frames"]) - 1

    qtbot.waitUntil(lambda: tracked_on_disk() >= 3, timeout=8000)
    assert w.controller.busy and w.session.tracking  # still running: the autosave came mid-run
    assert atomic_writes and threading.get_ident() not in {t for t, _ in atomic_writes}
    assert all(p.endswith(".recovery.json") for _, p in atomic_writes)
    # "kill -9": the first window is never closed; a second start offers the autosave
    w2 = make_window(FakeTracker(), settings_name="second.ini")
    prompts.answer("recover", "recover")
    assert w2.files.open_path(saved)
    assert prompts.kinds().count("recover") == 1 and w2.store.dirty
    recovered = w2.store.project.objects[1].entries
    assert len(recovered) >= 4 and recovered[1].provenance is Provenance.TRACKED
    w.tracking.cancel()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)


def test_autosaver_keeps_its_copy_from_deltas_and_never_reads_the_live_project(tmp_path):
    project = Project(video=VideoRef(str(tmp_path / "v.mp4"), 10, 64, 48, 25.0))
    store = AnnotationStore(project)
    saver = Autosaver(RecoveryStore(tmp_path / "rec"))
    saver.reset(project)
    store.change_hooks.append(saver.record)
    command, tid = add_object(store.project, "car", 0, Box(1, 2, 3, 4))
    store.execute(command)
    store.execute(set_keyframe(store.project, tid, 5, Box(5, 5, 5, 5)))
    project.objects[tid].entries.clear()  # the live project is not what gets written
    saver.write(None, tmp_path / "v.mp4")
    assert saver.flush() and saver.writes == 1
    info = saver.recovery.find(None, tmp_path / "v.mp4")
    loaded = saver.recovery.load(info)
    assert sorted(loaded.objects[tid].entries) == [0, 5] and loaded.labels[-1] == "car"
    saver.discard(None, tmp_path / "v.mp4")
    assert saver.close() and saver.recovery.find(None, tmp_path / "v.mp4") is None


def test_an_autosave_that_fails_names_the_file_and_the_next_one_retries(tmp_path):
    blocker = tmp_path / "rec"
    blocker.write_text("a file where the recovery folder should be")
    project = Project(video=VideoRef(str(tmp_path / "v.mp4"), 10, 64, 48, 25.0))
    saver = Autosaver(RecoveryStore(blocker))
    saver.reset(project)
    saver.write(None, tmp_path / "v.mp4")
    assert saver.flush()
    errors = saver.take_errors()
    assert len(errors) == 1 and str(blocker) in errors[0] and saver.writes == 0
    blocker.unlink()
    blocker.mkdir()
    saver.write(None, tmp_path / "v.mp4")
    assert saver.close() and saver.writes == 1 and not saver.take_errors()


def test_one_edit_costs_its_change_not_the_project(tmp_path, monkeypatch):
    """The edit path (command, undo record, autosave request, row caches) touches the edited
    entry only: no serialisation or copy of the project on the calling thread."""
    from app.core import autosave as autosave_module
    from app.core.view_models import RowCache, object_rows, timeline_rows
    from tracker import project as project_module
    from tracker.project import BoxEntry, TrackObject

    project = Project(video=VideoRef(str(tmp_path / "v.mp4"), 2000, 64, 48, 25.0))
    for tid in range(1, 51):  # 100 k boxes
        project.objects[tid] = TrackObject(tid, "object", "#ff0000", {
            f: BoxEntry(Box(1, 1, 5, 5), Provenance.TRACKED, 0.9) for f in range(2000)})
    store = AnnotationStore(project)
    saver = Autosaver(RecoveryStore(tmp_path / "rec"))
    saver.reset(project)
    assert saver.flush()
    gui = threading.get_ident()
    serialised: list[int] = []
    copied: list[int] = []
    real_to_dict, real_copy = project_module.project_to_dict, autosave_module.shadow_copy
    monkeypatch.setattr(recovery_module, "project_to_dict",
                        lambda *a, **k: (serialised.append(threading.get_ident()), real_to_dict(*a, **k))[1])
    monkeypatch.setattr(autosave_module, "shadow_copy",
                        lambda p: (copied.append(threading.get_ident()), real_copy(p))[1])
    recorded: list[tuple] = []
    store.change_hooks.append(saver.record)
    store.change_hooks.append(recorded.append)
    cache = RowCache()
    timeline_rows(project, 2000, [], 0.5, lambda tid: [], cache)
    object_rows(project, 0, cache)
    assert cache.computed == 100  # the first time: every object
    store.execute(set_keyframe(project, 7, 100, Box(2, 2, 5, 5)))
    assert [len(c) for c in recorded] == [1]  # the store hands on the one change
    assert [len(c.changes) for c in store._undo] == [1]  # the undo step holds the delta only
    cache.invalidate({7})
    timeline_rows(project, 2000, [], 0.5, lambda tid: [], cache)
    object_rows(project, 100, cache)
    assert cache.computed == 102  # the edited object's timeline row and summary, nothing else
    saver.write(None, tmp_path / "v.mp4")
    assert saver.close()
    assert copied == [] and serialised and gui not in serialised  # serialised on the writer thread
    loaded = saver.recovery.load(saver.recovery.find(None, tmp_path / "v.mp4"))
    assert loaded.objects[7].entries[100].provenance is Provenance.KEYFRAME
