"""File > Export and File > Import through tracker.formats, in a background thread.

Export writes a snapshot of the project (taken on the GUI thread, so edits during a long video
export cannot race it); the formats module writes atomically and never leaves partial output.
Import reads another tool's file for the open video and adds its objects as new tracks in one
undoable step (track ids are renumbered after the existing ones).

Cancel on the progress dialog, or closing the window while a job runs (`confirm_close`,
`cancel_and_wait`; the user is asked first), cancels the job: an export at its next progress report
(the exporters then remove everything they staged, so no partial output is left), an import at its
next checkpoint (the importers check between files and between lines, boxes or annotations), and
a cancelled import changes nothing in the project. The window waits for the thread, so Qt never
destroys a running QThread.
"""
from __future__ import annotations

from pathlib import Path
from PySide6 import QtGui, QtWidgets

from tracker.project import Project, project_from_dict, project_to_dict

from ..core.edits import import_objects
from ..core.session import Feedback, Session
from ..worker import Worker

try:  # the formats package is optional for the window: without it the menu items are hidden
    from tracker import formats as _formats
except ImportError:  # pragma: no cover - depends on the checkout
    _formats = None

__all__ = ["IoController", "formats_available"]


class _Cancelled(Exception):
    """Raised from the progress callback of a cancelled job; the exporters clean up on it."""


_CANCELLED = object()  # what a cancelled job returns


def formats_available() -> bool:
    return _formats is not None


class IoController:
    def __init__(self, session: Session, actions: dict[str, QtGui.QAction], feedback: Feedback):
        self.session, self.feedback = session, feedback
        self.task: Worker | None = None
        self.progress: QtWidgets.QProgressDialog | None = None  # the running job's (tests press Cancel)
        a = actions
        a["export"].setVisible(formats_available())
        a["import"].setVisible(formats_available())
        a["export"].triggered.connect(self.export_dialog)
        a["import"].triggered.connect(self.import_dialog)

    # ------------------------------------------------------------------ export
    def export_dialog(self) -> None:
        from ..dialogs.format_dialog import FormatDialog

        w = self.session
        if w.doc is None or self.busy():
            return
        base = (w.doc.project_path or w.doc.video_path)
        dialog = FormatDialog("Export annotations", _formats.EXPORT_FORMATS, _formats.FOLDER_FORMATS,
                              _formats.FRAME_FORMATS, base.with_name(base.name.split(".")[0]), True,
                              self.feedback.parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        fmt, path, frames = dialog.chosen()
        self.export(fmt, path, write_frames=frames)

    def export(self, fmt: str, path: Path, write_frames: bool = False) -> Worker | None:
        """Start an export; returns the running task (tests wait on it) or None if refused."""
        w = self.session
        if w.doc is None or self.busy():
            return None
        overwrite = False
        if path.exists():
            if not self.feedback.prompts.confirm("Export", f"{path} exists. Replace it? (The old one stays until the "
                                               "new export is complete.)"):
                return None
            overwrite = True
        snapshot = _copy(w.store.project)
        video = w.doc.video_path
        notes: list[str] = []  # one-line remarks (a fallback codec, how to serve the video), shown at the end

        def work(progress) -> list[Path]:
            return _formats.export_project(snapshot, fmt, path, video_path=video, write_frames=write_frames,
                                           progress=progress, overwrite=overwrite, notes=notes.append)

        return self._start(work, f"Exporting {fmt}", lambda paths: self.feedback.status(
            f"Exported {fmt} to {path} ({len(paths)} file{'s' if len(paths) != 1 else ''})"
            + "".join(f". Note: {n}" for n in notes), 10000))

    # ------------------------------------------------------------------ import
    def import_dialog(self) -> None:
        from ..dialogs.format_dialog import FormatDialog

        w = self.session
        if w.doc is None:
            self.feedback.prompts.info("Import", "Open the video the annotations belong to first.")
            return
        if self.busy():
            return
        dialog = FormatDialog("Import annotations", _formats.IMPORT_FORMATS, _formats.FOLDER_FORMATS, (),
                              w.doc.video_path.parent, False, self.feedback.parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        fmt, path, _ = dialog.chosen()
        self.import_file(fmt, path)

    def import_file(self, fmt: str, path: Path) -> Worker | None:
        w = self.session
        if w.doc is None or self.busy():
            return None
        video = w.doc.video_path

        def work(progress) -> Project:
            return _formats.import_annotations(path, fmt, video, checkpoint=progress.checkpoint)

        def apply(imported: Project) -> None:
            if w.store is None or w.doc is None or w.doc.video_path != video:
                return  # the document changed meanwhile
            command = import_objects(w.store.project, imported, f"Import {fmt} from {Path(path).name}")
            if w.run_edit(command, self.feedback):
                n = len(imported.objects)
                self.feedback.status(f"Imported {n} object{'s' if n != 1 else ''} from {path}", 10000)

        return self._start(work, f"Importing {fmt}", apply)

    # ------------------------------------------------------------------ shared
    def busy(self) -> bool:
        if self.task is not None and self.task.running:
            self.feedback.status("An export or import is still running.")
            return True
        return False

    def confirm_close(self) -> bool:
        """Before the window closes: may a running job be cancelled? (True when none runs.)"""
        task = self.task
        if task is None or not task.running:
            return True
        return self.feedback.prompts.confirm(
            "Close", "An export or import is still running. Cancel it and close the window?")

    def cancel_and_wait(self, wait_ms: int = 30000) -> bool:
        """Cancel a running job and wait for its thread; False if it is still finishing."""
        task = self.task
        if task is None or not task.running:
            return True
        task.cancel()
        if not task.wait(wait_ms):
            self.feedback.status("The export or import is still finishing; try closing again.")
            return False
        return True

    def _start(self, work, text: str, on_success) -> Worker:
        def run(ctx):
            def progress(done: int, total: int) -> None:
                if ctx.cancelled():
                    raise _Cancelled()
                ctx.report((done, total))

            def checkpoint() -> None:
                if ctx.cancelled():
                    raise _Cancelled()

            progress.checkpoint = checkpoint

            try:
                return work(progress)
            except _Cancelled:
                return _CANCELLED

        def returned(result) -> None:
            if result is _CANCELLED or task.cancel_event.is_set():
                self.feedback.status(f"{text} cancelled; nothing was "
                                     f"{'imported' if text.startswith('Importing') else 'written'}.")
            else:
                on_success(result)

        task = Worker(run, (_formats.FormatError, OSError), self.feedback.parent, name="io")
        progress = QtWidgets.QProgressDialog(text + "\u2026", "Cancel", 0, 0, self.feedback.parent)
        progress.setWindowTitle(text)
        progress.setAutoReset(False)
        progress.setAutoClose(False)
        progress.canceled.connect(task.cancel)
        self.progress = progress
        progress.setMinimumDuration(400)  # quick jobs never flash a dialog
        task.yielded.connect(lambda p: (progress.setMaximum(p[1]), progress.setValue(p[0])))
        task.returned.connect(returned)
        task.errored.connect(lambda message, details: self.feedback.prompts.error(text + " failed", message, details))

        def done() -> None:
            progress.canceled.disconnect(task.cancel)  # closing the dialog emits canceled
            progress.close()
            progress.deleteLater()
            if self.progress is progress:
                self.progress = None

        task.finished.connect(done)
        self.task = task
        task.start()
        return task


def _copy(project: Project) -> Project:
    return project_from_dict(project_to_dict(project))


