"""The annotation project: objects, their boxes per frame, and the JSON file that stores them.

Qt-free, so the GUI, the exporters, the importers and the trainer all share it.

File layout (schema version 2)::

    {"schema": "memtrack-project", "version": 2,
     "video": {"path": "clip.mp4", "frame_count": 150, "width": 320, "height": 240, "fps": 25.0},
     "labels": ["object", "car"],
     "objects": [{"track_id": 1, "label": "car", "color": "#e6194b",
                  "frames": [[0, [x, y, w, h], "keyframe", null], [5, null, "absent", null],
                             [7, [x, y, w, h], "tracked", 0.8, true], ...]}]}

Each frame row is ``[frame_index, box or null, provenance, score or null]``, with a fifth element
``true`` when the object is visible but occluded on that frame (version 2; only boxes can be
occluded). Boxes are 0-based float pixels ``x, y, w, h``. ``video.path`` is stored relative to the
project file when it can be.

An object may also carry ``"hidden": true`` (its boxes are not drawn in the window) and
``"locked": true`` (its boxes cannot be edited with the mouse or keys) (version 3); both are
omitted when false.

Versions: a file is written as version 1 (which older programs read) unless an entry is occluded
(version 2) or an object is hidden or locked (version 3); version 1 and 2 files are read as they are
(no entry occluded in version 1, nothing hidden or locked before version 3).
"""
from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterator

from .atomic import atomic_write_text, clean_stale_siblings
from .json_input import JSONInputError, parse_json
from .types import Box, BoxError

__all__ = [
    "SCHEMA_VERSION",
    "BoxEntry",
    "Project",
    "ProjectError",
    "Provenance",
    "TrackObject",
    "VideoRef",
    "load_project",
    "save_project",
    "DEFAULT_COLORS",
    "MAX_FRAMES",
    "label_problem",
    "text_problem",
]

SCHEMA_NAME = "memtrack-project"
SCHEMA_VERSION = 3
OCCLUDED_VERSION = 2  # the first version with the occluded flag
HIDDEN_LOCKED_VERSION = 3  # the first version with the objects' hidden and locked flags

# A qualitative palette that stays distinguishable on video (Sasha Trubetskoy's 20 colours, first 12).
DEFAULT_COLORS = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4",
    "#46f0f0", "#f032e6", "#bcf60c", "#fabebe", "#008080", "#e6beff",
)


