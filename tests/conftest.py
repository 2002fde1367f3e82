"""Shared fixtures: offscreen Qt, the shared evaluation sequences (skipped when absent), and small
synthetic frames with a known moving target."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_SEQUENCES = REPO.parent / "shared" / "data" / "sequences"


@pytest.fixture
def shared_sequences() -> Path:
    if not SHARED_SEQUENCES.is_dir():
        pytest.skip("../shared/data/sequences is not present")
    return SHARED_SEQUENCES


def textured_background(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random texture, (H, W, 3) uint8 RGB."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    import cv2

    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def moving_square_frames(n: int = 12, height: int = 120, width: int = 160, size: int = 24,
                         step: tuple[float, float] = (3.0, 1.5), seed: int = 0):
    """A checkered square moving over a textured background. Returns (frames, boxes) with boxes
    as (x, y, w, h) 0-based floats."""
    bg = textured_background(height, width, seed)
    patch = np.zeros((size, size, 3), np.uint8)
    patch[: size // 2, : size // 2] = (250, 30, 30)
    patch[size // 2 :, size // 2 :] = (250, 30, 30)
    patch[: size // 2, size // 2 :] = (30, 30, 250)
    patch[size // 2 :, : size // 2] = (30, 30, 250)
    frames, boxes = [], []
    x0, y0 = 20.0, 30.0
    for t in range(n):
        x, y = int(round(x0 + step[0] * t)), int(round(y0 + step[1] * t))
        f = bg.copy()
        f[y : y + size, x : x + size] = patch
        frames.append(f)
        boxes.append((float(x), float(y), float(size), float(size)))
    return frames, boxes


@pytest.fixture
def square_clip():
    return moving_square_frames()
