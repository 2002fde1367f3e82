"""Memory editing from the window: turns the memory panel's buttons into undoable commands on the
store (app.core.memory_edits) and keeps the resting engine in step with them.

The engine rests, between runs, on the last frame the previous run processed (the controller's
`TrackerState`); the next run on from there resumes its memory. When the edits on that frame
change (an edit, undo or redo), `sync_engine` asks the engine service to put the engine back to
its state before that frame's edits and apply the frame's current edits
(`EngineService.resync_memory`), so the engine always reflects exactly the edits in the store.
Edits on other frames wait for a run to pass their frame.
"""
from __future__ import annotations

from typing import Callable

from tracker.project import Provenance

from ..core.insight_series import tracked_slots
from ..core.memory_edits import (EditKind, MemoryEdit, replace_edits, slot_edit_command,
                                 toggle_pin_command)
from ..core.memory_model import SlotRecord
from ..core.session import Feedback, Session
from ..core.tracking_job import TrackerState
from ..engine_service import EngineService

__all__ = ["MemoryController"]


class MemoryController:
    def __init__(self, session: Session, feedback: Feedback, engine: EngineService,
                 on_synced: Callable[[], None]):
        self.session, self.feedback, self.engine = session, feedback, engine
        self._on_synced = on_synced
        self._known: dict[int, tuple] = {}  # the store's memory edits at the last sync
        session.document_changed.connect(self._on_document)
        session.store_changed.connect(lambda _change: self.on_store_changed())

    # ------------------------------------------------------------------ edits (GUI gestures)
    def direction(self, track_id: int, frame: int) -> int:
        """The run direction whose memory the user sees on this frame (forward when unknown)."""
        record = self._record(track_id, frame)
        return record.direction if record is not None else 1

    def toggle_pin(self, track_id: int, frame: int, slot: int) -> bool:
        record = self._record(track_id, frame)
        if record is None:
            return self._refuse(frame)
        pinned = record.pinned[slot]
        pending = [e for e in self._edits(track_id) if e.kind in (EditKind.PIN, EditKind.UNPIN)
                   and e.frame == frame and e.slot == slot and e not in record.applied]
        if pending:  # the card shows the recorded state plus what is pending
            pinned = pending[-1].kind is EditKind.PIN
        return self._run(toggle_pin_command(self._all(), track_id, frame, slot, pinned, record.direction))

    def evict(self, track_id: int, frame: int, slot: int) -> bool:
        record = self._record(track_id, frame)
        if record is None:
            return self._refuse(frame)
        edit = MemoryEdit(EditKind.EVICT, frame, slot, direction=record.direction)
        return self._run(slot_edit_command(self._all(), track_id, edit))

    def freeze(self, track_id: int, first: int, last: int) -> bool:
        first, last = sorted((int(first), int(last)))
        edit = MemoryEdit(EditKind.FREEZE, first, last=last)
        return self._run(slot_edit_command(self._all(), track_id, edit))

    def retemplate(self, track_id: int, frame: int) -> bool:
        obj = self.session.store.project.objects.get(track_id) if self.session.store else None
        entry = obj.entries.get(frame) if obj is not None else None
        if entry is None or entry.box is None:
            self.feedback.status(f"#{track_id} has no box on frame {frame} to take the template from.")
            return False
        edit = MemoryEdit(EditKind.RETEMPLATE, frame, direction=self.direction(track_id, frame))
        return self._run(slot_edit_command(self._all(), track_id, edit))

    def remove(self, track_id: int, index: int) -> bool:
        edits = list(self._edits(track_id))
        if not 0 <= index < len(edits):
            return False
        removed = edits.pop(index)
        text = f"Memory #{track_id}: remove {removed.describe()}"
        return self._run(replace_edits(self._all(), track_id, edits, text))

    # ------------------------------------------------------------------ the resting engine
    def on_store_changed(self) -> None:
        """Called on every store change; re-syncs the engine when the memory edits changed."""
        store = self.session.store
        if store is None or store.memory_edits == self._known:
            return
        self._known = dict(store.memory_edits)
        self.sync_engine()

    def sync_engine(self) -> bool:
        """Ask the engine service to make the resting engine reflect the edits on its frame (on its
        worker thread); True when that was queued. The slot records follow in `_on_synced_records`."""
        s, state = self.session, self.engine.state
        if s.store is None or state is None:
            return False
        image = s.loader.get(state.frame) if s.loader is not None else None
        boxes = {tid: self._box(tid, state) for tid in state.boxes}
        return self.engine.resync_memory(s.store.memory_edits, image, boxes, self._on_synced_records)

    def _on_synced_records(self, state: TrackerState | None, records: dict[int, SlotRecord] | None) -> None:
        if records is None or self.session.store is None:
            return
        for tid, record in records.items():
            self.session.diagnostics.put_slots(tid, state.frame, record)
        self._on_synced()

    # ------------------------------------------------------------------ internals
    def _on_document(self) -> None:
        self._known = dict(self.session.store.memory_edits) if self.session.store is not None else {}

    def _box(self, track_id: int, state: TrackerState):
        obj = self.session.store.project.objects.get(track_id)
        entry = obj.entries.get(state.frame) if obj is not None else None
        if entry is not None and entry.box is not None and entry.provenance is not Provenance.ABSENT:
            return entry.box
        return state.boxes.get(track_id)

    def _record(self, track_id: int, frame: int) -> SlotRecord | None:
        if self.session.store is None:
            return None
        return tracked_slots(self.session.diagnostics, self.session.store.project, track_id, frame)

    def _all(self) -> dict[int, tuple]:
        return self.session.store.memory_edits

    def _edits(self, track_id: int) -> tuple[MemoryEdit, ...]:
        return tuple(self.session.store.memory_edits.get(track_id, ()))

    def _refuse(self, frame: int) -> bool:
        self.feedback.status(f"Frame {frame} has no recorded memory for this object: track over it first.")
        return False

    def _run(self, command) -> bool:
        if not command.changes:
            return False
        return self.session.run_edit(command, self.feedback)

