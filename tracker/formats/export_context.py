"""What an exporter gets besides the project: the export context and the frame writer."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np

from ..project import BoxEntry, Project, TrackObject
from .errors import FormatError
from .frame_names import FrameNames, frame_names

ProgressFn = Callable[[int, int], None]


@dataclass
class ExportContext:
    """What an exporter needs besides the project."""

    project: Project
    out_path: Path  # the final output path (file or folder); exporters write elsewhere first
    video_path: Path | None = None
    write_frames: bool = False
    track_ids: bool = False
    progress: ProgressFn | None = None
    media_url: str | None = None  # Label Studio: the URL or prefix the video is served under
    notes: Callable[[str], None] | None = None  # one-line remarks for the user (not errors)
    cut: frozenset[tuple[int, int]] = frozenset()  # (track id, frame) of clipped boxes

    @property
    def source_path(self) -> Path:
        """The video file or frame folder the frames come from."""
        return self.video_path if self.video_path is not None else Path(self.project.video.path)

    @cached_property
    def names(self) -> FrameNames:
        """The image file name of every frame (:mod:`.frame_names`)."""
        return frame_names(self.source_path, self.frame_count)

    def was_cut(self, obj: TrackObject, frame: int) -> bool:
        """Whether the object's box on ``frame`` stuck out of the frame and was clipped (:mod:`.clipping`)."""
        return (obj.track_id, frame) in self.cut

    @property
    def frame_count(self) -> int:
        """Frames of the video; when the project does not know, one past its last annotated frame."""
        n = self.project.video.frame_count
        if n > 0:
            return n
        return max((f + 1 for o in self.project.objects.values() for f in o.entries), default=0)

    def frame_size(self, fmt: str) -> tuple[int, int]:
        v = self.project.video
        if v.width <= 0 or v.height <= 0:
            raise FormatError(
                f"{self.out_path}: the project does not record the video's size, which {fmt} needs; "
                "open the video in the project first"
            )
        return v.width, v.height

    def note(self, text: str) -> None:
        """Tell the user something about the export that is not an error (one line)."""
        if self.notes is not None:
            self.notes(text)

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def objects(self) -> list[TrackObject]:
        return [self.project.objects[k] for k in sorted(self.project.objects)]

    def boxes_by_frame(self) -> dict[int, list[tuple[TrackObject, BoxEntry]]]:
        """Frame -> [(object, entry)] for entries that hold a box, objects in track-id order."""
        out: dict[int, list[tuple[TrackObject, BoxEntry]]] = {}
        for obj, frame, entry in self.project.iter_entries():
            if entry.box is not None:
                out.setdefault(frame, []).append((obj, entry))
        return out

    def label_index(self) -> dict[str, int]:
        """Label -> 0-based class index, in the project's label order (object labels included)."""
        labels = list(self.project.labels)
        for obj in self.objects():
            if obj.label not in labels:
                labels.append(obj.label)
        return {name: i for i, name in enumerate(labels)}

    def write_per_frame(self, stage: Path, n_frames: int, write_annotation: Callable[[int], list[Path]],
                        image_relpath: Callable[[int], Path] | None) -> list[Path]:
        """For every frame: ``write_annotation(frame)`` (it returns the relative paths it wrote), then, when
        ``image_relpath`` is given, the frame as an image at ``stage / image_relpath(frame)``; progress is
        reported per frame. Returns every relative path written, in order."""
        reader = self.frame_reader() if image_relpath is not None else None
        written: list[Path] = []
        try:
            for frame in range(n_frames):
                written += write_annotation(frame)
                if reader is not None:
                    rel = image_relpath(frame)
                    reader.write(frame, stage / rel)
                    written.append(rel)
                self.report(frame + 1, n_frames)
        finally:
            if reader is not None:
                reader.close()
        return written

    def write_all_frames(self, stage: Path, n_frames: int, relpath: Callable[[int], Path]) -> list[Path]:
        """Write every frame as an image at ``stage / relpath(frame)``, reporting progress per frame;
        returns the relative paths written."""
        return self.write_per_frame(stage, n_frames, lambda frame: [], relpath)

    def frame_reader(self) -> "FrameWriter":
        return FrameWriter(self)


class FrameWriter:
    """Reads the project's video frame by frame and writes frames out as JPEG files."""

    def __init__(self, ctx: ExportContext):
        from ..video import VideoError, open_source

        path = ctx.source_path
        try:
            self.source = open_source(path)
        except VideoError as e:
            raise FormatError(f"cannot write frames: {e}") from e
        v = ctx.project.video
        if v.width and v.height and (self.source.width, self.source.height) != (v.width, v.height):
            raise FormatError(
                f"{path}: video is {self.source.width}x{self.source.height} but the project's boxes "
                f"are for {v.width}x{v.height}"
            )
        if len(self.source) < ctx.frame_count:
            raise FormatError(
                f"{path}: video has {len(self.source)} frames but the project has {ctx.frame_count}"
            )

    def write(self, frame: int, target: Path) -> None:
        """Frame ``frame`` at ``target``: a frame folder's own file, copied unchanged, when ``target``
        has its extension; otherwise the frame encoded as JPEG. The frame is decoded either way, so a
        damaged image stops the export."""
        import cv2

        from ..video import ImageFolderSource, VideoError

        try:
            rgb = self.source.read(frame)
        except VideoError as e:
            raise FormatError(str(e)) from e
        if isinstance(self.source, ImageFolderSource):
            original = self.source.files[frame]
            if original.suffix.lower() == target.suffix.lower():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(original, target)
                return
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise FormatError(f"{target}: cannot encode frame {frame} as JPEG")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(np.asarray(buf).tobytes())

    def close(self) -> None:
        self.source.close()
