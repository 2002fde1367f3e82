"""A bounded frame cache fed by one background decoding thread (Qt-free).

The GUI thread never decodes: it asks `get(i)` (cached frames only, no waiting) and, on a miss,
`request(i)`. The loader thread owns its own `FrameSource` (OpenCV captures must not be shared
between threads), always serves the newest request first (older ones are dropped, so scrubbing
never builds a queue), then reads ahead in the direction of motion while nothing newer is asked
for. A backward read-ahead decodes a block forward and caches it whole, so stepping backwards
through a compressed video costs one seek per block instead of one per frame.

Memory is bounded by bytes (least recently used frames go first), so a long 1080p video keeps
a flat footprint. ``on_ready(i)`` is called from the loader thread when frame i lands, and also
when a requested frame cannot be decoded: `failure(i)` then says why (the GUI shows an error state
for that frame instead of keeping the previous image).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

__all__ = ["FrameCache"]


class FrameCache:
    """Args:
        open_source: called once in the loader thread; returns the thread's own frame source.
        frame_count: number of frames; frame_shape: (H, W, 3) of every frame.
        capacity_bytes: upper bound of cached pixel data.
        on_ready: called (from the loader thread) with the index of each newly decoded frame
            that was explicitly requested.
        read_ahead: frames decoded after a request in the direction of motion.
    """

    def __init__(self, open_source: Callable[[], Any], frame_count: int, frame_shape: tuple[int, ...],
                 capacity_bytes: int = 512 << 20, on_ready: Callable[[int], None] | None = None,
                 read_ahead: int = 12):
        self.frame_count = frame_count
        frame_bytes = int(np.prod(frame_shape))
        self.capacity = max(2, capacity_bytes // max(1, frame_bytes))  # in frames, at least 2
        self.read_ahead = max(0, min(read_ahead, self.capacity // 2))
        self._open = open_source
        self._on_ready = on_ready
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._request: tuple[int, int] | None = None  # (frame, direction), newest only
        self._closing = False
        self.error: Exception | None = None
        self._failures: dict[int, str] = {}  # frame -> why it could not be decoded
        self.decoded = 0  # frames decoded by the loader (for tests and the benchmark)
        self._thread = threading.Thread(target=self._run, name="frame-loader", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- GUI side
    def get(self, index: int) -> np.ndarray | None:
        """The frame if it is cached (marks it recently used), else None. Never blocks on decoding."""
        with self._lock:
            image = self._frames.get(index)
            if image is not None:
                self._frames.move_to_end(index)
            return image

    def failure(self, index: int) -> str | None:
        """Why frame ``index`` could not be decoded (None when it was not tried or it decoded)."""
        with self._lock:
            return self._failures.get(index)

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._frames

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)

    def request(self, index: int, direction: int = 1) -> None:
        """Ask for frame ``index`` (replacing any older pending request), then read-ahead."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} out of range 0..{self.frame_count - 1}")
        with self._wake:
            self._request = (index, 1 if direction >= 0 else -1)
            self._wake.notify()

    def put(self, index: int, image: np.ndarray) -> None:
        """Insert a frame decoded elsewhere (the tracking worker's frames)."""
        with self._lock:
            self._insert(index, image)

    def close(self, timeout: float = 5.0) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout)

    # ---------------------------------------------------------------- loader thread
    def _insert(self, index: int, image: np.ndarray) -> None:
        # caller holds the lock
        if image.flags.writeable:
            image.flags.writeable = False
        self._frames[index] = image
        self._frames.move_to_end(index)
        while len(self._frames) > self.capacity:
            self._frames.popitem(last=False)

    def _take_request(self) -> tuple[int, int] | None:
        with self._wake:
            while self._request is None and not self._closing:
                self._wake.wait()
            if self._closing:
                return None
            req, self._request = self._request, None
            return req

    def _newer_request(self) -> bool:
        with self._lock:
            return self._request is not None or self._closing

    def _run(self) -> None:
        try:
            source = self._open()
        except Exception as e:  # reported through .error; the GUI shows it on the next miss
            self.error = e
            return
        try:
            while (req := self._take_request()) is not None:
                index, direction = req
                try:
                    self._serve(source, index, direction)
                except Exception as e:  # a broken frame must not kill the loader
                    self.error = e
        finally:
            source.close()

    def _decode(self, source: Any, index: int) -> bool:
        """Decode one frame into the cache; False (and the reason kept) when it cannot be decoded."""
        try:
            image = source.read(index)
        except Exception as e:  # one broken frame: remembered for that frame, the loader goes on
            with self._lock:
                self._failures[index] = str(e) or type(e).__name__
            self.error = e
            return False
        with self._lock:
            self._failures.pop(index, None)
            self._insert(index, image)
            self.decoded += 1
        return True

    def _tried(self, index: int) -> bool:
        with self._lock:
            return index in self._frames or index in self._failures

    def _serve(self, source: Any, index: int, direction: int) -> None:
        if direction < 0 and index not in self:
            # decode a block ending at the target, forward: one seek for the whole block
            lo = max(0, index - self.read_ahead)
            for f in range(lo, index + 1):
                if not self._tried(f) or f == index:
                    self._decode(source, f)
            self._notify(index)
            return
        if index not in self:
            self._decode(source, index)
        self._notify(index)
        step = 1 if direction >= 0 else -1
        for k in range(1, self.read_ahead + 1):
            f = index + k * step
            if not 0 <= f < self.frame_count or self._newer_request():
                return
            if not self._tried(f):
                self._decode(source, f)

    def _notify(self, index: int) -> None:
        if self._on_ready is not None:
            self._on_ready(index)
