"""Writing video files that browsers play, with every frame checked and the result read back.

OpenCV's pip builds differ in the encoders they carry (the usual wheel has VP9 and VP8 but no
H.264), so the codec is chosen at run time: the first candidate for the file's container that
OpenCV can open a writer with. Candidates, best first:

========== ======================================= ==============================================
container  codecs tried                            plays in a browser
========== ======================================= ==============================================
``.mp4``   H.264 (``avc1``), VP9 (``vp09``),       H.264 everywhere; VP9 in MP4 in Chromium and
``.m4v``   MPEG-4 Part 2 (``mp4v``)                Firefox; ``mp4v`` nowhere (it is the fallback)
``.webm``  VP9 (``VP90``), VP8 (``VP80``)          yes
others     ``mp4v``                                no
========== ======================================= ==============================================

:class:`CheckedVideoWriter` raises :class:`VideoWriteError` when a frame is refused (a full disk,
an encoder failure) and, in :meth:`~CheckedVideoWriter.finish`, unless the written file opens
again with every frame at the right size; callers write to a temporary name and rename only after
``finish`` returns, so a failed write never replaces a good file.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

__all__ = [
    "Codec",
    "CheckedVideoWriter",
    "VideoWriteError",
    "H264_MP4",
    "VP9_MP4",
    "VP9_WEBM",
    "VP8_WEBM",
    "MPEG4_MP4",
    "BROWSER_CODECS",
    "candidates_for",
    "codec_available",
    "first_available",
]

#: Constant-quality setting for the VP9 and H.264 encoders (lower is better and larger).
DEFAULT_CRF = 30


class VideoWriteError(Exception):
    """A video that could not be written completely; one line naming the file."""


@dataclass(frozen=True)
class Codec:
    fourcc: str  # the four characters OpenCV's writer is opened with
    container: str  # the file suffix the codec is written in, e.g. ".webm"
    name: str  # for messages: "VP9"
    browser: bool  # whether browsers play this codec in this container

    def __str__(self) -> str:
        return f"{self.name} in {self.container.lstrip('.').upper()}"


H264_MP4 = Codec("avc1", ".mp4", "H.264", True)
VP9_MP4 = Codec("vp09", ".mp4", "VP9", True)
VP9_WEBM = Codec("VP90", ".webm", "VP9", True)
VP8_WEBM = Codec("VP80", ".webm", "VP8", True)
MPEG4_MP4 = Codec("mp4v", ".mp4", "MPEG-4 Part 2 (mp4v)", False)

#: Codecs for a video whose container the program chooses (a Label Studio export), best first.
BROWSER_CODECS: tuple[Codec, ...] = (H264_MP4, VP9_WEBM, VP8_WEBM)

_MP4_FAMILY = (H264_MP4, VP9_MP4, MPEG4_MP4)
_BY_CONTAINER: dict[str, tuple[Codec, ...]] = {
    ".mp4": _MP4_FAMILY,
    ".m4v": tuple(Codec(c.fourcc, ".m4v", c.name, c.browser) for c in _MP4_FAMILY),
    ".webm": (VP9_WEBM, VP8_WEBM),
}


def candidates_for(path: str | os.PathLike) -> tuple[Codec, ...]:
    """The codecs to try, best first, for a file the user named, by its suffix. Containers browsers
    do not play as a page's video (``.avi``, ``.mkv``, ``.mov``, ...) get ``mp4v`` as before."""
    suffix = Path(path).suffix.lower()
    if suffix in _BY_CONTAINER:
        return _BY_CONTAINER[suffix]
    return (Codec(MPEG4_MP4.fourcc, suffix or ".mp4", MPEG4_MP4.name, False),)


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence FFmpeg's and OpenCV's own messages (written to file descriptor 2 by C code) while
    a writer is opened: failed candidates print several lines that mean nothing to the user."""
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _open(path: Path, codec: Codec, fps: float, size: tuple[int, int],
          crf: int = DEFAULT_CRF) -> cv2.VideoWriter | None:
    params = [cv2.VIDEOWRITER_PROP_CRF, crf] if codec.fourcc in ("vp09", "VP90", "avc1") else []
    with _quiet_native_stderr():
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec.fourcc), float(fps), size, params)
    if writer.isOpened():
        return writer
    writer.release()
    return None


@lru_cache(maxsize=None)
def codec_available(codec: Codec) -> bool:
    """Whether OpenCV's build here can encode ``codec``: a two-frame probe video, read back."""
    with tempfile.TemporaryDirectory(prefix="memtrack-codec-") as tmp:
        path = Path(tmp) / f"probe{codec.container}"
        writer = _open(path, codec, 25.0, (64, 48))
        if writer is None:
            return False
        with _quiet_native_stderr():
            ok = all(writer.write(np.full((48, 64, 3), v, np.uint8)) is not False for v in (40, 200))
            writer.release()
            capture = cv2.VideoCapture(str(path))
            ok = ok and capture.isOpened() and capture.read()[0]
            capture.release()
        return bool(ok)


