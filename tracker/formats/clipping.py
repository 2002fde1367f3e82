"""Every exported box lies inside the frame: the clipped copy of a project that exporters write.

Trackers and hand-drawn boxes may stick out of the frame (a box 3.7 px past the bottom edge); other
tools reject such boxes, clip them differently or count the part outside as a miss. Before any
format is written the project is copied with every box cut to ``0..W x 0..H``; a box with no part
inside the frame becomes an absent mark, which each format writes as it writes absent marks (an
``outside`` shape in CVAT, a NaN row in OTB and GOT-10k, ``absent_frames`` in COCO) or not at all
(MOT, YOLO, VOC, Label Studio, which have none). The project file (lossless) and the review video
(which draws the boxes) are written unclipped.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..project import BoxEntry, Project, Provenance, TrackObject
from . import coords

__all__ = ["Clipped", "clip_project"]


@dataclass(frozen=True)
class Clipped:
    """The clipped project, the (track id, frame) of every box that was cut, and how many boxes had
    no part inside the frame (now absent marks)."""

    project: Project
    cut: frozenset[tuple[int, int]]
    outside: int


def clip_project(project: Project) -> Clipped:
    """``project`` with every box clipped to its frame (the input is not changed). A project whose
    frame size is unknown is returned as it is."""
    width, height = project.video.width, project.video.height
    if width <= 0 or height <= 0:
        return Clipped(project, frozenset(), 0)
    cut: set[tuple[int, int]] = set()
    outside = 0
    objects = {}
    for tid, obj in project.objects.items():
        entries = {}
        for frame, entry in obj.entries.items():
            box = entry.box
            if box is not None and (box.x < 0 or box.y < 0 or box.x + box.w > width or box.y + box.h > height):
                cut.add((tid, frame))
                try:
                    entry = replace(entry, box=coords.clip_box(box, width, height))
                except coords.OutsideFrame:
                    entry = BoxEntry(None, Provenance.ABSENT)
                    outside += 1
            entries[frame] = entry
        objects[tid] = TrackObject(obj.track_id, obj.label, obj.color, entries)
    clipped = Project(video=project.video, labels=list(project.labels), objects=objects)
    return Clipped(clipped, frozenset(cut), outside)
