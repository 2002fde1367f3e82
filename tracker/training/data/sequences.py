"""Labelled sequences for training, and adapters that read them from the usual dataset layouts.

A :class:`Sequence` is a list of frames (image paths, or a callable that returns frame ``i``) and
one box per frame: a 0-based :class:`~tracker.types.Box`, or ``None`` where the target is absent
(occluded, out of view, not annotated). Every adapter converts its file format's box convention
at its own edge and raises :class:`DatasetError` naming the path for a bad path or layout.

Adapters (each returns ``list[Sequence]``):

- :func:`got10k_sequences`: GOT-10k ``train``/``val`` (``list.txt``, ``<seq>/00000001.jpg``,
  ``groundtruth.txt`` 0-based ``x,y,w,h``, optional ``absence.label``).
- :func:`lasot_sequences`: LaSOT (``<class>/<class>-N/img/*.jpg``, ``groundtruth.txt`` 1-based,
  ``full_occlusion.txt``, ``out_of_view.txt``).
- :func:`vid_sequences`: ImageNet VID 2015 (``Data/VID/<split>/...`` JPEGs and
  ``Annotations/VID/<split>/.../*.xml``); one sequence per (video, trackid).
- :func:`otb_sequences`: OTB-style folders (``img/`` plus ``groundtruth_rect.txt``, 1-based).
- :func:`project_sequences`: the app's own project files (``tracker.project``).
"""
from __future__ import annotations

import logging
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Sequence as SequenceType

import cv2
import numpy as np

from ...data_files import DatasetError, GroundTruthError, natural_key, read_groundtruth
from ...types import Box
from ...video import IMAGE_EXTENSIONS, VideoError, open_source

__all__ = [
    "DatasetError",
    "Sequence",
    "VideoReader",
    "got10k_sequences",
    "lasot_sequences",
    "vid_sequences",
    "otb_sequences",
    "project_sequences",
    "read_image",
]

log = logging.getLogger(__name__)

FrameReader = Callable[[int], np.ndarray]


_REDUCED_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}


def read_image(path: str | os.PathLike, reduce: int = 1) -> np.ndarray:
    """Decode an image file to RGB uint8 (H, W, 3); ``reduce`` in {1, 2, 4, 8} decodes at 1/reduce size
    (cheap for JPEG: the decoder skips the fine DCT coefficients). Raises DatasetError naming the file."""
    image = cv2.imread(str(path), _REDUCED_FLAGS[reduce])
    if image is None:
        raise DatasetError(f"{path}: cannot read image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True, eq=False)
class Sequence:
    """One target in one video: frames and a box (or None when absent) per frame.

    Give either ``frames`` (one image path per frame) or ``reader`` (a picklable callable that
    returns frame ``i`` as RGB uint8 (H, W, 3)).
    """

    name: str
    boxes: tuple[Box | None, ...]
    frames: tuple[Path, ...] | None = None
    reader: FrameReader | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.frames is None) == (self.reader is None):
            raise ValueError(f"sequence {self.name}: give exactly one of frames and reader")
        if self.frames is not None and len(self.frames) != len(self.boxes):
            raise ValueError(f"sequence {self.name}: {len(self.frames)} frames but {len(self.boxes)} boxes")

    def __len__(self) -> int:
        return len(self.boxes)

    @cached_property
    def present(self) -> np.ndarray:
        """Indices of the frames where the target has a box, ascending (int64 array)."""
        return np.array([i for i, b in enumerate(self.boxes) if b is not None], dtype=np.int64)

    def read(self, index: int, reduce: int = 1) -> tuple[np.ndarray, int]:
        """Frame ``index`` as RGB uint8 and the factor it was decoded at (image files may be decoded at
        1/``reduce`` size; a reader callable always returns full size, factor 1)."""
        if not 0 <= index < len(self):
            raise IndexError(f"sequence {self.name}: frame {index} out of range 0..{len(self) - 1}")
        if self.frames is not None:
            return read_image(self.frames[index], reduce), reduce
        return self.reader(index), 1


