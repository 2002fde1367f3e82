"""A tiny video collection: two image-folder clips of a moving square with keyframes (one as a project
file, one as a MOT file) and one broken video, listed in a CSV manifest."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from tests.conftest import moving_square_frames
from tracker.formats import export_project
from tracker.project import BoxEntry, Project, Provenance, VideoRef, save_project
from tracker.types import Box

FRAMES = 7


def write_clip(folder: Path, seed: int, n: int = FRAMES) -> list[tuple[float, float, float, float]]:
    frames, boxes = moving_square_frames(n=n, height=96, width=128, size=22, seed=seed)
    folder.mkdir(parents=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return boxes


def keyframe_project(folder: Path, boxes, keyframes: dict[int, bool], n: int = FRAMES) -> Project:
    """keyframes: frame -> True for a box from ``boxes``, False for an absent mark."""
    project = Project(VideoRef(str(folder.resolve()), n, 128, 96, 30.0))
    obj = project.new_object("square")
    for f, present in keyframes.items():
        obj.entries[f] = (BoxEntry(Box(*boxes[f]), Provenance.KEYFRAME) if present
                          else BoxEntry(None, Provenance.ABSENT))
    return project


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """The manifest of three videos: ``a`` (project keyframes 0 and 4), ``b`` (MOT keyframes 1 and 5)
    and ``broken`` (an .mp4 that is not a video)."""
    data = tmp_path / "data"
    boxes_a = write_clip(data / "a", seed=1)
    save_project(data / "a.json", keyframe_project(data / "a", boxes_a, {0: True, 4: True}))
    boxes_b = write_clip(data / "b", seed=2)
    export_project(keyframe_project(data / "b", boxes_b, {1: True, 5: True}), "mot", data / "b_mot")
    (data / "broken.mp4").write_bytes(b"this is not a video" * 100)
    save_project(data / "broken.json", keyframe_project(data / "a", boxes_a, {0: True}))
    manifest = data / "manifest.csv"
    manifest.write_text("video,keyframes,format\n"
                        "a,a.json,\n"
                        "b,b_mot/gt/gt.txt,mot\n"
                        "broken.mp4,broken.json,project\n")
    return manifest
