"""Label Studio video object tracking JSON (the ``VideoRectangle`` "sequence" result).

Export: a JSON list holding one task::

    [{"data": {"video": "<video path>"},
      "annotations": [{"result": [
        {"id": "track3", "type": "videorectangle", "from_name": "box", "to_name": "video",
         "origin": "manual", "meta": {"track_id": 3},
         "value": {"framesCount": N, "duration": N / fps, "labels": ["car"],
                   "sequence": [{"frame": 1, "enabled": true, "rotation": 0, "time": 0.04,
                                 "x": 10.0, "y": 20.0, "width": 5.0, "height": 8.0}, ...]}}]}]}]

Frames are 1-based; ``time`` is ``frame / fps`` (Label Studio's own files give frame 1 at
``1 / fps``); ``x, y, width, height`` are percent of the frame, not clipped. Label Studio
interpolates between keyframes while ``enabled`` is true and hides the region after a keyframe
whose ``enabled`` is false. Every box is written as a keyframe (no re-interpolation), and the last
box before a frame without a box gets ``enabled: false``, so the region shows exactly on the
frames that have a box. Provenance and score have no place in a sequence item. Export only.
"""
from __future__ import annotations

import json
from pathlib import Path

from . import coords
from .common import ExportContext

KIND = "file"
DESCRIPTION = "Label Studio video JSON: VideoRectangle sequences, percent coordinates, 1-based frames"


def export(ctx: ExportContext) -> tuple[bytes, int]:
    project = ctx.project
    width, height = ctx.frame_size("Label Studio")
    n_frames = ctx.frame_count
    fps = project.video.fps or 30.0
    results = []
    count = 0
    objects = ctx.objects()
    for k, obj in enumerate(objects):
        frames = sorted(f for f, e in obj.entries.items() if e.box is not None)
        sequence = []
        for f in frames:
            x, y, w, h = coords.to_labelstudio(obj.entries[f].box, width, height)
            number = coords.labelstudio_frame(f)
            nxt = obj.entries.get(f + 1)
            sequence.append({
                "frame": number, "enabled": nxt is not None and nxt.box is not None, "rotation": 0,
                "x": round(x, 4), "y": round(y, 4), "width": round(w, 4), "height": round(h, 4),
                "time": round(number / fps, 6),
            })
        count += len(sequence)
        results.append({
            "id": f"track{obj.track_id}", "type": "videorectangle", "from_name": "box", "to_name": "video",
            "origin": "manual", "meta": {"track_id": obj.track_id},
            "value": {"framesCount": n_frames, "duration": round(n_frames / fps, 6), "labels": [obj.label],
                      "sequence": sequence},
        })
        ctx.report(k + 1, len(objects))
    task = [{"data": {"video": str(Path(project.video.path).as_posix())},
             "annotations": [{"result": results}]}]
    return (json.dumps(task, indent=1) + "\n").encode("utf-8"), count