class VideoReader:
    """A picklable frame reader for a video file or image folder, opened lazily in each process."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._source = None

    def __call__(self, index: int) -> np.ndarray:
        if self._source is None:
            try:
                self._source = open_source(self.path)
            except VideoError as e:
                raise DatasetError(str(e)) from e
        return self._source.read(index)

    def __getstate__(self) -> dict:
        return {"path": self.path, "_source": None}


# ----------------------------------------------------------------------------- helpers


def _image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise DatasetError(f"{folder}: expected a folder of frames")
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
    if not files:
        raise DatasetError(f"{folder}: folder holds no images")
    return sorted(files, key=lambda p: natural_key(p.name))


def _read_rows(path: Path, columns: int | None = None) -> list[list[float]]:
    """Numbers separated by commas, tabs or spaces, one row per non-empty line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise DatasetError(f"{path}: cannot read ({e.strerror or e})") from e
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = [p for p in re.split(r"[,\s]+", line.strip()) if p]
        if not parts:
            continue
        try:
            row = [float(p) for p in parts]
        except ValueError:
            raise DatasetError(f"{path}: line {n}: {line.strip()!r} is not a list of numbers") from None
        if columns is not None and len(row) != columns:
            raise DatasetError(f"{path}: line {n}: expected {columns} numbers, found {len(row)}")
        rows.append(row)
    return rows


def _box_or_none(x: float, y: float, w: float, h: float) -> Box | None:
    """Absent for NaN or non-positive sizes (datasets mark missing targets that way)."""
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        return None
    return Box(float(x), float(y), float(w), float(h))


def _read_boxes(path: Path, one_based: bool) -> list[Box | None]:
    """The one ground-truth reader (`tracker.data_files.read_groundtruth`), with this module's
    ``path: line n: problem`` messages."""
    try:
        return read_groundtruth(path, one_based)
    except GroundTruthError as e:
        if e.line is None:
            raise
        raise DatasetError(f"{e.path}: line {e.line}: {e.problem}") from None


def _read_flags(path: Path) -> list[bool]:
    """0/1 flags separated by commas or newlines (LaSOT's single line, GOT-10k's one per line)."""
    return [v != 0 for row in _read_rows(path) for v in row]


def _blank_flagged(boxes: list[Box | None], flag_file: Path) -> list[Box | None]:
    """Boxes with None where ``flag_file`` (one 0/1 flag per frame, optional) marks the target gone."""
    if not flag_file.is_file():
        return boxes
    flags = _read_flags(flag_file)
    if len(flags) != len(boxes):
        raise DatasetError(f"{flag_file}: {len(flags)} flags for {len(boxes)} frames")
    return [None if gone else b for b, gone in zip(boxes, flags)]


def _problem(skip_bad: bool, message: str) -> None:
    if not skip_bad:
        raise DatasetError(message)
    log.warning("skipping: %s", message)


# ----------------------------------------------------------------------------- GOT-10k


def got10k_sequences(root: str | os.PathLike, split: str = "train", skip_bad: bool = False) -> list[Sequence]:
    """GOT-10k: ``root`` is the dataset folder holding ``<split>/list.txt`` or the split folder itself.

    Each listed ``<seq>`` folder holds frames ``00000001.jpg...`` and ``groundtruth.txt`` (0-based
    ``x,y,w,h``, one line per frame); ``absence.label`` (one 0/1 per frame) marks absent frames.
    ``skip_bad`` skips (and logs) broken sequences instead of raising.
    """
    root = Path(root)
    base = root / split if (root / split / "list.txt").is_file() else root
    listing = base / "list.txt"
    if not listing.is_file():
        raise DatasetError(f"{root}: not a GOT-10k folder (no list.txt in it or in {root / split})")
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    if not names:
        raise DatasetError(f"{listing}: lists no sequences")
    out = []
    for name in names:
        folder = base / name
        try:
            frames = _image_files(folder)
            gt = folder / "groundtruth.txt"
            if not gt.is_file():
                raise DatasetError(f"{gt}: missing")
            boxes = _read_boxes(gt, one_based=False)
            if len(boxes) != len(frames):
                raise DatasetError(f"{gt}: {len(boxes)} boxes for {len(frames)} frames (a test split has "
                                   f"only the first box; train and val have one per frame)")
            boxes = _blank_flagged(boxes, folder / "absence.label")
        except DatasetError as e:
            _problem(skip_bad, str(e))
            continue
        out.append(Sequence(f"got10k/{name}", tuple(boxes), frames=tuple(frames)))
    return out


# ----------------------------------------------------------------------------- LaSOT


