"""The engine service: the one owner of the tracker. It runs tracking jobs off the GUI thread (a
worker QObject moved to a QThread, one job at a time) and keeps the engine's resting state
between runs: where its memory stands (`TrackerState`), snapshots put back after a check run, and
memory edits applied to the resting memory. No other object holds the tracker.

Concurrency rules:
- The worker never touches a widget, the store or QSettings; it talks only through signals whose
  payloads (`FrameOutcome`, str) it never touches again.
- Cancelling sets a `threading.Event` directly (a queued slot would not run while the worker is
  busy in its loop). The controller also stops forwarding results at once, so the window sees no
  frame after Esc even while the engine finishes its current step.
- The engine object is used by one thread at a time: the worker while a job runs, nobody else.
- Shutdown cancels, quits and waits; it never terminates a thread (that can leave locks held).
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Callable, Mapping

from PySide6 import QtCore

from tracker.types import BoxError
from tracker.video import VideoError

from tracker.search_geometry import ResponseGeometry

from .background import BackgroundTask
from .core.memory_edits import EditKind, MemoryEdit, apply_after_frame, edits_at, frozen_at
from .core.memory_model import SlotRecord
from .core.tracking_job import FrameOutcome, JobRunner, StopReason, TrackerState, TrackingJob

__all__ = ["EngineService", "TrackingWorker"]

TrackerFactory = Callable[[], Any]
SourceFactory = Callable[[str], Any]


class TrackingWorker(QtCore.QObject):
    """Runs one `TrackingJob`.

    Signals
    -------
    tracker_ready(object)        the engine, after it was created in this thread (first run only)
    frame_tracked(FrameOutcome)  once per frame, in processing order
    failed(str)                  a traceback, before finished('failed')
    finished(str, object)        'completed' | 'cancelled' | 'paused' | 'failed' and the engine's
                                 TrackerState (or None); always emitted last
    """

    tracker_ready = QtCore.Signal(object)
    frame_tracked = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    finished = QtCore.Signal(str, object)

    def __init__(self, job: TrackingJob, tracker: Any, tracker_factory: TrackerFactory,
                 open_source: SourceFactory, resume: TrackerState | None):
        super().__init__()
        self.job, self.tracker, self._factory = job, tracker, tracker_factory
        self._open_source, self._resume = open_source, resume
        self.cancel_event = threading.Event()

    def request_cancel(self) -> None:
        """Thread-safe; called directly from the GUI thread."""
        self.cancel_event.set()

    @QtCore.Slot()
    def run(self) -> None:
        reason, state = "failed", None
        source = None
        try:
            if self.tracker is None:
                self.tracker = self._factory()
                self.tracker_ready.emit(self.tracker)
            source = self._open_source(self.job.video_path)
            runner = JobRunner(self.job, self.tracker, source, self.cancel_event, self._resume)
            for outcome in runner:
                self.frame_tracked.emit(outcome)
            reason, state = runner.reason.value, runner.state
        except (BoxError, VideoError) as e:  # bad input (a box below the minimum size, a frame of
            self.failed.emit(str(e))       # another size in an image folder): its one line is enough
        except Exception:  # all errors end the job cleanly; the window shows the traceback
            self.failed.emit(traceback.format_exc())
        finally:
            if source is not None:
                source.close()
            self.finished.emit(reason, state)


class EngineService(QtCore.QObject):
    """Owns the engine, its resting state and the one running job.

    Signals
    -------
    run_started(TrackingJob)
    frame_tracked(FrameOutcome)         forwarded until the run ends or is cancelled
    run_finished(str reason, str text)  reason as TrackingWorker.finished; text a traceback on failure
    tracker_ready(str)                  the engine's describe() text
    tracker_failed(str)                 the engine could not be created in the background
    """

    run_started = QtCore.Signal(object)
    frame_tracked = QtCore.Signal(object)
    run_finished = QtCore.Signal(str, str)
    tracker_ready = QtCore.Signal(str)
    tracker_failed = QtCore.Signal(str)

    def __init__(self, tracker_factory: TrackerFactory, open_source: SourceFactory, parent=None):
        super().__init__(parent)
        self._factory = tracker_factory
        self._open_source = open_source
        self.tracker: Any = None
        self.state: TrackerState | None = None  # engine memory position, for continuing runs
        self.job: TrackingJob | None = None
        self._thread: QtCore.QThread | None = None
        self._preload: BackgroundTask | None = None
        self._queued: TrackingJob | None = None
        self.state_before: TrackerState | None = None
        self._base: tuple | None = None  # (TrackerState, engine snapshot, frame image) for resync_memory
        self._worker: TrackingWorker | None = None
        self._forwarding = False
        self._error = ""
        self.fps = 0.0  # frames per second of the current/last run
        self._t0 = 0.0
        self._frames = 0

    @property
    def busy(self) -> bool:
        """A run is queued or its thread exists (it may be winding down after a cancel)."""
        return self._thread is not None or self._queued is not None

    @property
    def running(self) -> bool:
        """A job is running and its results are being applied."""
        return self._forwarding

    def drop_tracker(self) -> None:
        """Release the engine (settings changed); the next run creates a new one."""
        if not self.busy:
            self.tracker, self.state = None, None

    def forget_state(self) -> None:
        """The document changed: the engine's memory no longer matches it."""
        self.state = None
        self._base = None

    def preload(self) -> None:
        """Create the engine in the background now (the first run then starts at once, and the
        status bar can name the device and model). A run started meanwhile waits for it."""
        if self.tracker is not None or self.busy or self._preload is not None:
            return
        task = BackgroundTask(lambda progress: self._factory(), (Exception,), self)
        task.succeeded.connect(self._on_tracker_ready)
        task.failed.connect(lambda message, details: self.tracker_failed.emit(message))
        task.ended.connect(self._on_preload_ended)
        self._preload = task
        task.start()

    def start(self, job: TrackingJob, fresh: bool = False) -> bool:
        """Start a run; ``fresh``: never continue from the resting memory (check runs)."""
        if self.busy:
            return False
        if fresh:
            self.state = None
        self.job = job
        self.state_before, self.state = self.state, None  # only the finished run says where memory is
        self._forwarding, self._error = True, ""
        self._t0, self._frames, self.fps = time.perf_counter(), 0, 0.0
        self.run_started.emit(job)
        if self._preload is not None:
            self._queued = job  # starts when the engine has loaded
        else:
            self._launch(job, self.state_before)
        return True

    def _launch(self, job: TrackingJob, resume: TrackerState | None) -> None:
        thread = QtCore.QThread()
        thread.setObjectName("tracking")
        worker = TrackingWorker(job, self.tracker, self._factory, self._open_source, resume)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.tracker_ready.connect(self._on_tracker_ready)
        worker.frame_tracked.connect(self._on_frame_tracked)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        worker.finished.connect(thread.quit)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self._t0 = time.perf_counter()
        thread.start()

    def _on_preload_ended(self) -> None:
        self._preload = None
        job, self._queued = self._queued, None
        if job is not None and self._forwarding:
            self._launch(job, self.state_before)

    def cancel(self) -> None:
        """Stop at once: no further results reach the window; the worker stops after its step."""
        self._queued = None
        if self._worker is not None:
            self._worker.request_cancel()
        if self._forwarding:
            self._forwarding = False
            self.run_finished.emit(StopReason.CANCELLED.value, "")

    # ------------------------------------------------------------------ the resting engine
    def geometry(self) -> ResponseGeometry | None:
        """Where the engine's maps lie on the frame (None before it loaded or while it runs)."""
        if self.tracker is None or self.busy:
            return None
        return ResponseGeometry.of_tracker(self.tracker)

    def save_resting(self) -> tuple | None:
        """The resting state and a snapshot of the engine, for `restore_resting` after a check."""
        if self.tracker is None or self.state is None or self.busy or not hasattr(self.tracker, "snapshot"):
            return None
        return self.state, self.tracker.snapshot()

    def restore_resting(self, saved: tuple | None) -> None:
        if saved is None or self.busy:
            return
        state, snapshot = saved
        self.tracker.restore(snapshot)
        self.state = state

    def resync_memory(self, edits: Mapping[int, tuple[MemoryEdit, ...]], image_for: Callable[[int], Any],
                      box_for: Callable[[int, TrackerState], Any]) -> dict[int, SlotRecord] | None:
        """Make the resting engine reflect exactly ``edits`` on its frame: put it back to its state
        before that frame's edits (the state's ``base`` snapshot, or one taken before the first
        change) and apply the frame's current edits. Returns each target's slot record, or None
        when the engine is not resting on a frame (or a needed frame image is not at hand: then
        the next run starts afresh and applies every edit)."""
        state, trk = self.state, self.tracker
        if self.busy or trk is None or state is None:
            return None
        if self._base is None or self._base[0] is not state:
            snap = state.base if state.base is not None else trk.snapshot()
            self._base = (state, snap, image_for(state.frame))
        _, snap, image = self._base
        d = int(state.direction)
        ids = [t for t in state.boxes if t in trk.target_ids]
        needs_image = any(e.kind is EditKind.RETEMPLATE for t in ids
                          for e in edits_at(edits.get(t, ()), state.frame, d))
        if needs_image and image is None:
            image = image_for(state.frame)
            if image is None:
                self.forget_state()
                return None
            self._base = (state, snap, image)
        trk.restore(snap)
        records = {}
        for tid in ids:
            own = edits.get(tid, ())
            applied = apply_after_frame(trk, tid, state.frame, d, own, image, box_for(tid, state))
            records[tid] = SlotRecord.from_tracker(trk, tid, frozen_at(own, state.frame), d, applied)
        return records

    def wait(self, ms: int = 5000) -> bool:
        """Block until the worker thread has ended (tests and shutdown). False on timeout."""
        deadline = time.perf_counter() + ms / 1000
        while self._thread is not None or self._preload is not None or self._queued is not None:
            if time.perf_counter() > deadline:
                return False
            if self._thread is not None:
                self._thread.wait(20)
            else:
                time.sleep(0.01)
            QtCore.QCoreApplication.processEvents()
        return True

    def shutdown(self, ms: int = 5000) -> bool:
        self.cancel()
        return self.wait(ms)

    # ------------------------------------------------------------------ worker signals (GUI thread)
    def _on_tracker_ready(self, tracker: Any) -> None:
        if self.tracker is None:
            self.tracker = tracker
        self.tracker_ready.emit(describe(self.tracker))

    def _on_frame_tracked(self, outcome: FrameOutcome) -> None:
        if not self._forwarding:
            return
        self._frames += 1
        elapsed = time.perf_counter() - self._t0
        self.fps = self._frames / elapsed if elapsed > 0 else 0.0
        self.frame_tracked.emit(outcome)

    def _on_failed(self, text: str) -> None:
        self._error = text

    def _on_finished(self, reason: str, state: Any) -> None:
        if self._forwarding:  # not yet reported (a cancel reports itself at once)
            self._forwarding = False
            ok = reason in (StopReason.COMPLETED.value, StopReason.PAUSED.value)
            self.state = state if ok else None
            self.run_finished.emit(reason, self._error)

    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread, self._worker = None, None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()


def describe(tracker: Any) -> str:
    try:
        return str(tracker.describe())
    except Exception:  # a tracker without describe() still tracks
        return type(tracker).__name__
