"""Small inputs for the hardening tests: a folder of tiny PNG frames, a project on it, one-line
error checks and a snapshot of a folder's files (to assert that nothing existing changed)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef
from tracker.types import Box

N_FRAMES, WIDTH, HEIGHT = 4, 64, 48


def write_frames(folder: Path, n: int = N_FRAMES, sizes: list[tuple[int, int]] | None = None) -> Path:
    """``n`` distinct PNG frames, WIDTH x HEIGHT unless ``sizes`` gives (width, height) per frame."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        w, h = sizes[i] if sizes else (WIDTH, HEIGHT)
        img = np.full((h, w, 3), 40 * i % 256, np.uint8)
        img[h // 4: h // 2, w // 4: w // 2] = 255
        cv2.imwrite(str(folder / f"{i:04d}.png"), img)
    return folder


def small_project(video_path: str, labels=("car", "person")) -> Project:
    project = Project(video=VideoRef(video_path, N_FRAMES, WIDTH, HEIGHT, 25.0), labels=list(labels))
    car = TrackObject(1, labels[0], "#e6194b")
    car.entries[0] = BoxEntry(Box(4.0, 5.0, 20.0, 10.0), Provenance.KEYFRAME)
    car.entries[1] = BoxEntry(Box(6.0, 6.0, 20.0, 10.0), Provenance.TRACKED, 0.8)
    car.entries[2] = BoxEntry(None, Provenance.ABSENT)
    other = TrackObject(2, labels[-1], "#3cb44b")
    other.entries[3] = BoxEntry(Box(30.0, 20.0, 10.0, 12.0), Provenance.KEYFRAME)
    project.objects = {1: car, 2: other}
    return project


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_frames(tmp_path / "clip")


def one_line(error: BaseException, *parts: str) -> str:
    message = str(error)
    assert "\n" not in message and "\r" not in message, repr(message)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with a hash of its content."""
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