def lasot_sequences(root: str | os.PathLike, names: Iterable[str] | None = None,
                    skip_bad: bool = False) -> list[Sequence]:
    """LaSOT: ``root/<class>/<class>-N/img/*.jpg`` with ``groundtruth.txt`` (1-based ``x,y,w,h``),
    ``full_occlusion.txt`` and ``out_of_view.txt`` (comma-separated 0/1; either flag makes the frame
    absent). ``names`` restricts to sequence names such as ``"airplane-1"`` (e.g. the training split
    list); by default every sequence found is used.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    wanted = set(names) if names is not None else None
    out = []
    for class_dir in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name)):
        for seq_dir in sorted((p for p in class_dir.iterdir() if p.is_dir()), key=lambda p: natural_key(p.name)):
            if wanted is not None and seq_dir.name not in wanted:
                continue
            if not (seq_dir / "img").is_dir():
                continue
            try:
                frames = _image_files(seq_dir / "img")
                gt = seq_dir / "groundtruth.txt"
                if not gt.is_file():
                    raise DatasetError(f"{gt}: missing")
                boxes = _read_boxes(gt, one_based=True)
                if len(boxes) != len(frames):
                    raise DatasetError(f"{gt}: {len(boxes)} boxes for {len(frames)} frames")
                for flag_name in ("full_occlusion.txt", "out_of_view.txt"):
                    boxes = _blank_flagged(boxes, seq_dir / flag_name)
            except DatasetError as e:
                _problem(skip_bad, str(e))
                continue
            out.append(Sequence(f"lasot/{seq_dir.name}", tuple(boxes), frames=tuple(frames)))
    if not out:
        raise DatasetError(f"{root}: no LaSOT sequences found (expected <class>/<class>-N/img/ and "
                           f"groundtruth.txt)")
    return out


# ----------------------------------------------------------------------------- ImageNet VID


def _parse_vid_xml(path: Path) -> dict[int, Box]:
    try:
        tree = ET.parse(path)
    except (ET.ParseError, OSError) as e:
        raise DatasetError(f"{path}: cannot parse annotation ({e})") from e
    boxes = {}
    for obj in tree.getroot().iter("object"):
        try:
            trackid = int(obj.findtext("trackid"))
            bb = obj.find("bndbox")
            xmin, xmax = float(bb.findtext("xmin")), float(bb.findtext("xmax"))
            ymin, ymax = float(bb.findtext("ymin")), float(bb.findtext("ymax"))
        except (TypeError, ValueError, AttributeError):
            raise DatasetError(f"{path}: an <object> lacks trackid or bndbox xmin/xmax/ymin/ymax") from None
        # Inclusive pixel corners: w = xmax - xmin + 1 (docs/model.md §8.1), left edge at xmin.
        box = _box_or_none(xmin, ymin, xmax - xmin + 1, ymax - ymin + 1)
        if box is not None:
            boxes[trackid] = box
    return boxes


def vid_sequences(root: str | os.PathLike, split: str = "train", min_frames: int = 50,
                  max_trackid: int = 50) -> list[Sequence]:
    """ImageNet VID 2015: ``root`` holds ``Data/VID/<split>`` and ``Annotations/VID/<split>``.

    Every folder of JPEG frames under ``Data/VID/<split>`` (at any depth, e.g. ``train/ILSVRC2015_VID_
    train_0000/<video>``) is a video whose ``.xml`` annotations sit at the same relative path under
    ``Annotations``. Each (video, trackid) becomes a sequence over the whole video, ``None`` where that
    track is not annotated; kept if it has at least ``min_frames`` annotated frames and its track id is
    below ``max_trackid`` (docs/model.md §8.1: 50 and 50).
    """
    root = Path(root)
    data_root = root / "Data" / "VID" / split
    ann_root = root / "Annotations" / "VID" / split
    for folder in (data_root, ann_root):
        if not folder.is_dir():
            raise DatasetError(f"{root}: not an ImageNet VID folder (missing {folder})")
    out = []
    videos = sorted((Path(d) for d, _, files in os.walk(data_root)
                     if any(f.lower().endswith((".jpeg", ".jpg")) for f in files)),
                    key=lambda p: natural_key(str(p)))
    if not videos:
        raise DatasetError(f"{data_root}: holds no video frame folders")
    for video in videos:
        frames = _image_files(video)
        ann_dir = ann_root / video.relative_to(data_root)
        if not ann_dir.is_dir():
            raise DatasetError(f"{ann_dir}: annotation folder for {video} is missing")
        tracks: dict[int, list[Box | None]] = {}
        for i, frame in enumerate(frames):
            xml = ann_dir / (frame.stem + ".xml")
            if not xml.is_file():
                raise DatasetError(f"{xml}: annotation for {frame} is missing")
            for trackid, box in _parse_vid_xml(xml).items():
                tracks.setdefault(trackid, [None] * len(frames))[i] = box
        for trackid in sorted(tracks):
            boxes = tracks[trackid]
            if trackid >= max_trackid or sum(b is not None for b in boxes) < min_frames:
                continue
            name = f"vid/{video.relative_to(data_root).as_posix()}/{trackid}"
            out.append(Sequence(name, tuple(boxes), frames=tuple(frames)))
    return out


# ----------------------------------------------------------------------------- OTB


def _otb_one(folder: Path, skip_bad: bool) -> list[Sequence]:
    gts = sorted(folder.glob("groundtruth_rect*.txt"), key=lambda p: natural_key(p.name))
    out = []
    try:
        frames = _image_files(folder / "img")
    except DatasetError as e:
        _problem(skip_bad, str(e))
        return out
    for gt in gts:
        try:
            boxes = _read_boxes(gt, one_based=True)
            if len(boxes) != len(frames):
                raise DatasetError(f"{gt}: {len(boxes)} boxes for {len(frames)} frames in {folder / 'img'}")
        except DatasetError as e:
            _problem(skip_bad, str(e))
            continue
        suffix = gt.name[len("groundtruth_rect"):-len(".txt")].lstrip(".")
        name = f"otb/{folder.name}" + (f".{suffix}" if suffix else "")
        out.append(Sequence(name, tuple(boxes), frames=tuple(frames)))
    return out


def otb_sequences(root: str | os.PathLike, skip_bad: bool = False) -> list[Sequence]:
    """OTB layout: ``root`` is one sequence folder (``img/`` + ``groundtruth_rect.txt``) or a folder of
    them. Boxes are 1-based ``x,y,w,h`` separated by commas, tabs or spaces; several targets in one
    folder (``groundtruth_rect.1.txt``, ``.2.txt``) become several sequences."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    folders = [root] if (root / "img").is_dir() else sorted(
        (p for p in root.iterdir() if p.is_dir() and (p / "img").is_dir()), key=lambda p: natural_key(p.name))
    out = []
    for folder in folders:
        if not any(folder.glob("groundtruth_rect*.txt")):
            _problem(skip_bad, f"{folder}: has img/ but no groundtruth_rect.txt")
            continue
        out.extend(_otb_one(folder, skip_bad))
    if not out:
        raise DatasetError(f"{root}: no OTB sequences found (expected img/ and groundtruth_rect.txt)")
    return out


