"""`Worker`: the one way the window runs work off the GUI thread.

The work is a function of a `WorkContext`. If it returns a generator, the worker iterates it on its
own QThread: each yielded value arrives on the GUI thread as ``yielded(value)`` and the cancel flag is
checked between values (a Python thread cannot be killed, so long work must yield regularly); the
generator's return value arrives as ``returned(value)``. A plain function's result arrives as
``returned`` too, and it can report progress with ``context.report(value)`` (also ``yielded``).

Concurrency rules: the work never touches a widget, the store or QSettings; it talks only through
these signals, whose payloads it never touches again. `cancel` sets a `threading.Event` directly
(a queued slot would not run while the thread is busy). Errors end the work cleanly:
``errored(message, details)``, with the traceback as details unless the error is one of the
``expected`` types (user-facing messages such as FormatError). ``finished()`` is always last.
"""
from __future__ import annotations

import inspect
import threading
import traceback
from typing import Any, Callable

from PySide6 import QtCore

__all__ = ["WorkContext", "Worker"]


class WorkContext:
    """What the work may use: the cancel flag and a thread-safe report channel."""

    def __init__(self, cancel: threading.Event, report: Callable[[Any], None]):
        self.cancel = cancel
        self.report = report

    def cancelled(self) -> bool:
        return self.cancel.is_set()


class _Runner(QtCore.QObject):
    yielded = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(str, str)
    finished = QtCore.Signal()

    def __init__(self, work: Callable[[WorkContext], Any], expected: tuple[type, ...], cancel: threading.Event):
        super().__init__()
        self._work, self._expected = work, expected
        self._context = WorkContext(cancel, self.yielded.emit)

    @QtCore.Slot()
    def run(self) -> None:
        try:
            result = self._work(self._context)
            if inspect.isgenerator(result):
                result = self._drain(result)
            self.returned.emit(result)
        except self._expected as e:  # user-facing errors carry a clear message
            self.errored.emit(str(e), "")
        except Exception as e:  # anything else is a bug: keep the traceback for the dialog
            self.errored.emit(f"{type(e).__name__}: {e}", traceback.format_exc())
        finally:
            self.finished.emit()

    def _drain(self, generator) -> Any:
        cancel = self._context.cancel
        try:
            while not cancel.is_set():
                self.yielded.emit(next(generator))
        except StopIteration as stop:
            return stop.value
        generator.close()  # cancelled: run the generator's cleanup (finally blocks) now
        return None


class Worker(QtCore.QObject):
    """Signals: yielded(object), returned(object), errored(str message, str details), finished()."""

    yielded = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(str, str)
    finished = QtCore.Signal()

    def __init__(self, work: Callable[[WorkContext], Any], expected: tuple[type, ...] = (),
                 parent: QtCore.QObject | None = None, name: str = "worker"):
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self._thread = QtCore.QThread()
        self._thread.setObjectName(name)
        self._runner = _Runner(work, expected, self.cancel_event)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.yielded.connect(self.yielded)
        self._runner.returned.connect(self.returned)
        self._runner.errored.connect(self.errored)
        # direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may
        # itself be blocked in wait() (closing the window) until the thread quits
        self._runner.finished.connect(self._thread.quit, QtCore.Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Thread-safe; the work stops at its next yield (or when it checks the flag)."""
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int = 30000) -> bool:
        return self._thread.wait(ms)

    def _on_thread_finished(self) -> None:
        self._runner.deleteLater()
        self.finished.emit()
