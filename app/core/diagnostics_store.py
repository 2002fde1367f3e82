"""Per-object, per-frame tracker diagnostics kept in bounded memory (Qt-free).

The window records, for every frame a run processes, the engine's `Diagnostics` (attention and
response maps, read/write weights, gates, ...) and a `SlotRecord` (what each memory slot holds,
with the image crops), so scrubbing back to a tracked frame shows what the tracker saw without
re-running it.

Bounds: each object keeps at most ``max_frames`` frames, and all objects together at most
``max_bytes`` of arrays (about 6 kB of maps per frame, plus 12 kB per distinct slot crop: records of
consecutive frames share their crops, counted once). The least recently written frames go first.

Entries outlive an undo of the run that made them; callers check that the frame still holds a
tracked entry before showing them (a later run over the frame replaces them).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from tracker.result import Diagnostics

from .memory_model import SlotRecord

__all__ = ["DiagnosticsStore", "attention_entropy"]


def attention_entropy(attention: np.ndarray) -> float:
    """Entropy of an attention map (sums to 1) over the entropy of a uniform map: 0 = one cell, 1 = flat."""
    p = np.asarray(attention, np.float64).ravel()
    n = p.size
    p = p[p > 0]
    if p.size == 0 or n < 2:
        return 0.0
    return float(-(p * np.log(p)).sum() / math.log(n))


@dataclass
class _Entry:
    diagnostics: Diagnostics | None = None
    slots: SlotRecord | None = None
    entropy: float | None = None  # of the attention map, computed once when first asked for


def _diag_bytes(d: Diagnostics | None) -> int:
    if d is None:
        return 0
    arrays = (d.attention, d.response, d.read_weights, d.write_weights, d.usage, d.gates)
    return sum(a.nbytes for a in arrays) + 200


class DiagnosticsStore:
    def __init__(self, max_frames: int = 5000, max_bytes: int = 384 << 20):
        if max_frames < 1:
            raise ValueError("max_frames must be at least 1")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._data: dict[int, OrderedDict[int, _Entry]] = {}
        self._age: OrderedDict[tuple[int, int], None] = OrderedDict()  # least recently written first
        self._crop_refs: dict[int, list] = {}  # id(crop) -> [crop, reference count]
        self._bytes = 0

    # ------------------------------------------------------------------ writing
    def put(self, track_id: int, frame: int, diagnostics: Diagnostics | None) -> None:
        """Record (or, with None, forget) the diagnostics of one object on one frame."""
        entry = self._entry(track_id, frame, create=diagnostics is not None)
        if entry is None:
            return
        self._bytes -= _diag_bytes(entry.diagnostics)
        entry.diagnostics = diagnostics
        entry.entropy = None
        self._bytes += _diag_bytes(diagnostics)
        self._settle(track_id, frame, entry)

    def put_slots(self, track_id: int, frame: int, record: SlotRecord | None) -> None:
        """Record (or forget) what the memory slots held after ``frame`` was processed."""
        entry = self._entry(track_id, frame, create=record is not None)
        if entry is None:
            return
        self._release(entry.slots)
        entry.slots = record
        self._retain(record)
        self._settle(track_id, frame, entry)

    # ------------------------------------------------------------------ reading
    def get(self, track_id: int, frame: int) -> Diagnostics | None:
        entry = self._data.get(track_id, {}).get(frame)
        return entry.diagnostics if entry is not None else None

    def attention_entropy(self, track_id: int, frame: int) -> float | None:
        """The normalised entropy of the frame's attention map (0 = one cell, 1 = flat), cached."""
        entry = self._data.get(track_id, {}).get(frame)
        if entry is None or entry.diagnostics is None:
            return None
        if entry.entropy is None:
            entry.entropy = attention_entropy(entry.diagnostics.attention)
        return entry.entropy

    def slots(self, track_id: int, frame: int) -> SlotRecord | None:
        entry = self._data.get(track_id, {}).get(frame)
        return entry.slots if entry is not None else None

    def frames(self, track_id: int) -> list[int]:
        """Frames with diagnostics for the object, sorted."""
        return sorted(f for f, e in self._data.get(track_id, {}).items() if e.diagnostics is not None)

    def slot_frames(self, track_id: int) -> list[int]:
        """Frames with a slot record for the object, sorted."""
        return sorted(f for f, e in self._data.get(track_id, {}).items() if e.slots is not None)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return sum(len(v) for v in self._data.values())

    # ------------------------------------------------------------------ forgetting
    def discard(self, track_id: int, frame: int) -> None:
        frames = self._data.get(track_id)
        if frames is None or frame not in frames:
            return
        self._drop(track_id, frame)

    def drop_object(self, track_id: int) -> None:
        for frame in list(self._data.get(track_id, ())):
            self._drop(track_id, frame)
        self._data.pop(track_id, None)

    def clear(self) -> None:
        self._data.clear()
        self._age.clear()
        self._crop_refs.clear()
        self._bytes = 0

    # ------------------------------------------------------------------ internals
    def _entry(self, track_id: int, frame: int, create: bool) -> _Entry | None:
        frames = self._data.get(track_id)
        entry = frames.get(frame) if frames is not None else None
        if entry is None and create:
            entry = _Entry()
            self._data.setdefault(track_id, OrderedDict())[frame] = entry
        return entry

    def _settle(self, track_id: int, frame: int, entry: _Entry) -> None:
        if entry.diagnostics is None and entry.slots is None:
            self._drop(track_id, frame)
            return
        frames = self._data[track_id]
        frames.move_to_end(frame)
        self._age[(track_id, frame)] = None
        self._age.move_to_end((track_id, frame))
        while len(frames) > self.max_frames:
            self._drop(track_id, next(iter(frames)))
        while self._bytes > self.max_bytes and len(self._age) > 1:
            old_tid, old_frame = next(iter(self._age))
            self._drop(old_tid, old_frame)

    def _drop(self, track_id: int, frame: int) -> None:
        entry = self._data[track_id].pop(frame)
        self._age.pop((track_id, frame), None)
        self._bytes -= _diag_bytes(entry.diagnostics)
        self._release(entry.slots)

    def _retain(self, record: SlotRecord | None) -> None:
        if record is None:
            return
        for crop in record.crop_arrays():
            ref = self._crop_refs.get(id(crop))
            if ref is None:
                self._crop_refs[id(crop)] = [crop, 1]
                self._bytes += crop.nbytes
            else:
                ref[1] += 1
        self._bytes += 64 * len(record.sources)

    def _release(self, record: SlotRecord | None) -> None:
        if record is None:
            return
        for crop in record.crop_arrays():
            ref = self._crop_refs.get(id(crop))
            if ref is None:
                continue
            ref[1] -= 1
            if ref[1] == 0:
                del self._crop_refs[id(crop)]
                self._bytes -= crop.nbytes
        self._bytes -= 64 * len(record.sources)