# Limits that keep a hostile or damaged file from making an exporter allocate or write without bound
# (a frame_count of 10^9 made COCO raise MemoryError and YOLO start writing 10^9 files).
MAX_FRAMES = 10_000_000  # 4.6 days at 25 fps
MAX_SIDE = 100_000  # px
MAX_TRACK_ID = 10**9
MAX_LABEL_LENGTH = 200
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}(?:[0-9a-fA-F]{2})?|[A-Za-z]{1,30}")
_TOP_KEYS = {"schema", "version", "video", "labels", "objects"}
_VIDEO_KEYS = {"path", "frame_count", "width", "height", "fps"}
_OBJECT_KEYS = {"track_id", "label", "color", "frames"}
_OBJECT_FLAGS = ("hidden", "locked")  # from version 3


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot go into the line- and XML-based files we write, or None.

    Control characters (newline, NUL, ...) and Unicode line or paragraph separators split lines
    in MOT labels.txt, YOLO classes.txt, the VOC labelmap, ini files and CSV, and most of them are
    not allowed in XML at all; a lone surrogate cannot be encoded as UTF-8.
    """
    for ch in text:
        kind = unicodedata.category(ch)
        if kind in ("Cc", "Zl", "Zp"):
            return f"holds the control character U+{ord(ch):04X}"
        if kind == "Cs":
            return f"holds a lone surrogate U+{ord(ch):04X} (not valid Unicode text)"
        if kind == "Cn" and 0xFDD0 <= ord(ch) <= 0xFDEF or ord(ch) & 0xFFFE == 0xFFFE:
            return f"holds the non-character U+{ord(ch):04X}"
    return None


def label_problem(label: Any) -> str | None:
    """Why ``label`` cannot be an object label, or None: a string that is not blank, of at most
    MAX_LABEL_LENGTH characters, with nothing :func:`text_problem` refuses."""
    if not isinstance(label, str):
        return "must be a string"
    if not label.strip():
        return "must not be empty"
    if len(label) > MAX_LABEL_LENGTH:
        return f"is {len(label)} characters long (at most {MAX_LABEL_LENGTH})"
    problem = text_problem(label)
    return None if problem is None else f"{label!r} {problem}"


class ProjectError(Exception):
    """A project file that cannot be read or written; the message names the file and the problem."""


class Provenance(str, Enum):
    KEYFRAME = "keyframe"  # drawn or corrected by the user
    TRACKED = "tracked"  # produced by the tracker
    INTERPOLATED = "interpolated"  # linear interpolation between two keyframes
    IMPORTED = "imported"  # read from another tool's file
    ABSENT = "absent"  # the user marked the object as not visible on this frame


@dataclass(frozen=True)
class BoxEntry:
    box: Box | None
    provenance: Provenance
    score: float | None = None
    occluded: bool = False  # visible but partly hidden by something in front (the box is the whole object)

    def __post_init__(self) -> None:
        if (self.box is None) != (self.provenance is Provenance.ABSENT):
            raise ValueError("an entry has a box unless it marks the object absent")
        if self.occluded and self.box is None:
            raise ValueError("only an entry with a box can be occluded")

    @property
    def absent(self) -> bool:
        return self.box is None

    @property
    def is_keyframe(self) -> bool:
        # An absent mark is set by the user, so it pins the frame like a keyframe.
        return self.provenance in (Provenance.KEYFRAME, Provenance.ABSENT)


@dataclass
class TrackObject:
    track_id: int
    label: str
    color: str
    entries: dict[int, BoxEntry] = field(default_factory=dict)
    hidden: bool = False  # the window does not draw its boxes (they still export)
    locked: bool = False  # the window refuses edits of its boxes by the mouse and keys

    def keyframes(self) -> list[int]:
        return sorted(i for i, e in self.entries.items() if e.is_keyframe)

    def box_at(self, frame: int) -> Box | None:
        entry = self.entries.get(frame)
        return entry.box if entry else None


@dataclass(frozen=True)
class VideoRef:
    path: str
    frame_count: int
    width: int
    height: int
    fps: float


@dataclass
class Project:
    video: VideoRef
    labels: list[str] = field(default_factory=lambda: ["object"])
    objects: dict[int, TrackObject] = field(default_factory=dict)

    def new_object(self, label: str | None = None) -> TrackObject:
        track_id = max(self.objects, default=0) + 1
        label = label or (self.labels[0] if self.labels else "object")
        if label not in self.labels:
            self.labels.append(label)
        obj = TrackObject(track_id, label, DEFAULT_COLORS[(track_id - 1) % len(DEFAULT_COLORS)])
        self.objects[track_id] = obj
        return obj

    def iter_entries(self) -> Iterator[tuple[TrackObject, int, BoxEntry]]:
        for track_id in sorted(self.objects):
            obj = self.objects[track_id]
            for frame in sorted(obj.entries):
                yield obj, frame, obj.entries[frame]

    def video_path(self, project_file: str | os.PathLike | None = None) -> Path:
        """The video's absolute path; a relative one is taken from the project file's folder."""
        p = Path(self.video.path)
        if not p.is_absolute() and project_file is not None:
            p = Path(project_file).resolve().parent / p
        return p


# ----------------------------------------------------------------------------- writing


def project_to_dict(project: Project, project_file: str | os.PathLike | None = None) -> dict[str, Any]:
    video_path = project.video.path
    if project_file is not None and Path(video_path).is_absolute():
        try:
            video_path = os.path.relpath(video_path, Path(project_file).resolve().parent)
        except ValueError:  # another drive on Windows
            pass
    objects = []
    for track_id in sorted(project.objects):
        obj = project.objects[track_id]
        rows = []
        for frame in sorted(obj.entries):
            e = obj.entries[frame]
            box = None if e.box is None else [round(v, 3) for v in e.box.as_tuple()]
            score = None if e.score is None else round(float(e.score), 4)
            rows.append([frame, box, e.provenance.value, score] + ([True] if e.occluded else []))
        item: dict[str, Any] = {"track_id": obj.track_id, "label": obj.label, "color": obj.color, "frames": rows}
        item.update({flag: True for flag in _OBJECT_FLAGS if getattr(obj, flag)})
        objects.append(item)
    v = project.video
    occluded = any(len(row) > 4 for o in objects for row in o["frames"])
    flagged = any(flag in o for o in objects for flag in _OBJECT_FLAGS)
    return {
        "schema": SCHEMA_NAME,
        "version": HIDDEN_LOCKED_VERSION if flagged else OCCLUDED_VERSION if occluded else 1,
        "video": {"path": video_path, "frame_count": v.frame_count, "width": v.width,
                  "height": v.height, "fps": v.fps},
        "labels": list(project.labels),
        "objects": objects,
    }


def save_project(path: str | os.PathLike, project: Project) -> None:
    """Write the project atomically; raises ProjectError naming the file on failure (also for a
    project this program could not open again, so a save never writes a file that will not load)."""
    data = project_to_dict(project, path)
    project_from_dict(data, path)
    clean_stale_siblings(path)
    try:
        text = json.dumps(data, indent=1)
        atomic_write_text(path, text + "\n")
    except OSError as e:
        raise ProjectError(f"{path}: cannot write project file: {e.strerror or e}") from e


# ----------------------------------------------------------------------------- reading


def _need(cond: bool, path: Any, where: str, problem: str) -> None:
    if not cond:
        raise ProjectError(f"{path}: {where}: {problem}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    """A value for an error message, cut so that a huge one cannot flood the line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _no_unknown_keys(data: dict, known: set[str], path: Any, where: str) -> None:
    unknown = sorted(str(k) for k in set(data) - known)
    _need(not unknown, path, where, f"unknown key(s) {', '.join(repr(k) for k in unknown)} (a newer or "
                                    "another program's file?)")


