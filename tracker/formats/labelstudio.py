"""Label Studio video object tracking: tasks, the labelling config, and optionally the video.

Export: a folder holding

* ``tasks.json``, a JSON list with one task (import it into the project)::

    [{"data": {"video": "<URL or absolute path of the video>"},
      "annotations": [{"result": [
        {"id": "track3", "type": "videorectangle", "from_name": "box", "to_name": "video",
         "origin": "manual", "meta": {"track_id": 3},
         "value": {"framesCount": N, "duration": N / fps, "labels": ["car"],
                   "sequence": [{"frame": 1, "enabled": true, "rotation": 0, "time": 0.04,
                                 "x": 10.0, "y": 20.0, "width": 5.0, "height": 8.0}, ...]}}]}]}]

* ``labeling_config.xml``, the config to create the project with (:mod:`.labelstudio_config`:
  the names above, the project's labels, the player's ``framerate`` = the project's fps);
* with ``write_frames``, ``<video name>.mp4`` or ``.webm``: the frames as a video browsers play
  (H.264, VP9 or VP8, whichever OpenCV has), which ``data.video`` then points at. An image-folder
  project needs it (Label Studio's player plays video files only).

``data.video`` comes from ``media_url`` (:mod:`.labelstudio_media`), else it is the video's
absolute path and a note says how to serve it.

Frames are 1-based; ``time`` is ``frame / fps`` (Label Studio's own files give frame 1 at
``1 / fps``); ``x, y, width, height`` are percent of the frame, clipped to it (formats.clipping;
a box with no part inside the frame is not written). Label Studio
interpolates between keyframes while ``enabled`` is true and hides the region after a keyframe
whose ``enabled`` is false. Every box is written as a keyframe (no re-interpolation), and the last
box before a frame without a box gets ``enabled: false``, so the region shows exactly on the
frames that have a box. Provenance, score and the occluded flag have no place in a sequence item.

Import (:mod:`.labelstudio_import`) reads these tasks and Label Studio's own JSON export.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2

from ..video import VideoError
from ..video_writer import BROWSER_CODECS, CheckedVideoWriter, VideoWriteError, first_available
from . import coords
from .export_context import ExportContext
from .errors import FormatError
from .labelstudio_config import BOX_NAME, CONFIG_FILE, DATA_KEY, VIDEO_NAME, labeling_config, project_fps
from .labelstudio_media import browser_playable, is_prefix, media_reference, serving_note

KIND = "dir"
DESCRIPTION = ("Label Studio video tracking: tasks.json, labeling_config.xml (labels, frame rate) "
               "and, with frames, a browser-playable video")
TASKS_FILE = "tasks.json"


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    """Write the tasks, the config and (``write_frames``) the video into ``stage``."""
    source = ctx.video_path if ctx.video_path is not None else Path(ctx.project.video.path)
    written: list[Path] = []
    if ctx.write_frames:
        video_rel = _write_video(ctx, stage, source)
        written.append(video_rel)
        reference = media_reference(ctx.out_path / video_rel, ctx.media_url)
        media = ctx.out_path / video_rel
    else:
        reference, media = _existing_video_reference(ctx, source)
    if ctx.media_url is None:
        ctx.note(serving_note(media))
    data, count = tasks_json(ctx, reference, report=not ctx.write_frames)
    config = labeling_config(ctx.project, str(ctx.out_path / CONFIG_FILE))
    try:
        (stage / TASKS_FILE).write_bytes(data)
        (stage / CONFIG_FILE).write_text(config, encoding="utf-8")
    except OSError as e:
        raise FormatError(f"{ctx.out_path}: cannot write: {e.strerror or e}") from e
    return [Path(TASKS_FILE), Path(CONFIG_FILE), *written], count


def _existing_video_reference(ctx: ExportContext, source: Path) -> tuple[str, Path]:
    """``data.video`` for the project's own video; refuses an image folder unless ``media_url`` is
    the full URL of a video made elsewhere."""
    if ctx.media_url is not None and not is_prefix(ctx.media_url):
        return media_reference(source, ctx.media_url), source
    if source.is_dir():
        raise FormatError(f"{source}: Label Studio's video player cannot play a folder of images; add "
                          "--frames to write a browser-playable video beside the tasks (or give that video's "
                          "full URL as --media-url)")
    if source.is_file():
        playable, fourcc = browser_playable(source)
        if not playable:
            ctx.note(f"{source.name} is encoded as {fourcc}, which browsers may not play; add --frames to "
                     "write a copy they do")
    return media_reference(source, ctx.media_url), source


def _write_video(ctx: ExportContext, stage: Path, source: Path) -> Path:
    """The project's frames as a video browsers play, in ``stage``; returns its relative path."""
    codec = first_available(BROWSER_CODECS)
    if codec is None:
        raise FormatError(f"{ctx.out_path}: OpenCV here has no H.264, VP9 or VP8 encoder, so it cannot "
                          "write a video browsers play; make one with another tool (ffmpeg -c:v libvpx-vp9) "
                          "and give its URL as --media-url")
    rel = Path((source.stem or "video") + codec.container)
    reader = ctx.frame_reader()
    n_frames = ctx.frame_count
    try:
        writer = CheckedVideoWriter(stage / rel, [codec], project_fps(ctx.project),
                                    (reader.source.width, reader.source.height), shown_as=ctx.out_path / rel)
    except VideoWriteError as e:
        reader.close()
        raise FormatError(str(e)) from None
    done = False
    try:
        for frame in range(n_frames):
            try:
                rgb = reader.source.read(frame)
            except VideoError as e:
                raise FormatError(str(e)) from e
            writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            ctx.report(frame + 1, n_frames)
        writer.finish()
        done = True
    except VideoWriteError as e:
        raise FormatError(str(e)) from None
    finally:
        if not done:
            writer.abort()
        reader.close()
    return rel


def tasks_json(ctx: ExportContext, video_reference: str, report: bool = True) -> tuple[bytes, int]:
    """The task list (one task holding every object's track) and the number of boxes in it."""
    project = ctx.project
    width, height = ctx.frame_size("Label Studio")
    n_frames = ctx.frame_count
    fps = project_fps(project)
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
            "id": f"track{obj.track_id}", "type": "videorectangle",
            "from_name": BOX_NAME, "to_name": VIDEO_NAME,
            "origin": "manual", "meta": {"track_id": obj.track_id},
            "value": {"framesCount": n_frames, "duration": round(n_frames / fps, 6), "labels": [obj.label],
                      "sequence": sequence},
        })
        if report:
            ctx.report(k + 1, len(objects))
    task = [{"data": {DATA_KEY: video_reference}, "annotations": [{"result": results}]}]
    return (json.dumps(task, indent=1) + "\n").encode("utf-8"), count
