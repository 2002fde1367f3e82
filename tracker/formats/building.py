"""Building projects on import: the video, track ids, boxes, frames, objects and provenance."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from ..project import Project, Provenance, TrackObject, VideoRef
from ..types import Box, BoxError
from .errors import FormatError


def video_ref(video_path: str | os.PathLike | None, fmt: str) -> VideoRef:
    """The VideoRef for an imported project, from the video (or image folder) itself."""
    from ..video import VideoError, open_source
    from .reading import checkpoint

    checkpoint()
    if video_path is None:
        raise FormatError(f"importing {fmt} needs the video (or image folder) the annotations belong to")
    try:
        with open_source(video_path) as src:
            return VideoRef(str(Path(video_path).resolve()), len(src), src.width, src.height, float(src.fps))
    except VideoError as e:
        raise FormatError(str(e)) from e


def track_id_map(raw_ids: list[int]) -> dict[int, int]:
    """File track ids -> project track ids (positive). Positive ids are kept; otherwise (CVAT and
    others count from 0) every id is shifted so the smallest becomes 1."""
    ids = sorted(set(raw_ids))
    if not ids:
        return {}
    shift = 0 if ids[0] >= 1 else 1 - ids[0]
    return {i: i + shift for i in ids}


def majority(values: list[str], default: str) -> str:
    if not values:
        return default
    return Counter(values).most_common(1)[0][0]


def make_box(where: str, *values: float, convert: Callable[..., Box]) -> Box:
    try:
        return convert(*values)
    except BoxError as e:
        raise FormatError(f"{where}: {e}") from None


def check_frame(where: str, frame: int, video: VideoRef, number_shown: int | None = None) -> None:
    """FormatError unless ``frame`` (0-based) lies in the video."""
    shown = frame if number_shown is None else number_shown
    if frame < 0:
        raise FormatError(f"{where}: frame {shown} is before the first frame")
    if video.frame_count and frame >= video.frame_count:
        raise FormatError(
            f"{where}: frame {shown} is past the end of the video ({video.frame_count} frames): "
            "wrong --video?"
        )


def new_project(video: VideoRef, labels: list[str]) -> Project:
    return Project(video=video, labels=list(dict.fromkeys(labels)))


def add_object(project: Project, track_id: int, label: str) -> TrackObject:
    from ..project import DEFAULT_COLORS

    if label not in project.labels:
        project.labels.append(label)
    obj = TrackObject(track_id, label, DEFAULT_COLORS[(track_id - 1) % len(DEFAULT_COLORS)])
    project.objects[track_id] = obj
    return obj


def parse_provenance(where: str, value: Any, default: Provenance) -> Provenance:
    if value is None or value == "":
        return default
    try:
        return Provenance(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Provenance)
        raise FormatError(f"{where}: unknown provenance {value!r} (expected one of {allowed})") from None
