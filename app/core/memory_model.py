"""What the memory views show, from the engine's per-frame data (Qt-free).

`SlotRecord` is the memory as it stood after a frame was processed (``MemTracker.memory_slots``:
per slot the frame whose appearance was last written into it and its 64x64 crop, the usage and the
pinned flag); the tracking run records one per object and frame, so revisiting a frame shows it
without re-running. `slot_cards` joins a record with that frame's `Diagnostics` into one card per
slot; `allocation_slot` and `dominant_slot` read the write and read choices out of the diagnostics.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from tracker.protocols import MemoryEditable, TrackingEngine
from tracker.result import Diagnostics

from .memory_edits import SLOT_KINDS, EditKind, MemoryEdit

__all__ = ["SlotCard", "SlotRecord", "allocation_slot", "dominant_slot", "slot_cards"]


@dataclass(frozen=True)
class SlotRecord:
    """sources: per slot the frame whose appearance the engine last wrote into it (None: empty);
    crops: the matching (64, 64, 3) uint8 images (shared, never written); usage and pinned after the
    frame's edits; frozen: writes frozen after this frame; direction: of the run that recorded it;
    applied: the memory edits applied on this frame when it was recorded; reseeded: recorded after the
    engine was re-seeded from a user keyframe on this frame (a keyframe shows only such a record)."""

    sources: tuple[int | None, ...]
    pinned: tuple[bool, ...]
    usage: tuple[float, ...]
    crops: tuple[np.ndarray | None, ...]
    frozen: bool = False
    direction: int = 1
    applied: tuple[MemoryEdit, ...] = ()
    reseeded: bool = False

    @classmethod
    def from_slots(cls, slots: Sequence[dict], frozen: bool = False, direction: int = 1,
                   applied: Iterable[MemoryEdit] = (), reseeded: bool = False) -> "SlotRecord":
        """From ``MemTracker.memory_slots(target_id)``."""
        # the crops are shared with the engine, not copied: it makes a new array for every frame
        # and never writes to one again, so records of many frames cost one crop per source frame
        return cls(tuple(s["frame"] for s in slots), tuple(bool(s["pinned"]) for s in slots),
                   tuple(float(s["usage"]) for s in slots), tuple(s["crop"] for s in slots), bool(frozen),
                   int(direction), tuple(applied), bool(reseeded))

    @classmethod
    def from_tracker(cls, tracker: TrackingEngine, target_id: int, frozen: bool, direction: int,
                     applied: Iterable[MemoryEdit] = (), reseeded: bool = False) -> "SlotRecord | None":
        if not isinstance(tracker, MemoryEditable):
            return None
        return cls.from_slots(tracker.memory_slots(target_id), frozen, direction, applied, reseeded)

    def crop_arrays(self) -> list[np.ndarray]:
        return [c for c in self.crops if c is not None]


@dataclass(frozen=True)
class SlotCard:
    """One memory slot on one frame, as the memory panel shows it."""

    slot: int
    crop: np.ndarray | None
    source: int | None  # frame whose appearance was last written here
    read: float  # read weight on this frame
    write: float  # write weight computed on this frame (applied to this frame's appearance next step)
    usage: float  # usage after this frame's step
    pinned: bool
    allocated: bool  # the allocation choice of this frame's write
    dominant: bool  # the slot this frame's read relied on most
    pending: tuple[str, ...] = ()  # edits on this frame not yet applied to the engine (e.g. "pin")


def dominant_slot(diag: Diagnostics) -> int:
    """The slot with the largest read weight."""
    return int(np.argmax(diag.read_weights))


def allocation_slot(diag: Diagnostics) -> int | None:
    """The slot chosen for allocation on this frame (least used, never a pinned one).

    The engine's next write weights are ``g_r w_r + g_a onehot(alloc)`` (docs/model.md §6.4), so the one-hot
    part is ``(write_weights - g_r read_weights) / g_a``. None when the allocation gate is ~0.
    """
    g_r, g_a = float(diag.gates[1]), float(diag.gates[2])
    if g_a < 1e-4:
        return None
    write = np.asarray(diag.write_weights, np.float64)
    alloc = (write - g_r * np.asarray(diag.read_weights, np.float64)) / g_a
    return int(np.argmax(alloc))


def slot_cards(diag: Diagnostics | None, record: SlotRecord | None,
               edits_here: Iterable[MemoryEdit] = ()) -> list[SlotCard]:
    """One card per slot for a frame (empty when neither diagnostics nor a record exist).

    ``edits_here`` are the memory edits on this frame for the record's direction; those not in
    ``record.applied`` are listed as pending on their slot.
    """
    if diag is None and record is None:
        return []
    n = len(diag.read_weights) if diag is not None else len(record.sources)
    zeros = np.zeros(n, np.float32)
    read = diag.read_weights if diag is not None else zeros
    write = diag.write_weights if diag is not None else zeros
    usage = diag.usage if diag is not None else np.asarray(record.usage, np.float32)
    alloc = allocation_slot(diag) if diag is not None else None
    dominant = dominant_slot(diag) if diag is not None else None
    applied = set(record.applied) if record is not None else set()
    pending: dict[int, list[str]] = {}
    for e in edits_here:
        if e.kind in SLOT_KINDS and e not in applied:
            pending.setdefault(e.slot, []).append(e.kind.value)
    cards = []
    for j in range(n):
        cards.append(SlotCard(
            slot=j,
            crop=record.crops[j] if record is not None else None,
            source=record.sources[j] if record is not None else None,
            read=float(read[j]), write=float(write[j]), usage=float(usage[j]),
            pinned=bool(record.pinned[j]) if record is not None else False,
            allocated=alloc == j, dominant=dominant == j,
            pending=tuple(pending.get(j, ())),
        ))
    return cards


def pending_retemplate(record: SlotRecord | None, edits_here: Iterable[MemoryEdit]) -> bool:
    """A retemplate on this frame that the recorded memory does not reflect yet."""
    applied = set(record.applied) if record is not None else set()
    return any(e.kind is EditKind.RETEMPLATE and e not in applied for e in edits_here)


@dataclass(frozen=True)
class MemoryView:
    """Everything the memory panel shows for one object on one frame.

    title / detail: header lines; cards: one per slot (empty when the frame has no record);
    edits: the object's memory edits as text; editable: edits may be made on this frame;
    message: shown when there is nothing else (why); pending_retemplate: a retemplate on this
    frame is not yet applied to the engine.
    """

    title: str
    detail: str = ""
    cards: tuple[SlotCard, ...] = ()
    edits: tuple[str, ...] = ()
    editable: bool = False
    message: str = ""
    pending_retemplate: bool = False


def gates_text(diag: Diagnostics) -> str:
    g = diag.gates
    return (f"gates: no-op {g[0]:.2f} \u00b7 update {g[1]:.2f} \u00b7 allocate {g[2]:.2f}   "
            f"residual gate {diag.residual_gate:.3f} \u00b7 read strength {diag.read_strength:.2f}")
