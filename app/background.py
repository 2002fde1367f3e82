"""One-off background work (export, import) on a QThread with progress, off the GUI thread.

The function runs in the worker thread and gets a ``progress(done, total)`` callback; it must not
touch widgets or the store. Results and errors come back as signals on the GUI thread.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6 import QtCore

__all__ = ["BackgroundTask"]


class _Worker(QtCore.QObject):
    progressed = QtCore.Signal(int, int)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(str, str)  # one-line message, traceback
    finished = QtCore.Signal()

    def __init__(self, fn: Callable[[Callable[[int, int], None]], Any], expected: tuple[type, ...]):
        super().__init__()
        self._fn, self._expected = fn, expected

    @QtCore.Slot()
    def run(self) -> None:
        try:
            self.succeeded.emit(self._fn(self.progressed.emit))
        except self._expected as e:  # user-facing errors (FormatError, ...) carry a clear message
            self.failed.emit(str(e), "")
        except Exception as e:  # anything else is a bug: keep the traceback for the dialog
            self.failed.emit(f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            self.finished.emit()


class BackgroundTask(QtCore.QObject):
    """Signals: progressed(done, total), succeeded(result), failed(message, details), ended()."""

    progressed = QtCore.Signal(int, int)
    succeeded = QtCore.Signal(object)
    failed = QtCore.Signal(str, str)
    ended = QtCore.Signal()

    def __init__(self, fn: Callable[[Callable[[int, int], None]], Any],
                 expected: tuple[type, ...] = (), parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._thread = QtCore.QThread()
        self._worker = _Worker(fn, expected)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self.progressed)
        self._worker.succeeded.connect(self.succeeded)
        self._worker.failed.connect(self.failed)
        self._worker.finished.connect(self._thread.quit)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int = 30000) -> bool:
        return self._thread.wait(ms)

    def _on_thread_finished(self) -> None:
        self._worker.deleteLater()
        self.ended.emit()