def first_available(codecs: Sequence[Codec]) -> Codec | None:
    """The first of ``codecs`` OpenCV can encode here, or None."""
    return next((c for c in codecs if codec_available(c)), None)


class CheckedVideoWriter:
    """Writes BGR frames to ``path`` with the first of ``codecs`` that opens; every frame's write is
    checked, and :meth:`finish` reads the file back. Raises VideoWriteError naming ``shown_as``
    (the path the user knows; ``path`` is usually a temporary name beside it)."""

    def __init__(self, path: Path, codecs: Sequence[Codec], fps: float, size: tuple[int, int],
                 shown_as: Path | None = None, crf: int = DEFAULT_CRF):
        self.path = Path(path)
        self.shown_as = shown_as if shown_as is not None else self.path
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self.codec: Codec | None = None
        for codec in codecs:
            if not codec_available(codec):
                continue
            self._writer = _open(self.path, codec, self.fps, self.size, crf)
            if self._writer is not None:
                self.codec = codec
                break
        if self._writer is None:
            names = ", ".join(str(c) for c in codecs)
            raise VideoWriteError(f"{self.shown_as}: OpenCV cannot write a {self.size[0]}x{self.size[1]} "
                                  f"video with any of {names} here")

    def write(self, bgr: np.ndarray) -> None:
        if self._writer is None:
            raise VideoWriteError(f"{self.shown_as}: writing after the video was closed")
        if bgr.shape[1::-1] != self.size:
            raise VideoWriteError(f"{self.shown_as}: frame {self.frames} is {bgr.shape[1]}x{bgr.shape[0]}, "
                                  f"the video is {self.size[0]}x{self.size[1]}")
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # a refused frame: one line, below
        try:
            ok = self._writer.write(bgr)
        finally:
            cv2.utils.logging.setLogLevel(level)
        if ok is False:
            raise VideoWriteError(f"{self.shown_as}: cannot write frame {self.frames} "
                                  "(disk full or encoder failure); nothing was replaced")
        self.frames += 1

    def finish(self) -> None:
        """Close the file, make it durable and check that it opens with every frame at the right size."""
        from .video import VideoError, open_source

        self._release()
        try:
            with open(self.path, "rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            raise VideoWriteError(f"{self.shown_as}: cannot write: {e.strerror or e}") from e
        try:  # quiet: FFmpeg's own words on a broken file would add lines to the one error below
            with _quiet_native_stderr(), open_source(self.path) as back:
                found, size = len(back), (back.width, back.height)
        except VideoError:
            found, size = 0, self.size
        if found != self.frames or size != self.size:
            raise VideoWriteError(
                f"{self.shown_as}: the written video reads back with {found} of {self.frames} frames"
                + (f" at {size[0]}x{size[1]}" if size != self.size else "")
                + " (disk full?); nothing was replaced")

    def abort(self) -> None:
        """Close and delete the file (after a failure)."""
        self._release()
        self.path.unlink(missing_ok=True)

    def _release(self) -> None:
        if self._writer is not None:
            with _quiet_native_stderr():
                self._writer.release()
            self._writer = None
