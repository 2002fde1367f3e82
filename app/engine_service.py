"""The engine service: the one owner of the tracker.

Every use of the engine goes through this object and runs on a worker thread, one operation at a
time, in the order asked: loading the engine, tracking runs (`TrackingJob`s), and the operations
on its resting memory between runs (a snapshot kept for a check run and put back after it,
memory edits applied where the engine rests). The GUI thread never calls the engine and never
waits for it; results come back as signals or callbacks on the GUI thread. The service also keeps
where the engine's memory stands after a run (`TrackerState`), so the next run can resume it.

Concurrency rules:
- Work on the worker thread never touches a widget, the store or QSettings; it talks only
  through signals whose payloads (`FrameOutcome`, records, str) it never touches again.
- Cancelling sets the worker's `threading.Event` directly (a queued slot would not run while the
  worker is busy in its loop). The service also stops forwarding results at once, so the window
  sees no frame after Esc even while the engine finishes its current step.
- Shutdown cancels and waits; it never terminates a thread (that can leave locks held).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from PySide6 import QtCore

from tracker.protocols import SnapshotEngine, TrackingEngine
from tracker.types import Box, BoxError
from tracker.video import VideoError

from .core.memory_edits import EditKind, MemoryEdit, apply_after_frame, edits_at, frozen_at
from .core.memory_model import SlotRecord
from .core.tracking_job import FrameOutcome, JobRunner, StopReason, TrackerState, TrackingJob
from .worker import WorkContext, Worker

__all__ = ["EngineService"]

TrackerFactory = Callable[[], TrackingEngine]
SourceFactory = Callable[[str], Any]


@dataclass(frozen=True)
class _Loaded:
    """Yielded by a run that had to create the engine first."""

    tracker: TrackingEngine
    description: str


@dataclass
class _Op:
    kind: str  # "load" | "run" | "task"
    job: TrackingJob | None = None
    fn: Callable[[TrackingEngine], Any] | None = None
    on_done: Callable[[Any], None] | None = None
    result: Any = None
    error: tuple[str, str] | None = None


class EngineService(QtCore.QObject):
    """Owns the engine, its resting state and the queue of engine operations.

    Signals
    -------
    run_started(TrackingJob)
    frame_tracked(FrameOutcome)         forwarded until the run ends or is cancelled
    run_finished(str reason, str text)  'completed' | 'cancelled' | 'paused' | 'failed'; text: the
                                        error (a traceback for unexpected ones) on failure
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
        self.tracker: TrackingEngine | None = None  # used on the worker thread only
        self.description = ""
        self.state: TrackerState | None = None  # engine memory position, for continuing runs
        self.job: TrackingJob | None = None
        self._queue: list[_Op] = []
        self._op: _Op | None = None
        self._worker: Worker | None = None
        self._base: tuple | None = None  # (TrackerState, snapshot, image) for resync_memory; worker side
        self._forwarding = False
        self.fps = 0.0  # frames per second of the current/last run
        self._t0 = 0.0
        self._frames = 0

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        """An engine operation other than the background load is queued or running (a run may be
        winding down after a cancel)."""
        return any(op.kind != "load" for op in self._ops())

    @property
    def run_pending(self) -> bool:
        """A run is queued, running or winding down: another run must wait."""
        return any(op.kind == "run" for op in self._ops())

    @property
    def running(self) -> bool:
        """A run is going on and its results are being applied."""
        return self._forwarding

    def _ops(self) -> list[_Op]:
        return ([self._op] if self._op is not None else []) + self._queue

    def drop_tracker(self) -> None:
        """Release the engine (settings changed); the next run creates a new one."""
        if not self._ops():
            self.tracker, self.state, self.description = None, None, ""

    def forget_state(self) -> None:
        """The document changed: the engine's memory no longer matches it."""
        self.state = None

    # ------------------------------------------------------------------ operations
    def preload(self) -> None:
        """Create the engine in the background now (the first run then starts at once, and the
        status bar can name the device and model). A run started meanwhile waits for it."""
        if self.tracker is not None or self._ops():
            return
        self._enqueue(_Op("load"))

    def start(self, job: TrackingJob, fresh: bool = False) -> bool:
        """Queue a run (it starts once earlier operations are done); ``fresh``: never continue
        from the resting memory (check runs). False when another run is pending."""
        if self.run_pending:
            return False
        if fresh:
            self.state = None
        self.job = job
        self._forwarding = True
        self._t0, self._frames, self.fps = time.perf_counter(), 0, 0.0
        self.run_started.emit(job)
        self._enqueue(_Op("run", job=job))
        return True

    def submit(self, fn: Callable[[TrackingEngine], Any], on_done: Callable[[Any], None]) -> None:
        """Run ``fn(engine)`` on the worker thread after the operations before it; ``on_done(result)``
        follows on the GUI thread (None when there is no engine or ``fn`` failed)."""
        self._enqueue(_Op("task", fn=fn, on_done=on_done))

    def save_resting(self, on_done: Callable[[Any], None]) -> None:
        """``on_done(saved)``: the resting state with a snapshot of the engine (None when it does not
        rest on a frame), for `restore_resting` after a check."""
        state = self.state
        if state is None:
            on_done(None)
            return
        self.submit(lambda trk: (state, trk.snapshot()) if isinstance(trk, SnapshotEngine) else None, on_done)

    def restore_resting(self, saved: tuple | None, on_done: Callable[[Any], None]) -> None:
        """Put back what `save_resting` kept; ``on_done`` when the engine is back."""
        if saved is None:
            on_done(None)
            return

        def restore(trk: TrackingEngine) -> TrackerState:
            trk.restore(saved[1])
            return saved[0]

        def done(state: TrackerState | None) -> None:
            if state is not None:
                self.state = state
            on_done(state)

        self.submit(restore, done)

    def resync_memory(self, edits: Mapping[int, tuple[MemoryEdit, ...]], image: Any, boxes: Mapping[int, Box],
                      on_done: Callable[[TrackerState | None, dict[int, SlotRecord] | None], None]) -> bool:
        """Make the resting engine reflect exactly ``edits`` on its frame: put it back to its state
        before that frame's edits (the state's ``base`` snapshot, or one taken before the first
        change) and apply the frame's current edits. ``image`` and ``boxes``: the frame the engine
        rests on and each target's box there. ``on_done(state, records)`` follows with each target's
        slot record. False (nothing queued) when the engine does not rest on a frame, or when a
        re-template edit needs the image and it is not at hand (then the next run starts afresh
        and applies every edit)."""
        state = self.state
        if self.run_pending or self.tracker is None or state is None:
            return False
        d = int(state.direction)
        needs_image = any(e.kind is EditKind.RETEMPLATE for t in state.boxes
                          for e in edits_at(edits.get(t, ()), state.frame, d))
        base = self._base
        have_image = image is not None or (base is not None and base[0] is state and base[2] is not None)
        if needs_image and not have_image:
            self.forget_state()
            return False
        edits = {t: tuple(e) for t, e in edits.items()}

        def resync(trk: TrackingEngine) -> dict[int, SlotRecord]:
            if not isinstance(trk, SnapshotEngine):
                return {}
            if self._base is None or self._base[0] is not state:
                self._base = (state, state.base if state.base is not None else trk.snapshot(), image)
            _, snap, base_image = self._base
            trk.restore(snap)
            records = {}
            for tid in [t for t in state.boxes if t in trk.target_ids]:
                own = edits.get(tid, ())
                applied = apply_after_frame(trk, tid, state.frame, d, own, base_image if image is None else image,
                                            boxes.get(tid))
                records[tid] = SlotRecord.from_tracker(trk, tid, frozen_at(own, state.frame), d, applied)
            return records

        self.submit(resync, lambda records: on_done(state, records))
        return True

    def cancel(self) -> None:
        """Stop at once: no further results reach the window; the worker stops after its step."""
        self._queue = [op for op in self._queue if op.kind != "run"]
        if self._op is not None and self._op.kind == "run" and self._worker is not None:
            self._worker.cancel()
        if self._forwarding:
            self._forwarding = False
            self.run_finished.emit(StopReason.CANCELLED.value, "")

    def wait(self, ms: int = 5000) -> bool:
        """Block until every operation has ended (tests and shutdown). False on timeout."""
        deadline = time.perf_counter() + ms / 1000
        while self._ops():
            if time.perf_counter() > deadline:
                return False
            if self._worker is not None:
                self._worker.wait(20)
            else:
                time.sleep(0.01)
            QtCore.QCoreApplication.processEvents()
        return True

    def shutdown(self, ms: int = 5000) -> bool:
        self.cancel()
        return self.wait(ms)

    # ------------------------------------------------------------------ the queue (GUI thread)
    def _enqueue(self, op: _Op) -> None:
        self._queue.append(op)
        self._next()

    def _next(self) -> None:
        if self._op is not None or not self._queue:
            return
        op = self._queue.pop(0)
        if op.kind == "task" and self.tracker is None:
            op.on_done(None)  # nothing to do without an engine
            self._next()
            return
        self._op = op
        tracker = self.tracker
        if op.kind == "load":
            work, expected = (lambda ctx: self._load()), (Exception,)
        elif op.kind == "run":
            state, self.state = self.state, None  # only the finished run says where memory is
            work, expected = (lambda ctx: self._run(ctx, op.job, tracker, state)), (BoxError, VideoError)
            self._t0 = time.perf_counter()
        else:
            work, expected = (lambda ctx: op.fn(tracker)), ()
        worker = Worker(work, expected, self, name=f"engine-{op.kind}")
        worker.yielded.connect(self._on_yielded)
        worker.returned.connect(lambda result: setattr(op, "result", result))
        worker.errored.connect(lambda message, details: setattr(op, "error", (message, details)))
        worker.finished.connect(self._on_finished)
        self._worker = worker
        worker.start()

    # ------------------------------------------------------------------ worker side
    def _load(self) -> _Loaded:
        tracker = self._factory()
        return _Loaded(tracker, describe(tracker))

    def _run(self, ctx: WorkContext, job: TrackingJob, tracker: TrackingEngine | None,
             resume: TrackerState | None):
        if tracker is None:
            tracker = self._factory()
            yield _Loaded(tracker, describe(tracker))
        source = self._open_source(job.video_path)
        try:
            runner = JobRunner(job, tracker, source, ctx.cancel, resume)
            yield from runner
            return runner.reason.value, runner.state
        finally:
            source.close()

    # ------------------------------------------------------------------ worker signals (GUI thread)
    def _on_yielded(self, value: Any) -> None:
        if isinstance(value, _Loaded):
            self._on_loaded(value)
        elif self._forwarding and isinstance(value, FrameOutcome):
            self._frames += 1
            elapsed = time.perf_counter() - self._t0
            self.fps = self._frames / elapsed if elapsed > 0 else 0.0
            self.frame_tracked.emit(value)

    def _on_loaded(self, loaded: _Loaded) -> None:
        if self.tracker is None:
            self.tracker, self.description = loaded.tracker, loaded.description
        self.tracker_ready.emit(self.description)

    def _on_finished(self) -> None:
        op, worker = self._op, self._worker
        self._op, self._worker = None, None
        if worker is not None:
            worker.deleteLater()
        if op.kind == "load":
            if op.error is not None:
                self.tracker_failed.emit(op.error[0])
            elif op.result is not None:
                self._on_loaded(op.result)
        elif op.kind == "run":
            self._end_run(op)
        else:
            op.on_done(op.result if op.error is None else None)
        self._next()

    def _end_run(self, op: _Op) -> None:
        if not self._forwarding:  # cancelled: reported at once
            return
        self._forwarding = False
        if op.error is not None:
            message, details = op.error
            self.run_finished.emit("failed", details or message)
            return
        reason, state = op.result if op.result is not None else (StopReason.CANCELLED.value, None)
        ok = reason in (StopReason.COMPLETED.value, StopReason.PAUSED.value)
        self.state = state if ok else None
        self.run_finished.emit(reason, "")


def describe(tracker: TrackingEngine) -> str:
    try:
        return str(tracker.describe())
    except Exception:  # a tracker without describe() still tracks
        return type(tracker).__name__
