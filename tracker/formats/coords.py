"""Every format's frame-number and box convention, converted in one place.

Inside the program a box is ``Box(x, y, w, h)``: 0-based float pixels, ``(x, y)`` the top-left
corner, in continuous image coordinates (pixel column ``i`` covers ``[i, i + 1)``, so a box over
the whole ``W x H`` frame is ``Box(0, 0, W, H)``). Frames are 0-based. Each format converts at its
edge with the functions below, and nowhere else.

========== ================================ ============================================
format     frame numbers                    box
========== ================================ ============================================
mot        1-based (``frame + 1``)          ``left, top, w, h`` with 1-based pixels:
                                            ``left = x + 1``, ``top = y + 1``
otb        line ``n`` (1-based) = frame n-1 ``x + 1, y + 1, w, h`` (1-based, like MOT)
got10k     line ``n`` (1-based) = frame n-1 ``x, y, w, h`` (0-based)
cvat       0-based                          ``xtl = x, ytl = y, xbr = x + w,
                                            ybr = y + h`` (0-based corners)
coco       ``frame_id`` 0-based             ``bbox = [x, y, w, h]`` (0-based)
yolo       file name = the image's          ``cx / W, cy / H, w / W, h / H``
voc        file name = the image's          ``xmin = x + 1, ymin = y + 1, xmax = x + w,
                                            ymax = y + h``: 1-based inclusive pixel
                                            indices, rounded to whole pixels
labelstudio 1-based                         ``x, y, width, height`` in percent of
                                            ``W, H``
csv        0-based                          ``x, y, w, h`` as inside the program
========== ================================ ============================================

Every export clips boxes to the frame before converting them (:mod:`.clipping`), so every format
gets boxes inside ``0..W x 0..H``. The conversions of the formats that cannot hold anything else
(YOLO's normalised values must lie in [0, 1]; VOC's and CVAT's readers reject or clip such boxes)
clip again themselves, and raise :class:`OutsideFrame` for a box that does not overlap the frame.
Imports convert what the file holds, without clipping.
"""
from __future__ import annotations

import math

from ..types import Box

__all__ = [
    "OutsideFrame",
    "clip_box",
    "to_mot",
    "from_mot",
    "to_otb",
    "from_otb",
    "to_got10k",
    "from_got10k",
    "to_cvat",
    "from_cvat",
    "to_coco",
    "from_coco",
    "to_yolo",
    "from_yolo",
    "to_voc",
    "from_voc",
    "to_labelstudio",
    "from_labelstudio",
    "mot_frame",
    "from_mot_frame",
    "labelstudio_frame",
    "from_labelstudio_frame",
]


class OutsideFrame(ValueError):
    """A box that does not overlap the frame, in a format that must clip."""


# ----------------------------------------------------------------------------- frames


def mot_frame(frame: int) -> int:
    """MOTChallenge frame number (1-based) of a 0-based frame index."""
    return frame + 1


def from_mot_frame(number: int) -> int:
    return number - 1


def labelstudio_frame(frame: int) -> int:
    """Label Studio video frame number (1-based)."""
    return frame + 1


def from_labelstudio_frame(number: int) -> int:
    return number - 1


# ----------------------------------------------------------------------------- clipping


def clip_box(box: Box, width: int, height: int) -> Box:
    """The part of ``box`` inside a ``width`` x ``height`` frame; OutsideFrame when there is none."""
    x1, y1 = max(box.x, 0.0), max(box.y, 0.0)
    x2, y2 = min(box.x + box.w, float(width)), min(box.y + box.h, float(height))
    if x2 <= x1 or y2 <= y1:
        raise OutsideFrame(
            f"box {box.x:g},{box.y:g},{box.w:g},{box.h:g} lies outside the {width}x{height} frame"
        )
    return Box(x1, y1, x2 - x1, y2 - y1)


# ----------------------------------------------------------------------------- 1-based x, y, w, h


