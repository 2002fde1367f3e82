"""The project's own JSON file (tracker.project) as an export / import format: lossless."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..project import Project, ProjectError, load_project, project_to_dict
from .building import video_ref
from .errors import FormatError
from .export_context import ExportContext

KIND = "file"
CLIPS = False  # written as they are (formats.clipping)
DESCRIPTION = "This program's project file (JSON, lossless)"


def export(ctx: ExportContext) -> tuple[bytes, int]:
    data = project_to_dict(ctx.project, ctx.out_path)
    count = sum(1 for o in ctx.project.objects.values() for e in o.entries.values() if e.box is not None)
    ctx.report(1, 1)
    return (json.dumps(data, indent=1) + "\n").encode("utf-8"), count


def load(path: Path, video_path) -> Project:
    """Read a project file; with ``video_path`` the project is re-pointed at that video (whose
    size must match the project's)."""
    try:
        project = load_project(path)
    except ProjectError as e:
        raise FormatError(str(e)) from None
    if video_path is None:
        if not Path(project.video.path).is_absolute():
            absolute = project.video_path(path)
            project.video = replace(project.video, path=str(absolute))
        return project
    video = video_ref(video_path, "a project")
    old = project.video
    if old.width and old.height and (old.width, old.height) != (video.width, video.height):
        raise FormatError(f"{path}: project boxes are for {old.width}x{old.height} but {video_path} is "
                          f"{video.width}x{video.height}")
    last = max((f for o in project.objects.values() for f in o.entries), default=-1)
    if last >= video.frame_count:
        raise FormatError(f"{path}: project has boxes on frame {last} but {video_path} has "
                          f"{video.frame_count} frames")
    project.video = video
    return project