def project_from_dict(data: Any, path: Any = "<project>") -> Project:
    _need(isinstance(data, dict), path, "top level", "expected a JSON object")
    _need(data.get("schema") == SCHEMA_NAME, path, "schema", f"not a {SCHEMA_NAME} file")
    version = data.get("version")
    _need(_int_in(version, 1, 10**6), path, "version", "missing or not a positive integer")
    _need(version <= SCHEMA_VERSION, path, "version",
          f"file version {version} is newer than this program understands ({SCHEMA_VERSION})")
    _no_unknown_keys(data, _TOP_KEYS, path, "top level")
    v = data.get("video")
    _need(isinstance(v, dict), path, "video", "missing or not an object")
    _no_unknown_keys(v, _VIDEO_KEYS, path, "video")
    _need(isinstance(v.get("path"), str), path, "video.path", "missing or not a string")
    problem = text_problem(v["path"])
    _need(problem is None, path, "video.path", f"{v['path']!r} {problem}")
    _need(_int_in(v.get("frame_count"), 0, MAX_FRAMES), path, "video.frame_count",
          f"must be an integer from 0 to {MAX_FRAMES}")
    for key in ("width", "height"):
        _need(_int_in(v.get(key), 0, MAX_SIDE), path, f"video.{key}", f"must be an integer from 0 to {MAX_SIDE}")
    _need(_number(v.get("fps")) and 0 < v["fps"] <= 10_000, path, "video.fps", "must be a number in (0, 10000]")
    video = VideoRef(v["path"], v["frame_count"], v["width"], v["height"], float(v["fps"]))
    labels = data.get("labels", [])
    _need(isinstance(labels, list), path, "labels", "must be a list of strings")
    for n, label in enumerate(labels):
        problem = label_problem(label)
        _need(problem is None, path, f"labels[{n}]", f"label {problem}")
    project = Project(video=video, labels=list(dict.fromkeys(labels)))
    objs = data.get("objects", [])
    _need(isinstance(objs, list), path, "objects", "must be a list")
    for n, o in enumerate(objs):
        where = f"objects[{n}]"
        _need(isinstance(o, dict), path, where, "must be an object")
        _no_unknown_keys(o, _OBJECT_KEYS | (set(_OBJECT_FLAGS) if version >= HIDDEN_LOCKED_VERSION else set()),
                         path, where)
        tid = o.get("track_id")
        _need(_int_in(tid, 1, MAX_TRACK_ID), path, f"{where}.track_id", f"must be an integer from 1 to {MAX_TRACK_ID}")
        _need(tid not in project.objects, path, f"{where}.track_id", f"duplicate track id {tid}")
        problem = label_problem(o.get("label"))
        _need(problem is None, path, f"{where}.label", f"label {problem}")
        color = o.get("color", DEFAULT_COLORS[(tid - 1) % len(DEFAULT_COLORS)])
        _need(isinstance(color, str) and _COLOR.fullmatch(color) is not None, path, f"{where}.color",
              f"{_shown(color)} is not a colour (#rrggbb or a colour name)")
        obj = TrackObject(tid, o["label"], color)
        for flag in _OBJECT_FLAGS:
            value = o.get(flag, False)
            _need(isinstance(value, bool), path, f"{where}.{flag}", f"{_shown(value)} is not true or false")
            setattr(obj, flag, value)
        if obj.label not in project.labels:
            project.labels.append(obj.label)
        rows = o.get("frames", [])
        _need(isinstance(rows, list), path, f"{where}.frames", "must be a list")
        for k, row in enumerate(rows):
            rw = f"{where}.frames[{k}]"
            _need(isinstance(row, list) and (len(row) == 4 or version >= OCCLUDED_VERSION and len(row) == 5),
                  path, rw, "must be [frame, box, provenance, score]"
                  + (" or [frame, box, provenance, score, occluded]" if version >= OCCLUDED_VERSION else ""))
            frame, box, prov, score = row[:4]
            occluded = row[4] if len(row) == 5 else False
            _need(isinstance(occluded, bool), path, rw, f"occluded flag {_shown(occluded)} is not true or false")
            _need(not occluded or box is not None, path, rw, "an absent mark cannot be occluded")
            _need(_int_in(frame, 0, MAX_FRAMES), path, rw, f"frame index {_shown(frame)} is not an integer >= 0")
            _need(video.frame_count == 0 or frame < video.frame_count, path, rw,
                  f"frame {frame} is past the video's last frame {video.frame_count - 1}")
            _need(frame not in obj.entries, path, rw, f"a second row for frame {frame}")
            try:
                provenance = Provenance(prov)
            except (ValueError, TypeError):
                raise ProjectError(f"{path}: {rw}: unknown provenance {_shown(prov)}") from None
            _need(score is None or _number(score), path, rw, f"score {_shown(score)} is not a number")
            if box is None:
                _need(provenance is Provenance.ABSENT, path, rw, "a box is missing")
                parsed = None
            else:
                _need(isinstance(box, list) and len(box) == 4 and all(_number(x) for x in box), path, rw,
                      "box must be four numbers x, y, w, h")
                _need(provenance is not Provenance.ABSENT, path, rw, "an absent mark cannot carry a box")
                try:
                    parsed = Box(*(float(x) for x in box))
                except BoxError as e:
                    raise ProjectError(f"{path}: {rw}: {e}") from None
            obj.entries[frame] = BoxEntry(parsed, provenance, None if score is None else float(score), occluded)
        project.objects[tid] = obj
    return project


def load_project(path: str | os.PathLike) -> Project:
    """Read a project file; raises ProjectError naming the file and what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ProjectError(f"{path}: cannot read project file: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ProjectError(f"{path}: not a text file ({e.reason})") from e
    try:
        data = parse_json(text)
    except JSONInputError as e:
        raise ProjectError(f"{path}: {e}") from None
    return project_from_dict(data, path)