def to_mot(box: Box) -> tuple[float, float, float, float]:
    """MOTChallenge ``bb_left, bb_top, bb_width, bb_height``: the top-left pixel is (1, 1)."""
    return (box.x + 1.0, box.y + 1.0, box.w, box.h)


def from_mot(left: float, top: float, w: float, h: float) -> Box:
    return Box(left - 1.0, top - 1.0, w, h)


def to_otb(box: Box) -> tuple[float, float, float, float]:
    """OTB ``groundtruth_rect.txt``: 1-based ``x, y, w, h`` (same as MOT)."""
    return to_mot(box)


def from_otb(x: float, y: float, w: float, h: float) -> Box:
    return from_mot(x, y, w, h)


# ----------------------------------------------------------------------------- 0-based x, y, w, h


def to_got10k(box: Box) -> tuple[float, float, float, float]:
    """GOT-10k ``groundtruth.txt``: 0-based ``x, y, w, h``."""
    return box.as_tuple()


def from_got10k(x: float, y: float, w: float, h: float) -> Box:
    return Box(x, y, w, h)


def to_coco(box: Box) -> list[float]:
    """COCO ``bbox``: ``[x, y, w, h]``, 0-based (the export clips the box first)."""
    return [box.x, box.y, box.w, box.h]


def from_coco(bbox: list[float]) -> Box:
    x, y, w, h = bbox
    return Box(float(x), float(y), float(w), float(h))


# ----------------------------------------------------------------------------- corners


def to_cvat(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    """CVAT ``xtl, ytl, xbr, ybr``: 0-based corners, clipped to the frame."""
    c = clip_box(box, width, height)
    return (c.x, c.y, c.x + c.w, c.y + c.h)


def from_cvat(xtl: float, ytl: float, xbr: float, ybr: float) -> Box:
    return Box(xtl, ytl, xbr - xtl, ybr - ytl)


def to_voc(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """Pascal VOC ``xmin, ymin, xmax, ymax``: 1-based inclusive pixel indices, whole pixels,
    clipped to ``1..W`` and ``1..H``; edges are rounded to the nearest whole pixel, halves up.

    A box over 0-based pixels ``x .. x + w - 1`` covers 1-based pixels ``x + 1 .. x + w``.
    """
    c = clip_box(box, width, height)
    xmin = min(max(_half_up(c.x) + 1, 1), width)
    ymin = min(max(_half_up(c.y) + 1, 1), height)
    xmax = min(max(_half_up(c.x + c.w), xmin), width)
    ymax = min(max(_half_up(c.y + c.h), ymin), height)
    return (xmin, ymin, xmax, ymax)


def _half_up(v: float) -> int:
    """Nearest whole pixel edge, halves up (Python's round() would round halves to even)."""
    return int(math.floor(v + 0.5))


def from_voc(xmin: float, ymin: float, xmax: float, ymax: float) -> Box:
    return Box(xmin - 1.0, ymin - 1.0, xmax - xmin + 1.0, ymax - ymin + 1.0)


# ----------------------------------------------------------------------------- normalised


def to_yolo(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    """YOLO ``cx, cy, w, h`` normalised by the frame size, clipped to the frame (all in [0, 1])."""
    c = clip_box(box, width, height)
    cx, cy = c.center
    return (cx / width, cy / height, c.w / width, c.h / height)


def from_yolo(cx: float, cy: float, w: float, h: float, width: int, height: int) -> Box:
    return Box.from_center(cx * width, cy * height, w * width, h * height)


def to_labelstudio(box: Box, width: int, height: int) -> tuple[float, float, float, float]:
    """Label Studio ``x, y, width, height`` in percent (0-100) of the frame (the export clips the box first)."""
    return (100.0 * box.x / width, 100.0 * box.y / height, 100.0 * box.w / width, 100.0 * box.h / height)


def from_labelstudio(x: float, y: float, w: float, h: float, width: int, height: int) -> Box:
    return Box(x * width / 100.0, y * height / 100.0, w * width / 100.0, h * height / 100.0)

