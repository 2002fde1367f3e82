"""Edits of the tracker's memory: what they are, when a run applies them, the undoable commands (Qt-free).

An edit belongs to one object and one frame ``f`` and acts on the engine's state *after* frame ``f``
was processed (tracked, or seeded from a keyframe), through the engine's public API:

- ``pin`` / ``unpin`` slot j: ``pin_slot`` -- a pinned slot is still read but never overwritten nor
  allocated, from the next write on (the write of frame f's own appearance included).
- ``evict`` slot j: ``evict_slot`` -- the slot is emptied and becomes the next allocation target.
- ``retemplate``: ``reseed(mode="retemplate")`` with the object's box on frame f -- the appearance
  in that box replaces the initial template T0 (and is written into the least-used slot).
- ``freeze`` frames a..b: ``set_writes_frozen`` -- the appearance of a frame in a..b is never
  written into memory (reads go on), e.g. while the object is occluded. After processing frame f
  the runner sets ``frozen = a <= f <= b``, because frame f's template is written at the next step.

Slot edits refer to the memory of a run in one direction (``direction``; slot contents of a forward
and a backward run differ), freezes apply to runs in both directions.

How edits persist: they are part of the annotation store (`AnnotationStore.memory_edits`, one
tuple per object), so every edit is one undo step on the window's undo stack, and they are applied
by every later run that passes their frame (track, re-track from here, the forward/backward check).
When the engine's memory stands on an edit's frame (the last run stopped there), the window also
applies the edit at once (see `EngineService.resync_memory`), so the next run continues from the edited memory.
They are not written to the project file: slot edits name slots of one particular engine memory,
which no longer exists once the program is closed (the next session re-initialises from keyframes).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Mapping

import numpy as np

from tracker.protocols import MemoryEditable, TrackingEngine
from tracker.types import Box

from .store import Command, MemoryEditChange

__all__ = [
    "EditKind",
    "MemoryEdit",
    "apply_after_frame",
    "edits_at",
    "frozen_at",
    "replace_edits",
    "slot_edit_command",
    "toggle_pin_command",
]


class EditKind(str, Enum):
    PIN = "pin"
    UNPIN = "unpin"
    EVICT = "evict"
    RETEMPLATE = "retemplate"
    FREEZE = "freeze"


SLOT_KINDS = (EditKind.PIN, EditKind.UNPIN, EditKind.EVICT)
# applied in this order on one frame: an evicted slot can then be pinned, and a retemplate's
# allocation already skips the slots pinned on that frame
_ORDER = {EditKind.EVICT: 0, EditKind.UNPIN: 1, EditKind.PIN: 2, EditKind.RETEMPLATE: 3}


@dataclass(frozen=True)
class MemoryEdit:
    """kind; frame: where it applies (freeze: the first frozen frame); slot for slot edits;
    last: the last frozen frame (freeze only); direction: the run direction it applies to."""

    kind: EditKind
    frame: int
    slot: int | None = None
    last: int | None = None
    direction: int = 1

    def __post_init__(self) -> None:
        if self.frame < 0:
            raise ValueError(f"memory edit on frame {self.frame}: frames start at 0")
        if (self.kind in SLOT_KINDS) != (self.slot is not None):
            need = "needs" if self.kind in SLOT_KINDS else "takes no"
            raise ValueError(f"a {self.kind.value} edit {need} slot")
        if (self.kind is EditKind.FREEZE) != (self.last is not None):
            raise ValueError("a freeze needs its last frame (and only a freeze has one)")
        if self.last is not None and self.last < self.frame:
            raise ValueError(f"freeze range {self.frame}..{self.last} is empty")
        if self.direction not in (1, -1):
            raise ValueError("direction must be 1 or -1")

    def describe(self) -> str:
        way = "" if self.direction == 1 else " (backward runs)"
        if self.kind is EditKind.FREEZE:
            return f"freeze writes, frames {self.frame}-{self.last}"
        if self.kind is EditKind.RETEMPLATE:
            return f"frame {self.frame}: initial template from this box{way}"
        verb = {EditKind.PIN: "pin", EditKind.UNPIN: "unpin", EditKind.EVICT: "evict"}[self.kind]
        return f"frame {self.frame}: {verb} slot {self.slot}{way}"


def frozen_at(edits: Iterable[MemoryEdit], frame: int) -> bool:
    """Whether frame ``frame``'s appearance must not be written into memory."""
    return any(e.kind is EditKind.FREEZE and e.frame <= frame <= e.last for e in edits)