# ----------------------------------------------------------------------------- the app's projects

_TRAINABLE = ("keyframe", "tracked", "interpolated", "imported")


def project_sequences(project_file: str | os.PathLike,
                      provenances: SequenceType[str] = _TRAINABLE) -> list[Sequence]:
    """Every object of a saved annotation project becomes a sequence over the project's video.

    Frames whose entry has one of ``provenances`` (default: keyframe, tracked, interpolated,
    imported) carry its box; absent marks and frames without an entry are ``None``.
    """
    from ...project import ProjectError, Provenance, load_project

    try:
        project = load_project(project_file)
    except ProjectError as e:
        raise DatasetError(str(e)) from e
    wanted = {Provenance(p) for p in provenances}
    video = project.video_path(project_file)
    if not video.exists():
        raise DatasetError(f"{project_file}: its video {video} does not exist")
    count = project.video.frame_count
    if count <= 0:
        try:
            with open_source(video) as src:
                count = len(src)
        except VideoError as e:
            raise DatasetError(str(e)) from e
    reader = VideoReader(video)
    stem = Path(project_file).stem
    out = []
    for track_id in sorted(project.objects):
        obj = project.objects[track_id]
        boxes: list[Box | None] = [None] * count
        for frame, entry in obj.entries.items():
            if entry.box is not None and entry.provenance in wanted and frame < count:
                boxes[frame] = entry.box
        if any(b is not None for b in boxes):
            out.append(Sequence(f"project/{stem}/{track_id}-{obj.label}", tuple(boxes), reader=reader))
    return out
