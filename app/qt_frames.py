"""Qt side of the frame cache: turns the loader thread's callbacks into a queued signal."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore

from .core.frame_cache import FrameCache

__all__ = ["FrameLoader"]


class FrameLoader(QtCore.QObject):
    """Frames for display. ``frame_ready(int)`` arrives on the GUI thread when a requested frame
    is decoded; `get` returns cached frames without waiting.

    The given source stays with the GUI thread for metadata only; the loader thread decodes
    from its own clone.
    """

    frame_ready = QtCore.Signal(int)

    def __init__(self, source: Any, capacity_bytes: int, parent=None):
        super().__init__(parent)
        self.frame_count = len(source)
        self.cache = FrameCache(source.clone, self.frame_count, (source.height, source.width, 3),
                                capacity_bytes, on_ready=self.frame_ready.emit)

    def get(self, index: int) -> np.ndarray | None:
        return self.cache.get(index)

    def failure(self, index: int) -> str | None:
        """Why frame ``index`` could not be decoded, or None."""
        return self.cache.failure(index)

    def request(self, index: int, direction: int = 1) -> None:
        self.cache.request(index, direction)

    def put(self, index: int, image: np.ndarray) -> None:
        self.cache.put(index, image)

    def close(self) -> None:
        self.cache.close()

    @property
    def error(self) -> Exception | None:
        return self.cache.error
