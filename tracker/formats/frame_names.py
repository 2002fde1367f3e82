"""The file names exports give the frames: the real ones of a frame folder, numbers for a video.

A project on a folder of images (``0001.jpg``, ``0002.jpg``, ...) is exported with those names, so
that the labels point at images that exist: COCO's ``file_name``, VOC's ``<filename>``, and the
label files of YOLO and VOC (``labels/0001.txt`` beside ``images/0001.jpg``). With ``write_frames``
those images are copied unchanged. A project on a video has no image names; its frames are named
by their 0-based number, ``000000.jpg``, which is the name the export writes them under.

MOT (``img1/000001.jpg``) and OTB (``img/0001.jpg``) readers find images by frame number alone, so
those two formats always use their own numbered names.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["FrameNames", "frame_names"]


class FrameNames:
    """Frame index -> image file name (``name(f)``) and its stem (``stem(f)``); ``folder`` is the
    frame folder's name, or the video's stem; ``real`` tells whether the names are files on disk
    (in the frame folder ``source``)."""

    def __init__(self, names: list[str] | None, folder: str, source: Path):
        self._names = names
        self.folder = folder
        self.source = source
        self.real = names is not None
        self._by_stem: dict[str, int] | None = None

    def name(self, frame: int) -> str:
        return self._names[frame] if self._names is not None else f"{frame:06d}.jpg"

    def stem(self, frame: int) -> str:
        return Path(self.name(frame)).stem

    def frame_of(self, name: str) -> int | None:
        """The frame an image name or stem names (imports): a frame folder's image of that name or
        stem, else a name that is a 0-based frame number (``000012.jpg``); None for neither."""
        stem = Path(name).stem
        if self._names is not None:
            if self._by_stem is None:
                self._by_stem = {Path(n).stem: i for i, n in enumerate(self._names)}
            if stem in self._by_stem:
                return self._by_stem[stem]
        return int(stem) if stem.isascii() and stem.isdigit() else None


def frame_names(source: Path, n_frames: int) -> FrameNames:
    """The names for the frames of ``source`` (a video file or a frame folder). A folder's own names
    are used when it holds an image for every frame and no two of them share a stem (``a.jpg`` and
    ``a.png`` would need the same label file); otherwise, and for a video, numbered names."""
    from ..video import image_files

    folder = source.name if source.is_dir() else (source.stem or "video")
    if not source.is_dir():
        return FrameNames(None, folder, source)
    try:
        files = image_files(source)
    except OSError:
        return FrameNames(None, folder, source)
    stems = {p.stem for p in files[:n_frames]}
    if len(files) < n_frames or len(stems) < n_frames:
        return FrameNames(None, folder, source)
    return FrameNames([p.name for p in files[:n_frames]], folder, source)
