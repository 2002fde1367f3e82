"""`Autosaver`: writes recovery files on its own thread, from deltas (Qt-free).

The GUI thread never serialises the project. When a document is installed the autosaver takes one
copy of it (its *shadow*: the objects' metadata and entry dicts, the labels, the video); from then
on the store hands it every applied change (`AnnotationStore.change_hooks`), and the changes are
immutable values (`EntryChange` holds frozen `BoxEntry`s), so queuing them costs O(change) on the
GUI thread whatever the project's size. The writer thread applies queued changes to the shadow in
order and writes the recovery file atomically through `RecoveryStore.write` (tracker/atomic.py).

Operations run in the order they were queued: reset (a new document), changes, write, discard.
Requests that pile up while a write runs are coalesced: of several writes in a row only the last is
done. A failed write is kept as a one-line message (``take_errors``) for the GUI to show; the next
write tries again.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from tracker.project import Project, TrackObject

from .recovery import RecoveryStore
from .store import (EntryChange, LabelsChange, MemoryEditChange, ObjectChange, apply_entry_change,
                    apply_object_change)

__all__ = ["Autosaver", "shadow_copy"]


def shadow_copy(project: Project) -> Project:
    """A copy the GUI thread never touches again: new entry dicts, shared frozen entries."""
    objects = {tid: TrackObject(o.track_id, o.label, o.color, dict(o.entries), o.hidden, o.locked)
               for tid, o in project.objects.items()}
    return Project(video=project.video, labels=list(project.labels), objects=objects)


def _apply(project: Project, changes: tuple) -> None:
    objects = project.objects
    for c in changes:
        if isinstance(c, EntryChange):
            obj = objects.get(c.track_id)
            if obj is not None:
                apply_entry_change(obj, c)
        elif isinstance(c, ObjectChange):
            apply_object_change(objects, c)
        elif isinstance(c, LabelsChange):
            project.labels[:] = list(c.after)
        elif isinstance(c, MemoryEditChange):
            pass  # session state, not part of the project file


def _written_later(ops: list[tuple], i: int) -> bool:
    for op in ops[i + 1:]:
        if op[0] == "reset":
            return False
        if op[0] == "write":
            return True
    return False


class Autosaver:
    """One writer thread per window. All public methods are called on the GUI thread and return
    at once, except `flush` and `close`, which wait for the queued operations."""

    def __init__(self, recovery: RecoveryStore, write: Callable[..., Any] | None = None):
        self.recovery = recovery
        self._write = write or recovery.write
        self._ops: list[tuple] = []
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._errors: list[str] = []
        self._project: Project | None = None  # the shadow; only the writer thread touches it
        self.writes = 0  # completed writes (tests and benches)
        self._thread = threading.Thread(target=self._loop, name="autosave", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ GUI thread
    def reset(self, project: Project | None) -> None:
        """A new document (or none): its shadow copy replaces the old one after pending writes."""
        self._put(("reset", shadow_copy(project) if project is not None else None))

    def record(self, changes: tuple) -> None:
        """Changes just applied to the store (a store change hook)."""
        if changes:
            self._put(("changes", tuple(changes)))

    def write(self, project_path: Path | None, video_path: Path) -> None:
        self._put(("write", project_path, video_path))

    def discard(self, project_path: Path | None, video_path: Path) -> None:
        self._put(("discard", project_path, video_path))

    def take_errors(self) -> list[str]:
        with self._cond:
            errors, self._errors = self._errors, []
        return errors

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued operation is done (before reading recovery files, on close)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._ops and not self._busy, timeout)

    def close(self, timeout: float = 30.0) -> bool:
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)
        return done

    def _put(self, op: tuple) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("the autosaver is closed")
            self._ops.append(op)
            self._cond.notify_all()

    # ------------------------------------------------------------------ writer thread
    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._ops or self._closed)
                if not self._ops and self._closed:
                    return
                ops, self._ops = self._ops, []
                self._busy = True
            try:
                self._run(ops)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _run(self, ops: list[tuple]) -> None:
        for i, op in enumerate(ops):
            kind = op[0]
            if kind == "reset":
                self._project = op[1]
            elif kind == "changes":
                if self._project is not None:
                    _apply(self._project, op[1])
            elif kind == "write":
                if self._project is None or _written_later(ops, i):
                    continue  # a later write of the same document in this batch covers it
                self._guard(lambda: self._write(self._project, op[1], op[2]), op)
            elif kind == "discard":
                self._guard(lambda: self.recovery.discard(op[1], op[2]), op)

    def _guard(self, action: Callable[[], Any], op: tuple) -> None:
        try:
            action()
            if op[0] == "write":
                self.writes += 1
        except Exception as e:  # noqa: BLE001 - any failure must reach the user, not kill the thread
            path = self.recovery.path_for(op[1], op[2])
            with self._cond:
                self._errors.append(f"{path}: {type(e).__name__}: {e}")
