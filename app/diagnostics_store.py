"""Per-object, per-frame tracker diagnostics kept in bounded memory (Qt-free).

The window records the engine's `Diagnostics` for every tracked frame so that scrubbing back to a
tracked frame can show what the tracker saw without re-running it. Each object keeps at most
``max_frames`` frames; the least recently written go first.
"""
from __future__ import annotations

from collections import OrderedDict

from tracker.result import Diagnostics

__all__ = ["DiagnosticsStore"]


class DiagnosticsStore:
    def __init__(self, max_frames: int = 5000):
        if max_frames < 1:
            raise ValueError("max_frames must be at least 1")
        self.max_frames = max_frames
        self._data: dict[int, OrderedDict[int, Diagnostics]] = {}

    def put(self, track_id: int, frame: int, diagnostics: Diagnostics | None) -> None:
        if diagnostics is None:
            self.discard(track_id, frame)
            return
        frames = self._data.setdefault(track_id, OrderedDict())
        frames[frame] = diagnostics
        frames.move_to_end(frame)
        while len(frames) > self.max_frames:
            frames.popitem(last=False)

    def get(self, track_id: int, frame: int) -> Diagnostics | None:
        return self._data.get(track_id, {}).get(frame)

    def frames(self, track_id: int) -> list[int]:
        return sorted(self._data.get(track_id, ()))

    def discard(self, track_id: int, frame: int) -> None:
        self._data.get(track_id, {}).pop(frame, None)

    def drop_object(self, track_id: int) -> None:
        self._data.pop(track_id, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return sum(len(v) for v in self._data.values())
