"""Exact frame indexing in compressed video: the frame read for index i is frame i, after any
seek (frame numbers are painted into the frames as large bit blocks and read back)."""
from __future__ import annotations

import random

import cv2
import numpy as np

from conftest import write_clip
from tracker.video import open_source

BITS = 8
CELL = 20  # pixels per bit block: big enough to survive mp4v compression


def encode(i: int, h: int = 96, w: int = 200) -> np.ndarray:
    rng = np.random.default_rng(i)  # noisy background makes the codec work (P/B frames differ)
    frame = rng.integers(60, 190, (h, w, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(frame, (5, 5), 0)
    for b in range(BITS):
        on = (i >> b) & 1
        frame[10:10 + CELL, 10 + b * (CELL + 2):10 + b * (CELL + 2) + CELL] = 255 if on else 0
    return frame


def decode(frame: np.ndarray) -> int:
    value = 0
    for b in range(BITS):
        x = 10 + b * (CELL + 2)
        if frame[14:10 + CELL - 4, x + 4:x + CELL - 4].mean() > 128:
            value |= 1 << b
    return value


def test_random_seeks_in_mp4_return_the_exact_frame(tmp_path):
    n = 120
    path = write_clip(tmp_path / "numbers.mp4", [encode(i) for i in range(n)])
    with open_source(path) as src:
        assert len(src) == n
        order = list(range(n))
        random.Random(1).shuffle(order)
        for i in order[:60] + [n - 1, 0, 57, 56, 55, 119, 3]:
            assert decode(src.read(i)) == i
        twin = src.clone()  # another thread's source: same index, own decoder
        try:
            assert len(twin) == n and decode(twin.read(77)) == 77 and decode(twin.read(12)) == 12
        finally:
            twin.close()