def edits_at(edits: Iterable[MemoryEdit], frame: int, direction: int) -> list[MemoryEdit]:
    """The non-freeze edits applied after ``frame`` in a run of ``direction``, in application order."""
    here = [e for e in edits
            if e.kind is not EditKind.FREEZE and e.frame == frame and e.direction == direction]
    return sorted(here, key=lambda e: (_ORDER[e.kind], e.slot if e.slot is not None else -1))


def apply_after_frame(tracker: TrackingEngine, target_id: int, frame: int, direction: int, edits: Iterable[MemoryEdit],
                      image: np.ndarray | None, box: Box | None) -> tuple[MemoryEdit, ...]:
    """Apply the edits of ``frame`` to one target of the engine; returns those applied.

    ``box`` is the object's box on ``frame`` (a retemplate needs it and ``image``; without them
    the retemplate is skipped). Trackers without memory editing (test doubles) are left alone.
    """
    edits = tuple(edits)
    if not isinstance(tracker, MemoryEditable):
        return ()
    tracker.set_writes_frozen(frozen_at(edits, frame), target_id=target_id)
    applied = []
    for e in edits_at(edits, frame, direction):
        if e.kind is EditKind.PIN or e.kind is EditKind.UNPIN:
            tracker.pin_slot(e.slot, e.kind is EditKind.PIN, target_id=target_id)
        elif e.kind is EditKind.EVICT:
            tracker.evict_slot(e.slot, target_id=target_id)
        elif e.kind is EditKind.RETEMPLATE:
            if image is None or box is None:
                continue
            tracker.reseed(image, box, mode="retemplate", target_id=target_id, frame_index=frame)
        applied.append(e)
    return tuple(applied)


# ----------------------------------------------------------------------------- commands


def replace_edits(memory_edits: Mapping[int, tuple[MemoryEdit, ...]], track_id: int,
                  after: Iterable[MemoryEdit], text: str) -> Command:
    """One undoable step setting an object's edit list (empty command when nothing changes)."""
    before = tuple(memory_edits.get(track_id, ()))
    after = tuple(after)
    if before == after:
        return Command(text, ())
    return Command(text, (MemoryEditChange(track_id, before, after),))


def slot_edit_command(memory_edits: Mapping[int, tuple[MemoryEdit, ...]], track_id: int,
                      edit: MemoryEdit) -> Command:
    """Add ``edit``; an edit already there on the same frame, slot and direction is replaced (a
    second pin/unpin/evict of one slot on one frame would be ambiguous). Freezes and retemplates
    are added unless an identical one exists."""
    current = tuple(memory_edits.get(track_id, ()))
    if edit.kind in SLOT_KINDS:
        kept = [e for e in current if not (e.kind in SLOT_KINDS and e.frame == edit.frame
                                          and e.slot == edit.slot and e.direction == edit.direction)]
    else:
        kept = [e for e in current if e != edit]
    return replace_edits(memory_edits, track_id, kept + [edit], f"Memory #{track_id}: {edit.describe()}")


def toggle_pin_command(memory_edits: Mapping[int, tuple[MemoryEdit, ...]], track_id: int, frame: int,
                       slot: int, pinned_now: bool, direction: int = 1) -> Command:
    """Pin a slot shown unpinned on ``frame``, or unpin one shown pinned."""
    kind = EditKind.UNPIN if pinned_now else EditKind.PIN
    return slot_edit_command(memory_edits, track_id, MemoryEdit(kind, frame, slot, direction=direction))
