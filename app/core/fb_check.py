"""The forward/backward check: track an object backward over frames it was tracked forward on, and
compare the two boxes on every frame (Qt-free planning; the window runs the job and keeps the
backward boxes, never writing them into the project).

The backward run starts on the first keyframe after the object's last tracked frame (the later
keyframe the forward run was heading for) or, when there is none, on the last tracked frame with
its tracked box, and runs back to the first tracked frame, re-seeding on the keyframes it passes,
as the forward runs did. A frame where the two directions disagree (low IoU) is one the tracker
was unsure of, whatever its confidence said.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from tracker.project import Project, Provenance

from .tracking_job import Direction, PlanError, RangeMode, TrackingJob, plan_job

__all__ = ["plan_backward_check"]


def plan_backward_check(project: Project, track_id: int, *, video_path: str, frame_count: int,
                        memory_edits: Mapping[int, tuple] | None = None) -> TrackingJob:
    """A backward, non-recording job for one object; raises PlanError with the reason it cannot run."""
    obj = project.objects.get(track_id)
    if obj is None:
        raise PlanError(f"object #{track_id} no longer exists")
    tracked = sorted(f for f, e in obj.entries.items() if e.provenance is Provenance.TRACKED)
    if not tracked:
        raise PlanError(f"#{track_id} has no tracked frames to check")
    last = tracked[-1]
    later = [f for f in obj.keyframes() if f > last]
    start = later[0] if later and obj.entries[later[0]].box is not None else last
    if start == tracked[0]:
        raise PlanError(f"#{track_id}: one tracked frame is too few to check")
    job = plan_job(project, video_path=video_path, frame_count=frame_count, start=start,
                   direction=Direction.BACKWARD, track_ids=[track_id], mode=RangeMode.FRAMES,
                   n_frames=start - tracked[0], pause_below=None, text=f"Forward/backward check #{track_id}",
                   memory_edits=memory_edits)
    return replace(job, record=False)
