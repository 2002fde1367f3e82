"""What is open: the project, where it is saved and its video (Qt-free helpers for opening).

A path given to the window is one of: a project file (``.json``), a video file, or a folder of
frames. A video or folder with a project saved next to it under the default name opens that
project. Paths inside the in-memory project are absolute; `save_project` makes them relative.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from tracker.project import Project, VideoRef, load_project

__all__ = ["Document", "default_project_path", "is_project_file", "load_project_document",
           "new_project", "video_mismatch"]

PROJECT_SUFFIX = ".memtrack.json"


@dataclass
class Document:
    project: Project
    project_path: Path | None  # None until saved
    video_path: Path

    @property
    def name(self) -> str:
        return (self.project_path or self.video_path).name


def is_project_file(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def default_project_path(video_path: Path) -> Path:
    """``clip.mp4`` -> ``clip.mp4.memtrack.json`` next to it (a folder: beside the folder)."""
    video_path = video_path.resolve()
    return video_path.parent / (video_path.name + PROJECT_SUFFIX)


def new_project(video_path: Path, frame_count: int, width: int, height: int, fps: float) -> Project:
    ref = VideoRef(str(video_path.resolve()), frame_count, width, height, float(fps))
    return Project(video=ref)


def load_project_document(project_path: Path) -> Document:
    """Read a project file (raises ProjectError); its video path is made absolute."""
    project = load_project(project_path)
    video = project.video_path(project_path)
    project.video = replace(project.video, path=str(video))
    return Document(project, project_path.resolve(), video)


def video_mismatch(project: Project, frame_count: int, width: int, height: int) -> str:
    """Why a video does not fit a project ("" when it does)."""
    v = project.video
    problems = []
    if v.frame_count and v.frame_count != frame_count:
        problems.append(f"{frame_count} frames, the project expects {v.frame_count}")
    if (v.width, v.height) != (0, 0) and (v.width, v.height) != (width, height):
        problems.append(f"{width}x{height} pixels, the project expects {v.width}x{v.height}")
    return "; ".join(problems)
