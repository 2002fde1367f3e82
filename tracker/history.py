"""Bounded history of tracker snapshots, so tracking can resume from any earlier frame exactly.

A snapshot of one target is about 150 kB (mostly the 8 memory slots), too much to keep for every
frame of a long video. ``SnapshotHistory`` keeps as many as a byte budget allows, spread evenly over
the frames seen (when full it drops the snapshot whose neighbours are closest), and never drops a
pinned one (e.g. the snapshot taken at a user keyframe). To resume at frame f: restore the nearest
snapshot at or before f and re-track the frames in between (``replay_to``); tracking is
deterministic, so the state reached is bit-identical to the one the first run had at f.
"""
from __future__ import annotations

import bisect
from typing import Callable

import numpy as np

from .engine import MemTracker, TrackerSnapshot

__all__ = ["SnapshotHistory"]


class SnapshotHistory:
    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = int(max_bytes)
        self._frames: list[int] = []  # sorted
        self._snaps: dict[int, TrackerSnapshot] = {}
        self._pinned: set[int] = set()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def frames(self) -> list[int]:
        return list(self._frames)

    def add(self, frame: int, snapshot: TrackerSnapshot, pinned: bool = False) -> None:
        if frame in self._snaps:
            self._bytes -= self._snaps[frame].nbytes
        else:
            bisect.insort(self._frames, frame)
        self._snaps[frame] = snapshot
        self._bytes += snapshot.nbytes
        if pinned:
            self._pinned.add(frame)
        self._shrink()

    def discard_after(self, frame: int) -> None:
        """Forget snapshots after ``frame`` (their frames are about to be tracked again)."""
        while self._frames and self._frames[-1] > frame:
            f = self._frames.pop()
            self._bytes -= self._snaps.pop(f).nbytes
            self._pinned.discard(f)

    def nearest(self, frame: int) -> tuple[int, TrackerSnapshot] | None:
        """The latest snapshot at or before ``frame``, or None."""
        i = bisect.bisect_right(self._frames, frame)
        if i == 0:
            return None
        f = self._frames[i - 1]
        return f, self._snaps[f]

    def replay_to(self, tracker: MemTracker, frame: int, read_frame: Callable[[int], np.ndarray],
                  step: int = 1) -> int:
        """Put ``tracker`` in the state it had after tracking ``frame``.

        Restores the nearest earlier snapshot and re-tracks ``read_frame(i)`` for the frames in between
        (``step`` -1 for a backward run, whose snapshots are at or after ``frame``). Returns the number
        of frames re-tracked. Raises LookupError when no usable snapshot exists.
        """
        if step == 1:
            found = self.nearest(frame)
        else:
            later = [f for f in self._frames if f >= frame]
            found = (later[0], self._snaps[later[0]]) if later else None
        if found is None:
            raise LookupError(f"no snapshot to resume frame {frame} from")
        start, snap = found
        tracker.restore(snap)
        replayed = 0
        for index in range(start + step, frame + step, step):
            tracker.track_all(read_frame(index), frame_index=index)
            replayed += 1
        return replayed

    def _shrink(self) -> None:
        while self._bytes > self.max_bytes:
            candidates = [i for i, f in enumerate(self._frames) if f not in self._pinned]
            if not candidates:
                return
            # keep the first and last frames when possible; drop where the neighbours are closest
            inner = [i for i in candidates if 0 < i < len(self._frames) - 1] or candidates
            victim = min(inner, key=lambda i: self._gap(i))
            f = self._frames.pop(victim)
            self._bytes -= self._snaps.pop(f).nbytes

    def _gap(self, i: int) -> int:
        left = self._frames[i - 1] if i > 0 else self._frames[i]
        right = self._frames[i + 1] if i + 1 < len(self._frames) else self._frames[i]
        return right - left
