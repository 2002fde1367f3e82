"""What callers may rely on from a tracker, as typed Protocols (MemTracker satisfies all of them).

Callers type their tracker with the smallest protocol they need instead of ``Any``, and ask for an
optional capability with ``isinstance`` (the protocols are runtime-checkable) instead of probing
attribute names:

- `SingleTracker`: one target, ``initialize`` then ``track`` (the evaluation runner, baselines);
  `BgrTracker` when it takes the decoded BGR frame directly (the OpenCV baselines).
- `TrackingEngine`: several targets by id, re-seeding at corrections (the window's runs, the
  ``track`` command).
- `SnapshotEngine`: an engine whose whole state can be saved and put back (two-sided fill, check
  runs, memory edits on the resting engine).
- `MemoryEditable`: an engine whose memory slots can be listed and edited (pin, evict, freeze
  writes).

The two capabilities are protocols of their own (not extensions of `TrackingEngine`), so a test
double that offers one of them is recognised without implementing everything else.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from .result import TrackResult
from .types import Box

__all__ = ["BgrTracker", "MemoryEditable", "SingleTracker", "SnapshotEngine", "TrackingEngine"]


@runtime_checkable
class SingleTracker(Protocol):
    """MemTracker's single-target interface (frames are RGB uint8 (H, W, 3))."""

    def initialize(self, frame: np.ndarray, box: Box) -> None: ...

    def track(self, frame: np.ndarray) -> TrackResult: ...


@runtime_checkable
class BgrTracker(Protocol):
    """A single-target tracker fed BGR frames (OpenCV's order), saving a conversion per frame."""

    def initialize_bgr(self, frame: np.ndarray, box: Box) -> None: ...

    def track_bgr(self, frame: np.ndarray) -> TrackResult: ...


@runtime_checkable
class TrackingEngine(Protocol):
    """Several targets by id on one engine; ``frame_index`` only labels diagnostics and memory."""

    @property
    def target_ids(self) -> list[int]: ...

    def describe(self) -> str: ...

    def initialize(self, frame: np.ndarray, box: Box, target_id: int = 0, frame_index: int = 0) -> None: ...

    def remove(self, target_id: int) -> None: ...

    def reseed(self, frame: np.ndarray, box: Box, mode: str = "update", target_id: int = 0,
               frame_index: int | None = None) -> None: ...

    def track_all(self, frame: np.ndarray, frame_index: int | None = None) -> dict[int, TrackResult]: ...


@runtime_checkable
class SnapshotEngine(Protocol):
    """A snapshot is opaque: only `restore` of the same engine reads it."""

    def snapshot(self) -> Any: ...

    def restore(self, snapshot: Any) -> None: ...


@runtime_checkable
class MemoryEditable(Protocol):
    def memory_slots(self, target_id: int = 0) -> list[dict]: ...

    def pin_slot(self, slot: int, pinned: bool = True, target_id: int = 0) -> None: ...

    def evict_slot(self, slot: int, target_id: int = 0) -> None: ...

    def set_writes_frozen(self, frozen: bool, target_id: int = 0) -> None: ...
