"""Shared helpers for the import/export tests: a small clip on disk (a folder of PNG frames), a
project on it that exercises every case the formats must handle, and comparisons.

Not a conftest (a second conftest.py would shadow ``tests/conftest.py`` for ``from conftest import``);
test modules import the fixtures from here.
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef
from tracker.types import Box

N_FRAMES, WIDTH, HEIGHT = 12, 160, 120

K, T, I, M, A = (Provenance.KEYFRAME, Provenance.TRACKED, Provenance.INTERPOLATED, Provenance.IMPORTED,
                 Provenance.ABSENT)


def write_clip(folder: Path, n: int = N_FRAMES) -> Path:
    """A folder of ``n`` distinct 160x120 PNG frames (a gradient with the frame number drawn in)."""
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    for i in range(n):
        img = np.stack([(xx * 255 // WIDTH), (yy * 255 // HEIGHT), np.full_like(xx, (i * 20) % 256)], -1)
        img = img.astype(np.uint8)
        cv2.putText(img, str(i), (60, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
        cv2.imwrite(str(folder / f"{i:04d}.png"), img)
    return folder


def make_project(video_path: str) -> Project:
    """Three objects (ids 1, 2, 5; labels car, person, car) covering: keyframes, tracked boxes with
    scores, interpolated boxes, imported boxes, absent marks, a frame with no entry, a box sticking
    out of the frame on the left, boxes touching the right/bottom edges, the whole frame, the last
    frame, an object whose first entries are absent marks, fractional coordinates."""
    video = VideoRef(video_path, N_FRAMES, WIDTH, HEIGHT, 25.0)
    p = Project(video=video, labels=["car", "person"])
    car = TrackObject(1, "car", "#e6194b")
    car.entries[0] = BoxEntry(Box(10.25, 20.5, 30.0, 18.75), K)
    for f in range(1, 6):
        car.entries[f] = BoxEntry(Box(10.25 + 3 * f, 20.5 + f, 30.0, 18.75), T, round(0.9 - 0.05 * f, 3))
    car.entries[6] = BoxEntry(Box(28.5, 26.0, 30.0, 18.75), I)
    car.entries[7] = BoxEntry(Box(31.5, 27.0, 30.0, 18.75), I)
    car.entries[8] = BoxEntry(None, A)
    # frame 9: no entry at all (not annotated)
    car.entries[10] = BoxEntry(Box(40.0, 30.0, 28.0, 17.0), K)
    car.entries[11] = BoxEntry(Box(41.0, 30.5, 28.0, 17.0), T, 0.5)
    person = TrackObject(2, "person", "#3cb44b")
    person.entries[2] = BoxEntry(Box(100.0, 40.0, 20.0, 50.0), K)
    person.entries[3] = BoxEntry(Box(-5.5, 40.0, 20.0, 50.0), T, 0.75)  # sticks out on the left
    person.entries[4] = BoxEntry(Box(140.0, 70.0, 20.0, 50.0), T, 0.7)  # touches right and bottom
    person.entries[5] = BoxEntry(Box(139.0, 69.0, 21.0, 51.0), M)
    person.entries[6] = BoxEntry(Box(0.0, 0.0, 160.0, 120.0), K)  # the whole frame
    late = TrackObject(5, "car", "#4363d8")
    late.entries[0] = BoxEntry(None, A)
    late.entries[1] = BoxEntry(None, A)
    late.entries[11] = BoxEntry(Box(150.0, 110.0, 10.0, 10.0), K)  # bottom-right corner, last frame
    p.objects = {1: car, 2: person, 5: late}
    return p


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_clip(tmp_path / "clip")


@pytest.fixture
def project(clip) -> Project:
    return make_project(str(clip))


def count_boxes(project: Project) -> int:
    return sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)


def clipped(box: Box, width: int = WIDTH, height: int = HEIGHT) -> Box:
    x1, y1 = max(box.x, 0.0), max(box.y, 0.0)
    x2, y2 = min(box.x + box.w, width), min(box.y + box.h, height)
    return Box(x1, y1, x2 - x1, y2 - y1)


def box_close(a: Box | None, b: Box | None, tol: float = 1e-3) -> bool:
    if a is None or b is None:
        return a is b
    return all(math.isclose(u, v, abs_tol=tol) for u, v in zip(a.as_tuple(), b.as_tuple()))


def assert_same_tracks(actual: Project, expected: Project, tol: float = 1e-3, *, scores: bool = True) -> None:
    """Same objects (ids, labels), same entries per frame: box (within tol), provenance, score."""
    assert sorted(actual.objects) == sorted(expected.objects)
    for tid, exp in expected.objects.items():
        got = actual.objects[tid]
        assert got.label == exp.label, tid
        assert sorted(got.entries) == sorted(exp.entries), f"object {tid} frames"
        for f, e in exp.entries.items():
            g = got.entries[f]
            assert box_close(g.box, e.box, tol), f"object {tid} frame {f}: {g.box} != {e.box}"
            assert g.provenance is e.provenance, f"object {tid} frame {f}: {g.provenance} != {e.provenance}"
            if scores:
                if e.score is None:
                    assert g.score is None, f"object {tid} frame {f}"
                else:
                    assert g.score == pytest.approx(e.score, abs=1e-4), f"object {tid} frame {f}"
