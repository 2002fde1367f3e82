"""A small stand-in for MemTracker with the same public API, for fast window tests.

It really tracks (normalised cross-correlation of the initial template in a search window), so
tests on the synthetic clip get correct boxes; it records every engine call so tests can check
the window initialises, re-seeds and removes targets as promised.
"""
from __future__ import annotations

import dataclasses
import threading
import time

import cv2
import numpy as np

from tracker.result import TrackResult
from tracker.types import Box


class FakeTracker:
    def __init__(self, delay: float = 0.0, scores: dict[int, float] | None = None, fail_at: int | None = None):
        self.delay = delay  # seconds per track_all, to simulate the engine's cost
        self.scores = scores or {}  # frame_index -> forced score (auto-pause tests)
        self.fail_at = fail_at
        self.calls: list[tuple] = []
        self._targets: dict[int, dict] = {}
        self.thread_ids: set[int] = set()

    @property
    def target_ids(self) -> list[int]:
        return list(self._targets)

    def describe(self) -> str:
        return "FakeTracker on cpu"

    def _gray(self, frame: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)

    def initialize(self, frame, box: Box, target_id: int = 0, frame_index: int = 0) -> None:
        self.calls.append(("initialize", target_id, frame_index, box))
        x, y, w, h = (int(round(v)) for v in box.as_tuple())
        g = self._gray(frame)
        self._targets[target_id] = {"box": box, "template": g[y:y + h, x:x + w].copy()}

    def remove(self, target_id: int) -> None:
        self.calls.append(("remove", target_id))
        del self._targets[target_id]

    def reseed(self, frame, box: Box, mode: str = "update", target_id: int = 0, frame_index=None) -> None:
        self.calls.append(("reseed", target_id, frame_index, box, mode))
        if mode == "reset" or target_id not in self._targets:
            self.initialize(frame, box, target_id, frame_index or 0)
        else:
            self._targets[target_id]["box"] = box

    def track_all(self, frame, frame_index=None) -> dict[int, TrackResult]:
        self.thread_ids.add(threading.get_ident())
        self.calls.append(("track_all", frame_index))
        if self.fail_at is not None and frame_index == self.fail_at:
            raise RuntimeError("engine failure for the test")
        if self.delay:
            time.sleep(self.delay)
        g = self._gray(frame)
        H, W = g.shape
        out = {}
        for tid, t in self._targets.items():
            b, tpl = t["box"], t["template"]
            th, tw = tpl.shape
            pad = 12
            x0, y0 = max(0, int(b.x) - pad), max(0, int(b.y) - pad)
            x1, y1 = min(W, int(b.x + b.w) + pad), min(H, int(b.y + b.h) + pad)
            region = g[y0:y1, x0:x1]
            if region.shape[0] < th or region.shape[1] < tw:
                score, nb = 0.0, b
            else:
                res = cv2.matchTemplate(region, tpl, cv2.TM_CCOEFF_NORMED)
                _, score, _, loc = cv2.minMaxLoc(res)
                nb = Box(float(x0 + loc[0]), float(y0 + loc[1]), b.w, b.h)
            score = float(self.scores.get(frame_index, max(0.0, score)))
            t["box"] = nb
            out[tid] = TrackResult(nb, score, None)
        return out

    def call_names(self) -> list[str]:
        return [c[0] for c in self.calls]


def moving_square_frames(n: int = 40, height: int = 120, width: int = 160, size: int = 24,
                         step: tuple[float, float] = (2.5, 1.0), seed: int = 0):
    """A two-colour checkered square moving over a smooth random texture; (frames, boxes)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    bg = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    patch = np.zeros((size, size, 3), np.uint8)
    half = size // 2
    patch[:half, :half] = patch[half:, half:] = (250, 30, 30)
    patch[:half, half:] = patch[half:, :half] = (30, 30, 250)
    frames, boxes = [], []
    for t in range(n):
        x, y = int(round(20 + step[0] * t)), int(round(30 + step[1] * t))
        f = bg.copy()
        f[y:y + size, x:x + size] = patch
        frames.append(f)
        boxes.append((float(x), float(y), float(size), float(size)))
    return frames, boxes


class JumpyTracker(FakeTracker):
    """Follows the square, but on ``jump_at`` proposes a box 2 box sizes away, confidently."""

    def __init__(self, jump_at: int):
        super().__init__()
        self.jump_at = jump_at

    def track_all(self, frame, frame_index=None):
        results = super().track_all(frame, frame_index)
        if frame_index == self.jump_at:
            results = {t: dataclasses.replace(r, box=Box(r.box.x + 2 * r.box.w, r.box.y, r.box.w, r.box.h),
                                              score=0.95) for t, r in results.items()}
        return results
