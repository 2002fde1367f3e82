"""Small generated benchmark datasets on disk in OTB, GOT-10k and LaSOT layouts, and toy trackers."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import moving_square_frames
from tracker.result import TrackResult
from tracker.types import Box


def write_images(folder: Path, frames: list[np.ndarray], digits: int = 4) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(frames, start=1):
        p = folder / f"{i:0{digits}d}.png"  # lossless, so trackers see exactly the generated pixels
        cv2.imwrite(str(p), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        paths.append(p)
    return paths


def gt_lines(boxes, one_based: bool, sep: str = ",") -> str:
    off = 1 if one_based else 0
    return "".join(f"{x + off:g}{sep}{y + off:g}{sep}{w:g}{sep}{h:g}\n" for x, y, w, h in boxes)


def write_otb(root: Path, name: str, frames, boxes, sep: str = ",", text: str | None = None) -> Path:
    seq = root / name
    write_images(seq / "img", frames)
    (seq / "groundtruth_rect.txt").write_text(text if text is not None else gt_lines(boxes, True, sep))
    return seq


def write_got10k(root: Path, name: str, frames, boxes) -> Path:
    seq = root / name
    write_images(seq, frames, digits=8)
    (seq / "groundtruth.txt").write_text(gt_lines(boxes, False))
    (seq / "absence.label").write_text("0\n" * len(boxes))
    return seq


def write_lasot(root: Path, cls: str, index: int, frames, boxes) -> Path:
    seq = root / cls / f"{cls}-{index}"
    write_images(seq / "img", frames, digits=8)
    (seq / "groundtruth.txt").write_text(gt_lines(boxes, True))
    (seq / "full_occlusion.txt").write_text(",".join("0" * len(boxes)) + "\n")
    return seq


@pytest.fixture
def square_otb(tmp_path: Path) -> tuple[Path, list[tuple[float, float, float, float]]]:
    """An OTB-layout dataset of two 12-frame moving-square sequences; returns (root, boxes of 'Square')."""
    frames, boxes = moving_square_frames(n=12)
    root = tmp_path / "otb"
    write_otb(root, "Square", frames, boxes)
    frames2, boxes2 = moving_square_frames(n=10, step=(2.0, -1.0), seed=3)
    write_otb(root, "Square2", frames2, boxes2, sep="\t")
    return root, boxes


class OracleTracker:
    """Answers the ground-truth box of whatever frame it is shown: frames are recognised by their pixels
    (``frames`` and ``boxes`` as generated, so it also works across sequences and re-initialisations)."""

    def __init__(self, frames: list[np.ndarray], boxes):
        self.truth = {f.tobytes(): Box(*b) for f, b in zip(frames, boxes)}
        self.calls = 0

    def initialize(self, frame, box):
        self.calls += 1

    def track(self, frame):
        self.calls += 1
        return TrackResult(self.truth[frame.tobytes()], 1.0)


class ConstantTracker:
    """Always answers the same box."""

    def __init__(self, box: Box):
        self.box = box

    def initialize(self, frame, box):
        pass

    def track(self, frame):
        return TrackResult(self.box, 0.5)
