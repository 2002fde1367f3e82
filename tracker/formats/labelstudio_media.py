"""Where a Label Studio task finds its video: ``data.video`` from ``--media-url``, or an absolute path.

Label Studio's page loads ``data.video`` in the browser, so it must be a URL the browser can fetch:
a relative value is resolved against the page (``/projects/1/couple.mp4``: 404). ``--media-url``
is either the file's own URL or a prefix ending in ``/`` or ``=`` to which the file's name is
appended, e.g. ``/data/local-files/?d=videos/`` (Label Studio serving local files) or
``https://example.org/videos/``. Without it the task holds the video's absolute path and the
export says how to serve it.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import cv2

from .errors import FormatError

__all__ = ["check_media_url", "is_prefix", "media_reference", "serving_note", "browser_playable"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# FourCCs OpenCV reports for codecs browsers play in a <video> element
_BROWSER_FOURCCS = {"avc1", "avc3", "h264", "vp90", "vp09", "vp80", "vp08", "av01"}


def check_media_url(url: str) -> None:
    """FormatError unless ``url`` is an absolute URL (with a scheme) or a path from the server's root."""
    if not url or _CONTROL.search(url):
        raise FormatError(f"--media-url {url!r}: give a URL without control characters")
    parts = urlsplit(url)
    has_scheme = len(parts.scheme) > 1  # "C:/videos" is a Windows path, not a URL
    if has_scheme and parts.scheme in ("http", "https") and not parts.netloc:
        raise FormatError(f"--media-url {url!r}: the URL names no host")
    if not has_scheme and not url.startswith("/"):
        raise FormatError(f"--media-url {url!r}: Label Studio would resolve this relative URL against its "
                          "own page; give http(s)://HOST/... or a path from the server's root, such as "
                          "/data/local-files/?d=FOLDER/")


def is_prefix(url: str) -> bool:
    """Whether ``url`` is a prefix the file's name is appended to (it ends in ``/`` or ``=``)."""
    return url.endswith(("/", "="))


def media_reference(media: Path, media_url: str | None) -> str:
    """``data.video`` for the video file ``media``: from ``media_url`` (a prefix gets the file's
    name, percent-encoded), else ``media``'s absolute path."""
    if media_url is None:
        return media.resolve().as_posix()
    check_media_url(media_url)
    if is_prefix(media_url):
        return media_url + quote(media.name)
    return media_url


def serving_note(media: Path) -> str:
    """One line on how to make Label Studio play a task that holds a file path."""
    folder = media.resolve().parent.as_posix()
    return (f"data.video is the file path {media.resolve().as_posix()}, which Label Studio's page cannot "
            "load: serve its folder (e.g. start Label Studio with "
            "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true "
            f"LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={folder} and add {folder} to the project as a Local "
            "files storage) and export again with --media-url '/data/local-files/?d=' "
            "(or your http:// prefix)")


def browser_playable(video: Path) -> tuple[bool, str]:
    """(whether browsers play ``video``'s codec, the codec's FourCC as OpenCV reports it)."""
    capture = cv2.VideoCapture(str(video))
    try:
        code = int(capture.get(cv2.CAP_PROP_FOURCC)) if capture.isOpened() else 0
    finally:
        capture.release()
    tag = "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)).strip("\x00 ")
    return tag.lower() in _BROWSER_FOURCCS, tag or "unknown"
