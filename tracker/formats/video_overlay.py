"""A copy of the video with every object's box drawn on it, for review.

Keyframes are drawn with a thick line, tracked/interpolated/imported boxes with a thin one, each in
the object's colour with ``<track id> <label>`` above it. Needs the video (``video_path`` or the
project's own). The codec is one browsers play where OpenCV has one for the target's container
(``.mp4``: H.264, else VP9; ``.webm``: VP9, else VP8; see :mod:`tracker.video_writer`); otherwise
``mp4v``, with a note. The file is written beside the target under a temporary name, every frame's
write is checked, and it is renamed into place only after it reads back with every frame.
"""
from __future__ import annotations

from pathlib import Path

import cv2

from ..project import Provenance
from ..video import VideoError
from ..video_writer import (
    BROWSER_CODECS, CheckedVideoWriter, VideoWriteError, candidates_for, first_available,
)
from .errors import FormatError
from .export_context import ExportContext

KIND = "video"
CLIPS = False  # written as they are (formats.clipping)
DESCRIPTION = "MP4 or WebM video with the boxes drawn on it (for review; needs the video)"


def _bgr(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    try:
        r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        r, g, b = 255, 255, 0
    return (b, g, r)


def export(ctx: ExportContext, target: Path) -> tuple[list[Path], int]:
    """Write the video to ``target`` (a temporary path beside the final one)."""
    reader = ctx.frame_reader()
    source = reader.source
    n_frames = ctx.frame_count
    fps = ctx.project.video.fps or source.fps or 30.0
    try:
        writer = CheckedVideoWriter(target, candidates_for(ctx.out_path), fps, (source.width, source.height),
                                    shown_as=ctx.out_path)
    except VideoWriteError as e:
        reader.close()
        raise FormatError(str(e)) from None
    if writer.codec is not None and not writer.codec.browser:
        ctx.note(_not_for_browsers(ctx.out_path, str(writer.codec)))
    by_frame = ctx.boxes_by_frame()
    count = 0
    finished = False
    try:
        for frame in range(n_frames):
            try:
                image = cv2.cvtColor(source.read(frame), cv2.COLOR_RGB2BGR)
            except VideoError as e:
                raise FormatError(str(e)) from e
            for obj, entry in by_frame.get(frame, []):
                b = entry.box
                color = _bgr(obj.color)
                thick = 3 if entry.provenance is Provenance.KEYFRAME else 1
                p1 = (int(round(b.x)), int(round(b.y)))
                p2 = (int(round(b.x + b.w)), int(round(b.y + b.h)))
                cv2.rectangle(image, p1, p2, color, thick, cv2.LINE_AA)
                cv2.putText(image, f"{obj.track_id} {obj.label}", (p1[0], max(p1[1] - 4, 12)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv2.LINE_AA)
                count += 1
            writer.write(image)
            ctx.report(frame + 1, n_frames)
        writer.finish()
        finished = True
    except VideoWriteError as e:
        raise FormatError(str(e)) from None
    finally:
        if not finished:
            writer.abort()
        reader.close()
    return [], count


def _not_for_browsers(out: Path, codec: str) -> str:
    better = first_available(BROWSER_CODECS)
    if better is None:
        return (f"{out}: written as {codec}, which browsers do not play (OpenCV here has no H.264, VP9 or "
                "VP8 encoder)")
    return (f"{out}: written as {codec}, which browsers do not play; name it "
            f"{out.with_suffix(better.container).name} for {better}")
