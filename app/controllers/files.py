"""Opening, saving, autosave and recovery. The rule throughout: nothing the user made is
overwritten without being asked. A damaged project file is reported and left as it is; a missing
video is located by the user and the project file changes only when they save; autosave writes
only recovery files; a recovery file is deleted only after a clean save or an explicit discard.

Autosave never serialises on the GUI thread: the `Autosaver` (app/core/autosave.py) keeps its own
copy of the project from the store's changes and writes on its thread. It writes after every
committed edit and, while a tracking run writes into the store, every ``autosave_ms`` (a run is
one undo step, committed only at its end, so a crash midway would otherwise lose all of it).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui

from tracker.project import ProjectError, save_project
from tracker.video import VideoError

from ..core.document import (Document, default_project_path, is_project_file, load_project_document, new_project,
                             video_mismatch)
from ..core.autosave import Autosaver
from ..core.recovery import RecoveryInfo
from ..core.session import Feedback, Session
from ..core.store import AnnotationStore
from ..engine_service import EngineService
from ..qt_frames import FrameLoader

__all__ = ["AUTOSAVE_MS", "FileController"]

AUTOSAVE_MS = 3000  # while tracking: a crash loses at most this much of a run


class FileController:
    def __init__(self, session: Session, actions: dict[str, QtGui.QAction], feedback: Feedback,
                 engine: EngineService, autosave_ms: int = AUTOSAVE_MS):
        self.session, self.feedback, self.engine = session, feedback, engine
        self.autosaver = Autosaver(session.recovery)
        self._unwritten = False  # the store changed since the last autosave request
        self.autosave_timer = QtCore.QTimer()
        self.autosave_timer.setInterval(autosave_ms)
        self.autosave_timer.timeout.connect(self._on_autosave_timer)
        self.autosave_timer.start()
        session.history_changed.connect(self.autosave)
        session.document_changed.connect(self._on_document)
        a = actions
        a["open"].triggered.connect(self.open_dialog)
        a["open_folder"].triggered.connect(self.open_folder_dialog)
        a["save"].triggered.connect(self.save)
        a["save_as"].triggered.connect(self.save_as)
        a["recover"].triggered.connect(lambda: self.offer_recoveries(only_other=False))

    def _on_document(self) -> None:
        self.engine.forget_state()  # the engine's memory no longer matches the document
        store = self.session.store
        self.autosaver.reset(store.project if store is not None else None)
        self._unwritten = False
        if store is not None:
            store.change_hooks.append(self._on_changes)
        if self.session.doc is not None:
            self.engine.preload()

    # ------------------------------------------------------------------ opening
    def _start_dir(self) -> str:
        return self.session.settings.last_folder or str(Path.home())

    def open_dialog(self) -> bool:
        path = self.feedback.prompts.open_path(self._start_dir())
        return self.open_path(path) if path else False

    def open_folder_dialog(self) -> bool:
        path = self.feedback.prompts.open_folder(self._start_dir())
        return self.open_path(path) if path else False

    def open_path(self, path: str | Path) -> bool:
        """Open a project file, a video or a folder of frames; False if it was not opened."""
        if not self.maybe_close():
            return False
        path = Path(path)
        if not path.exists():
            self.feedback.prompts.error("Cannot open", f"{path}: no such file or folder.")
            return False
        fresh = False
        if is_project_file(path):
            doc = self._load_project(path)
        else:
            doc = None
            existing = default_project_path(path)
            if existing.exists():
                # a damaged project beside the video is reported and left alone; the video opens
                # with a new project, and Save As will not suggest the damaged file's name
                doc = self._load_project(existing)
                if doc is not None:
                    doc.video_path = path.resolve()
            if doc is None:
                doc = Document(new_project(path, 0, 0, 0, 25.0), None, path.resolve())
                fresh = True
        if doc is None:
            return False
        source = self._open_video(doc)
        if source is None:
            return False
        doc.video_path = Path(source.path).resolve()
        relocated = False
        if fresh:  # a new project learns its video's geometry
            doc.project = new_project(doc.video_path, len(source), source.width, source.height, source.fps)
        elif Path(doc.project.video.path).resolve() != doc.video_path:
            relocated = True  # the project file keeps the old path until the user saves
            doc.project.video = dataclasses.replace(doc.project.video, path=str(doc.video_path))
        recovered = self._offer_recovery_for(doc)
        if recovered is None:
            source.close()
            return False
        self._install(doc, source, dirty=relocated or recovered)
        self.session.update_settings(last_folder=str(path.resolve().parent))
        return True

    def _load_project(self, path: Path) -> Document | None:
        try:
            return load_project_document(path)
        except ProjectError as e:
            self.feedback.prompts.error("Cannot open project",
                                 f"The project file could not be read, so it was not opened:\n\n{e}\n\n"
                                 "The file has not been changed.")
            return None

    def _open_video(self, doc: Document) -> Any:
        """The document's frame source; asks the user to locate a missing, moved or broken video."""
        start = str((doc.project_path or doc.video_path).parent)
        path = doc.video_path
        while True:
            if not path.exists():
                path = self.feedback.prompts.locate_video(path, start)
                if path is None:
                    return None
            try:
                source = self.session.open_source(path)
            except VideoError as e:
                self.feedback.prompts.error("Cannot open video", str(e))
                if doc.project_path is None:
                    return None
                path = self.feedback.prompts.locate_video(path, start)
                if path is None:
                    return None
                continue
            problem = video_mismatch(doc.project, len(source), source.width, source.height)
            if problem and not self.feedback.prompts.confirm(
                    "Video does not match", f"{path.name} has {problem}.\n\nUse it anyway?"):
                source.close()
                return None
            return source

    def _offer_recovery_for(self, doc: Document) -> bool | None:
        """True: recovered work was loaded into doc; False: nothing to recover or discarded;
        None: the user cancelled opening."""
        self.autosaver.flush()  # a queued autosave or discard of this document lands first
        info = self.session.recovery.find(doc.project_path, doc.video_path)
        if info is None or not info.newer_than_project():
            return False
        answer = self.feedback.prompts.ask_recover(info.describe, other_document=False)
        if answer == "cancel":
            return None
        if answer == "discard":
            self.autosaver.discard(doc.project_path, doc.video_path)
            return False
        project = self._load_recovery(info)
        if project is None:
            return None
        project.video = dataclasses.replace(project.video, path=str(doc.video_path))
        doc.project = project
        return True

    def _load_recovery(self, info: RecoveryInfo):
        """The recovered project, or None after telling the user why it cannot be read (the file is kept)."""
        try:
            return self.session.recovery.load(info)
        except ProjectError as e:
            self.feedback.prompts.error("Cannot recover", f"{e}\n\nThe recovery file is kept.")
            return None

    def _install(self, doc: Document, source: Any, dirty: bool) -> None:
        store = AnnotationStore(doc.project)
        if dirty:
            store.mark_unsaved()  # recovered work or a relocated video: not in the project file yet
        loader = FrameLoader(source, self.session.settings.cache_mb << 20)
        self.session.set_document(doc, store, loader, source)
        if dirty:
            self.autosave()

    # ------------------------------------------------------------------ recovery after a crash
    def offer_recoveries(self, only_other: bool = True) -> bool:
        """Offer the newest recovery file of a document other than the open one."""
        self.autosaver.flush()
        current = None
        if self.session.doc is not None:
            current = self.session.recovery.path_for(self.session.doc.project_path, self.session.doc.video_path)
        infos = [i for i in self.session.recovery.all() if i.path != current and i.newer_than_project()]
        if not infos:
            if not only_other:
                self.feedback.prompts.info("Recover", "There is no unsaved work to recover.")
            return False
        info = infos[0]
        answer = self.feedback.prompts.ask_recover(info.describe, other_document=True)
        if answer == "discard":
            info.path.unlink(missing_ok=True)
            return False
        if answer != "recover":
            return False
        return self.open_recovery(info)

    def open_recovery(self, info: RecoveryInfo) -> bool:
        if not self.maybe_close():
            return False
        project = self._load_recovery(info)
        if project is None:
            return False
        doc = Document(project, info.project_path, info.video_path)
        source = self._open_video(doc)
        if source is None:
            return False
        doc.video_path = source.path.resolve()
        project.video = dataclasses.replace(project.video, path=str(doc.video_path))
        self._install(doc, source, dirty=True)
        return True

    # ------------------------------------------------------------------ saving
    def _on_changes(self, changes: tuple) -> None:
        """A store change hook (GUI thread): hand the immutable changes to the autosaver."""
        self.autosaver.record(changes)
        self._unwritten = True

    def _on_autosave_timer(self) -> None:
        """While a run writes into the store, autosave what it tracked so far."""
        self._show_autosave_errors()
        w = self.session
        if w.tracking and self._unwritten and w.doc is not None:
            self._unwritten = False
            self.autosaver.write(w.doc.project_path, w.doc.video_path)

    def _show_autosave_errors(self) -> None:
        errors = self.autosaver.take_errors()
        if errors:
            self.feedback.status(f"Autosave failed: {errors[-1]}")

    def autosave(self) -> None:
        """After every committed edit and run: write the recovery file (never the project) on
        the autosaver's thread."""
        self._show_autosave_errors()
        w = self.session
        if w.doc is None or w.store is None:
            return
        self._unwritten = False
        if w.store.dirty:
            self.autosaver.write(w.doc.project_path, w.doc.video_path)
        else:
            self.autosaver.discard(w.doc.project_path, w.doc.video_path)

    def close(self) -> None:
        """The window is closing: finish the queued autosaves and stop the writer thread."""
        self.autosave_timer.stop()
        self.autosaver.close()

    def save(self) -> bool:
        w = self.session
        if w.doc is None or w.store is None or self.engine.running:
            return False
        if w.doc.project_path is None:
            return self.save_as()
        return self._write(w.doc.project_path)

    def save_as(self) -> bool:
        w = self.session
        if w.doc is None or w.store is None or self.engine.running:
            return False
        suggested = w.doc.project_path or default_project_path(w.doc.video_path)
        n = 2
        while w.doc.project_path is None and suggested.exists():  # never suggest someone's file
            suggested = suggested.with_name(f"{w.doc.video_path.name}.memtrack-{n}.json")
            n += 1
        path = self.feedback.prompts.save_path(suggested)
        if path is None:
            return False
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        return self._write(path)

    def _write(self, path: Path) -> bool:
        w = self.session
        try:
            save_project(path, w.store.project)
        except ProjectError as e:
            self.feedback.prompts.error("Cannot save", f"{e}\n\nYour work is still open and autosaved for recovery.")
            return False
        old_key = (w.doc.project_path, w.doc.video_path)
        w.doc.project_path = path.resolve()
        w.store.mark_saved()
        self.autosaver.discard(*old_key)  # queued after any pending autosave, so nothing comes back
        self.autosaver.discard(w.doc.project_path, w.doc.video_path)
        self.feedback.status(f"Saved {path}")
        w.request_refresh(now=True)
        return True

    def maybe_close(self) -> bool:
        """Before replacing or closing the document: stop tracking, offer to save. False: stay."""
        w = self.session
        if w.store is None:
            return True
        if self.engine.busy:
            self.engine.shutdown(5000)
        if not w.store.dirty:
            return True
        answer = self.feedback.prompts.ask_save_changes(w.doc.name)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        self.autosaver.discard(w.doc.project_path, w.doc.video_path)
        return True
