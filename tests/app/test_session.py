"""The Qt-free session: selection follows the store, edits are refused while a run writes, events reach
every listener in order, settings are saved on change. No Qt is imported here."""
from __future__ import annotations

import sys

from app.core import edits
from app.core.document import Document, new_project
from app.core.recovery import RecoveryStore
from app.core.session import EDIT_REFUSED_WHILE_TRACKING, Session
from app.core.settings import AppSettings
from app.core.store import AnnotationStore
from tracker.types import Box


class Feedback:
    prompts = None

    def __init__(self):
        self.messages: list[str] = []

    def status(self, text: str, ms: int = 6000) -> None:
        self.messages.append(text)


class Loader:
    frame_count = 20

    def close(self) -> None:
        pass


def make(tmp_path) -> tuple[Session, list]:
    saved = []
    s = Session(AppSettings(), saved.append, RecoveryStore(tmp_path / "rec"), open_source=lambda p: None)
    project = new_project(tmp_path / "v.mp4", 20, 100, 80, 25.0)
    s.set_document(Document(project, None, tmp_path / "v.mp4"), AnnotationStore(project), Loader())
    return s, saved


def test_importing_the_core_imports_no_qt():
    import subprocess
    from pathlib import Path

    code = ("import sys, app.core.session, app.core.tracking_job, app.core.view_models; "
            "assert 'PySide6' not in sys.modules and 'pyqtgraph' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_edits_selection_and_events(tmp_path):
    s, saved = make(tmp_path)
    fb = Feedback()
    seen = []
    s.selection_changed.connect(lambda: seen.append("selection"))
    s.history_changed.connect(lambda: seen.append("history"))
    s.refresh_requested.connect(lambda timeline, now: seen.append(("refresh", now)))
    command, tid = edits.add_object(s.store.project, frame=3, box=Box(10, 10, 20, 20))
    assert s.run_edit(command, fb) and tid in s.store.project.objects
    s.set_selection([tid, 99])
    assert s.selected == [tid] and seen[:2] == ["history", "selection"]
    s.set_tracking(True)
    command, _ = edits.add_object(s.store.project)
    assert not s.run_edit(command, fb) and fb.messages == [EDIT_REFUSED_WHILE_TRACKING]
    assert ("refresh", True) in seen  # a dragged box goes back where the store has it
    s.set_tracking(False)
    s.store.undo()
    assert tid not in s.store.project.objects and s.selected == []  # selection follows the store
    s.update_settings(follow=False)
    assert saved[-1].follow is False and s.settings.follow is False


def test_moved_boxes_and_current_object(tmp_path):
    s, _ = make(tmp_path)
    assert s.current_object() is None
    s.moved[1] = {5: Box(1, 1, 2, 2)}
    assert s.moved_from(1, 5) == Box(1, 1, 2, 2) and s.moved_frames(1) == [5] and s.moved_from(2, 5) is None
    s.set_document(None, None, None)
    assert s.moved == {} and s.frame_count == 0
