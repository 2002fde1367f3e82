"""Time series of the tracker's internals for one object, for the plots and the slot timeline (Qt-free).

Only frames whose project entry is still a tracked box count: diagnostics outlive an undo of the
run that made them, and a frame the user has since corrected shows the user's box, not the
tracker's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracker.project import Project, Provenance
from tracker.result import Diagnostics

from .diagnostics_store import DiagnosticsStore
from .memory_model import SlotRecord

__all__ = ["InsightSeries", "build_series", "tracked_diagnostics", "tracked_slots"]


def tracked_diagnostics(store: DiagnosticsStore, project: Project, track_id: int,
                        frame: int) -> Diagnostics | None:
    """The diagnostics of a frame whose entry is still the tracker's box, else None."""
    obj = project.objects.get(track_id)
    entry = obj.entries.get(frame) if obj is not None else None
    if entry is None or entry.provenance is not Provenance.TRACKED:
        return None
    return store.get(track_id, frame)


def tracked_slots(store: DiagnosticsStore, project: Project, track_id: int, frame: int) -> SlotRecord | None:
    """The slot record of a frame a run processed (tracked, or re-seeded on a keyframe), else None.
    A keyframe shows only a record taken after re-seeding there: the record of a run that tracked
    the frame before the user corrected it holds the memory before the correction."""
    obj = project.objects.get(track_id)
    entry = obj.entries.get(frame) if obj is not None else None
    if entry is None or entry.provenance not in (Provenance.TRACKED, Provenance.KEYFRAME):
        return None
    record = store.slots(track_id, frame)
    if record is None or record.reseeded != (entry.provenance is Provenance.KEYFRAME):
        return None
    return record


@dataclass(frozen=True)
class InsightSeries:
    """Per tracked frame (``frames``, sorted): confidence, gates (n, 3) [no-op, update, allocate],
    mean residual gate, read strength, read weights (n, N) and the dominant read slot.
    ``writes``: (frame, slot) pairs, the frame's appearance was written into the slot (at least
    half of it replaced, the engine's rule for a slot's source); ``frozen``: frames whose
    appearance was kept out of memory by a freeze."""

    frames: np.ndarray
    confidence: np.ndarray
    gates: np.ndarray
    residual: np.ndarray
    strength: np.ndarray
    read: np.ndarray
    dominant: np.ndarray
    writes: tuple[tuple[int, int], ...]
    frozen: tuple[int, ...]

    @property
    def slots(self) -> int:
        return self.read.shape[1] if self.read.ndim == 2 else 0

    def __len__(self) -> int:
        return len(self.frames)


def build_series(store: DiagnosticsStore, project: Project, track_id: int) -> InsightSeries:
    obj = project.objects.get(track_id)
    frames, conf, gates, residual, strength, read = [], [], [], [], [], []
    if obj is not None:
        for f in store.frames(track_id):
            entry = obj.entries.get(f)
            d = store.get(track_id, f)
            if entry is None or entry.provenance is not Provenance.TRACKED or d is None:
                continue
            frames.append(f)
            conf.append(np.nan if entry.score is None else entry.score)
            gates.append(d.gates)
            residual.append(d.residual_gate)
            strength.append(d.read_strength)
            read.append(d.read_weights)
    writes: set[tuple[int, int]] = set()
    frozen: list[int] = []
    if obj is not None:
        for f in store.slot_frames(track_id):
            record = tracked_slots(store, project, track_id, f)
            if record is None:
                continue
            if record.frozen:
                frozen.append(f)
            for slot, source in enumerate(record.sources):
                if source is not None and source in obj.entries:
                    writes.add((source, slot))
    n_slots = len(read[0]) if read else 0
    read_arr = np.array(read, np.float32).reshape(len(frames), n_slots)
    return InsightSeries(
        frames=np.array(frames, np.int64),
        confidence=np.array(conf, np.float64),
        gates=np.array(gates, np.float32).reshape(len(frames), 3),
        residual=np.array(residual, np.float64),
        strength=np.array(strength, np.float64),
        read=read_arr,
        dominant=read_arr.argmax(axis=1) if len(frames) else np.zeros(0, np.int64),
        writes=tuple(sorted(writes)),
        frozen=tuple(frozen),
    )
