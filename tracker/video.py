"""Frame sources: a video file or a folder of images, read by exact frame index as RGB uint8.

OpenCV's seek (CAP_PROP_POS_FRAMES) is not frame-exact for every codec, so a video file is
indexed once on open: the decoder's presentation timestamps of all frames are recorded in one
sequential pass (grab() without decoding pixels, cheap), and a random access seeks to the nearest
earlier position and then grabs forward until the timestamp matches. Sequential reads never seek.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import cv2
import numpy as np

from .data_files import natural_key

__all__ = ["FrameSource", "ShortVideoWarning", "VideoError", "frames_in", "image_files", "open_source", "IMAGE_EXTENSIONS",
           "VIDEO_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")


class VideoError(Exception):
    """A source that cannot be opened or a frame that cannot be decoded; names the file."""


class ShortVideoWarning(UserWarning):
    """A video file that yields fewer frames than its container lists (a truncated download, say):
    it opens at the shorter length, and this says so in one line naming the file."""


class FrameSource:
    """Common interface: ``len(src)``, ``src.read(i)`` -> (H, W, 3) uint8 RGB, ``width``, ``height``, ``fps``."""

    path: Path
    width: int
    height: int
    fps: float

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, index: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        pass

    def clone(self) -> "FrameSource":
        """An independent source on the same frames (its own decoder) for use in another thread.

        OpenCV captures must not be shared between threads; a clone reuses the frame index, so
        it opens without another indexing pass over the video.
        """
        return open_source(self.path, self.fps)

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self):
            raise IndexError(f"{self.path}: frame {index} out of range 0..{len(self) - 1}")


def image_files(folder: str | os.PathLike) -> list[Path]:
    """The images of a frame folder in frame order: image extensions only, names in natural order
    (``2.jpg`` before ``10.jpg``). Frame ``i`` of the folder is ``image_files(folder)[i]``."""
    files = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    return sorted(files, key=lambda p: natural_key(p.name))


class ImageFolderSource(FrameSource):
    def __init__(self, folder: Path, fps: float = 30.0):
        self.path = folder
        self.files = image_files(folder)
        if not self.files:
            raise VideoError(f"{folder}: folder holds no images ({', '.join(IMAGE_EXTENSIONS)})")
        self.fps = fps
        self.width = self.height = 0  # set from the first image; every other one must match it
        first = self.read(0)
        self.height, self.width = first.shape[:2]
        if len(self) > 1:
            self.read(len(self) - 1)  # a folder of mixed sizes is usually caught here, before any work

    def __len__(self) -> int:
        return len(self.files)

    def read(self, index: int) -> np.ndarray:
        """Frame ``index``; VideoError for an image that cannot be decoded or whose size is not the
        first image's (boxes tracked across mixed sizes would be silently wrong)."""
        self._check_index(index)
        path = self.files[index]
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise VideoError(f"{path}: cannot decode image")
        height, width = image.shape[:2]
        if self.width and (width, height) != (self.width, self.height):
            raise VideoError(f"{path}: image is {width}x{height} but {self.files[0].name} is "
                             f"{self.width}x{self.height}; all frames of a folder must have one size")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class VideoFileSource(FrameSource):
    def __init__(self, path: Path):
        self.path = path
        self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            raise VideoError(f"{path}: cannot open video (unknown format or broken file)")
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        stated = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._timestamps = self._index_frames()
        if not self._timestamps:
            raise VideoError(f"{path}: video holds no decodable frames")
        #: frames the container lists but that cannot be read (0 for a sound file)
        self.missing_frames = max(0, stated - len(self._timestamps))
        if self.missing_frames > 1:  # one frame of slack: some containers only estimate their count
            warnings.warn(f"{path}: only {len(self._timestamps)} of the {stated} frames the file lists can be "
                          f"read (truncated or damaged?); using those {len(self._timestamps)}",
                          ShortVideoWarning, stacklevel=3)
        # Timestamps let a seek verify where it landed; without strictly increasing ones we
        # cannot, and every backward jump rewinds and grabs forward (slow but exact).
        self._can_seek = all(b > a for a, b in zip(self._timestamps, self._timestamps[1:]))
        self._cap.release()
        self._cap = cv2.VideoCapture(str(path))
        self._next = 0  # index of the frame the next read() of the capture returns
        first = self.read(0)
        self.height, self.width = first.shape[:2]

    def clone(self) -> "VideoFileSource":
        twin = object.__new__(VideoFileSource)
        twin.path, twin.fps, twin.missing_frames = self.path, self.fps, self.missing_frames
        twin._timestamps, twin._can_seek = self._timestamps, self._can_seek  # read-only after open
        twin.width, twin.height = self.width, self.height
        twin._cap = cv2.VideoCapture(str(self.path))
        if not twin._cap.isOpened():
            raise VideoError(f"{self.path}: cannot open video (unknown format or broken file)")
        twin._next = 0
        return twin

    def _index_frames(self) -> list[float]:
        stamps = []
        while self._cap.grab():
            stamps.append(float(self._cap.get(cv2.CAP_PROP_POS_MSEC)))
        return stamps

    def __len__(self) -> int:
        return len(self._timestamps)

    def read(self, index: int) -> np.ndarray:
        self._check_index(index)
        if index != self._next:
            self._seek(index)
        ok, frame = self._cap.read()
        if not ok or frame is None:
            raise VideoError(f"{self.path}: cannot decode frame {index}")
        self._next = index + 1
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def _seek(self, index: int) -> None:
        if index > self._next and index - self._next <= 32:
            # short forward jump: grabbing is cheaper and exact
            for _ in range(index - self._next):
                self._cap.grab()
            self._next = index
            return
        # Seek a little before the target, then grab forward until the timestamps line up.
        start = max(0, index - 16)
        if self._can_seek:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        target = self._timestamps[index]
        landed = self._locate_after_seek(start) if self._can_seek else None
        if landed is None or landed > index:
            # the container refused an exact seek: rewind and grab from the start
            self._cap.release()
            self._cap = cv2.VideoCapture(str(self.path))
            landed = 0
        for _ in range(index - landed):
            if not self._cap.grab():
                raise VideoError(f"{self.path}: cannot decode frame {index}")
        self._next = index
        if self._timestamps[index] != target:  # pragma: no cover - internal consistency
            raise VideoError(f"{self.path}: frame index lost while seeking to {index}")

    def _locate_after_seek(self, start: int) -> int | None:
        # Grab one frame to learn where the decoder landed, then report the index of the
        # frame the *next* grab will return.
        if not self._cap.grab():
            return None
        stamp = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        try:
            here = self._timestamps.index(stamp)
        except ValueError:
            return None
        return here + 1

    def close(self) -> None:
        self._cap.release()


def frames_in(path: str | os.PathLike) -> int | None:
    """The frame count a source states without decoding it (images in a folder, the container's
    count for a video file), or None when the path is not a readable source. Cheap: for checks."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(1 for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()) or None
        if not p.is_file():
            return None
    except OSError:
        return None
    cap = cv2.VideoCapture(str(p))
    try:
        if not cap.isOpened():
            return None
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        return count if count > 0 else None
    finally:
        cap.release()


def open_source(path: str | os.PathLike, fps: float = 30.0) -> FrameSource:
    """Open a video file or a folder of images (sorted by name, numbers in natural order).

    Raises VideoError naming the path for a missing, empty or undecodable source.
    """
    p = Path(path)
    if not p.exists():
        raise VideoError(f"{p}: no such file or folder")
    if p.is_dir():
        return ImageFolderSource(p, fps)
    return VideoFileSource(p)
