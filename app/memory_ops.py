"""Memory editing from the window: turns the memory panel's buttons into undoable commands on the
store (app.core.memory_edits) and keeps the resting engine in step with them.

The engine rests, between runs, on the last frame the previous run processed (the controller's
`TrackerState`); the next run on from there resumes its memory. When the edits on that frame
change (an edit, undo or redo), `sync_engine` puts the engine back to its state before that
frame's edits (the state's ``base`` snapshot, or a snapshot taken before the first change) and
applies the frame's current edits, so the engine always reflects exactly the edits in the store.
Edits on other frames wait for a run to pass their frame.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from tracker.project import Provenance

from .core.insight_series import tracked_slots
from .core.memory_edits import (EditKind, MemoryEdit, apply_after_frame, edits_at, frozen_at, replace_edits,
                           slot_edit_command, toggle_pin_command)
from .core.memory_model import SlotRecord

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["MemoryOps"]


class MemoryOps:
    def __init__(self, window: "MainWindow", on_synced: Callable[[], None]):
        self.w = window
        self._on_synced = on_synced
        self._base: tuple[Any, Any, Any] | None = None  # (TrackerState, engine snapshot, frame image)
        self._known: dict[int, tuple] = {}  # the store's memory edits at the last sync
        window.document_changed.connect(self._on_document)

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
        obj = self.w.store.project.objects.get(track_id) if self.w.store else None
        entry = obj.entries.get(frame) if obj is not None else None
        if entry is None or entry.box is None:
            self.w.show_message(f"#{track_id} has no box on frame {frame} to take the template from.")
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
        store = self.w.store
        if store is None or store.memory_edits == self._known:
            return
        self._known = dict(store.memory_edits)
        self.sync_engine()

    def sync_engine(self) -> bool:
        """Make the resting engine reflect the edits on its frame; True when it was re-synced."""
        c, store = self.w.controller, self.w.store
        state = c.state
        if store is None or c.busy or c.tracker is None or state is None:
            return False
        trk = c.tracker
        if self._base is None or self._base[0] is not state:
            snap = state.base if state.base is not None else trk.snapshot()
            self._base = (state, snap, self.w.loader.get(state.frame) if self.w.loader else None)
        _, snap, image = self._base
        d = int(state.direction)
        ids = [t for t in state.boxes if t in trk.target_ids]
        needs_image = any(e.kind is EditKind.RETEMPLATE for t in ids
                          for e in edits_at(store.memory_edits.get(t, ()), state.frame, d))
        if needs_image and image is None:
            image = self.w.loader.get(state.frame) if self.w.loader else None
            if image is None:
                # cannot apply it now: let the next run start afresh (it applies every edit)
                c.forget_state()
                self._base = None
                return False
            self._base = (state, snap, image)
        trk.restore(snap)
        for tid in ids:
            edits = store.memory_edits.get(tid, ())
            applied = apply_after_frame(trk, tid, state.frame, d, edits, image, self._box(tid, state))
            record = SlotRecord.from_tracker(trk, tid, frozen_at(edits, state.frame), d, applied)
            self.w.diagnostics.put_slots(tid, state.frame, record)
        self._on_synced()
        return True

    # ------------------------------------------------------------------ internals
    def _on_document(self) -> None:
        self._base = None
        self._known = dict(self.w.store.memory_edits) if self.w.store is not None else {}

    def _box(self, track_id: int, state: Any):
        obj = self.w.store.project.objects.get(track_id)
        entry = obj.entries.get(state.frame) if obj is not None else None
        if entry is not None and entry.box is not None and entry.provenance is not Provenance.ABSENT:
            return entry.box
        return state.boxes.get(track_id)

    def _record(self, track_id: int, frame: int) -> SlotRecord | None:
        if self.w.store is None:
            return None
        return tracked_slots(self.w.diagnostics, self.w.store.project, track_id, frame)

    def _all(self) -> dict[int, tuple]:
        return self.w.store.memory_edits

    def _edits(self, track_id: int) -> tuple[MemoryEdit, ...]:
        return tuple(self.w.store.memory_edits.get(track_id, ()))

    def _refuse(self, frame: int) -> bool:
        self.w.show_message(f"Frame {frame} has no recorded memory for this object: track over it first.")
        return False

    def _run(self, command) -> bool:
        if not command.changes:
            return False
        return self.w.edits.run(command)

