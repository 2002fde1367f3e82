"""Label Studio import: video rectangle tracks from ``tasks.json`` (our export) or Label Studio's
own JSON export of a video object tracking project (the same structure).

Reads a JSON list of tasks (or one task, or an export folder holding ``tasks.json``); each task
has ``annotations[].result[]``, and each result of type ``videorectangle`` is one object::

    {"type": "videorectangle", "meta": {"track_id": 3},                      # meta: ours, optional
     "value": {"labels": ["car"], "framesCount": N,
               "sequence": [{"frame": 1, "enabled": true, "x": 10.0, "y": 20.0,
                             "width": 5.0, "height": 8.0, "rotation": 0, "time": 0.04}, ...]}}

With several tasks the one whose ``data.video`` names the video (file name or stem) is taken; of
its annotations the first that was not cancelled. Other result types are skipped.

Label Studio's semantics (as its own ``extract_key_frames`` applies them): every sequence item is
a keyframe (1-based ``frame``; ``x, y, width, height`` in percent of the frame); while a
keyframe's ``enabled`` is true the box is interpolated linearly to the next keyframe, and after the
last one it stays until the end of the video; after a keyframe whose ``enabled`` is false the
object is not shown until the next keyframe. Keyframes become ``imported`` boxes, the frames
between them ``interpolated`` ones. A rotated box (``rotation`` not 0) is refused: the project
holds upright boxes only. The track id is ``meta.track_id`` when present, else the result's
position (1, 2, ...).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..project import MAX_TRACK_ID, BoxEntry, Project, Provenance
from ..types import Box
from . import coords
from .building import add_object, check_frame, make_box, new_project, video_ref
from .errors import FormatError
from .reading import checkpoint, read_json
from .labelstudio_config import DATA_KEY

KIND = "dir"
DESCRIPTION = "Label Studio video tracking JSON (our tasks.json or Label Studio's export): keyframes, enabled flags"
TASKS_FILE = "tasks.json"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _task(data: Any, path: Path, video_file: str) -> tuple[dict, str]:
    """The task for the video and its JSON path."""
    if isinstance(data, dict):
        return data, ""
    if not isinstance(data, list):
        raise FormatError(f"{path}: top level: expected a list of tasks")
    if not data:
        raise FormatError(f"{path}: holds no task")
    for k, t in enumerate(data):
        if not isinstance(t, dict):
            raise FormatError(f"{path}: [{k}]: a task must be an object")
    if len(data) == 1:
        return data[0], "[0]"
    p = Path(video_file)
    for k, t in enumerate(data):
        ref = (t.get("data") or {}).get(DATA_KEY) if isinstance(t.get("data"), dict) else None
        if isinstance(ref, str):
            name = ref.rstrip("/").rsplit("/", 1)[-1].rsplit("=", 1)[-1]
            if name in (p.name, p.stem) or Path(name).stem == p.stem:
                return t, f"[{k}]"
    raise FormatError(f"{path}: holds {len(data)} tasks and none has data.{DATA_KEY} named like {p.name}")


def _annotation(task: dict, path: Path, where: str) -> tuple[dict, str]:
    annotations = task.get("annotations")
    if not isinstance(annotations, list):
        raise FormatError(f"{path}: {where}.annotations: missing or not a list")
    for k, a in enumerate(annotations):
        if not isinstance(a, dict):
            raise FormatError(f"{path}: {where}.annotations[{k}]: must be an object")
        if not a.get("was_cancelled", False):
            return a, f"{where}.annotations[{k}]"
    raise FormatError(f"{path}: {where}.annotations: no annotation (or all were cancelled)")


def _keyframes(value: dict, path: Path, where: str, video) -> list[tuple[int, bool, Box]]:
    sequence = value.get("sequence")
    if not isinstance(sequence, list):
        raise FormatError(f"{path}: {where}.value.sequence: missing or not a list")
    keyframes: dict[int, tuple[int, bool, Box]] = {}
    for k, item in enumerate(sequence):
        checkpoint()  # a cancelled import stops here
        at = f"{path}: {where}.value.sequence[{k}]"
        if not isinstance(item, dict):
            raise FormatError(f"{at}: must be an object")
        number = item.get("frame")
        if not _is_int(number):
            raise FormatError(f"{at}.frame: {number!r} is not a frame number")
        if number < 1:
            raise FormatError(f"{at}.frame: {number}: Label Studio frame numbers start at 1")
        frame = coords.from_labelstudio_frame(number)
        check_frame(at, frame, video, number_shown=number)
        for key in ("x", "y", "width", "height"):
            if not _is_number(item.get(key)):
                raise FormatError(f"{at}.{key}: {item.get(key)!r} is not a number")
        rotation = item.get("rotation", 0)
        if not _is_number(rotation):
            raise FormatError(f"{at}.rotation: {rotation!r} is not a number")
        if rotation % 360 != 0:
            raise FormatError(f"{at}.rotation: {rotation}: a rotated box cannot be imported (upright boxes only)")
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            raise FormatError(f"{at}.enabled: {enabled!r} is not true or false")
        box = make_box(at, item["x"], item["y"], item["width"], item["height"], video.width, video.height,
                       convert=coords.from_labelstudio)
        if frame in keyframes:
            raise FormatError(f"{at}: a second keyframe on frame {number}")
        keyframes[frame] = (frame, enabled, box)
    return [keyframes[f] for f in sorted(keyframes)]


def _entries(keyframes: list[tuple[int, bool, Box]], n_frames: int) -> dict[int, BoxEntry]:
    entries: dict[int, BoxEntry] = {}
    for i, (frame, enabled, box) in enumerate(keyframes):
        entries[frame] = BoxEntry(box, Provenance.IMPORTED)
        if not enabled:
            continue
        nxt = keyframes[i + 1] if i + 1 < len(keyframes) else None
        end = nxt[0] if nxt is not None else n_frames
        for g in range(frame + 1, end):
            if nxt is None:
                between = box
            else:
                t = (g - frame) / (nxt[0] - frame)
                b = nxt[2]
                between = Box(box.x + t * (b.x - box.x), box.y + t * (b.y - box.y),
                              box.w + t * (b.w - box.w), box.h + t * (b.h - box.h))
            entries[g] = BoxEntry(between, Provenance.INTERPOLATED)
    return entries


def load(path: Path, video_path) -> Project:
    path = Path(path)
    if path.is_dir():
        path = path / TASKS_FILE
    data = read_json(path)
    video = video_ref(video_path, "Label Studio")
    task, where = _task(data, path, video.path)
    annotation, where = _annotation(task, path, where)
    results = annotation.get("result")
    if not isinstance(results, list):
        raise FormatError(f"{path}: {where}.result: missing or not a list")
    objects: list[tuple[int | None, str, dict[int, BoxEntry], str]] = []
    for k, r in enumerate(results):
        checkpoint()  # a cancelled import stops here
        at = f"{where}.result[{k}]"
        if not isinstance(r, dict):
            raise FormatError(f"{path}: {at}: must be an object")
        if r.get("type") != "videorectangle":
            continue
        value = r.get("value")
        if not isinstance(value, dict):
            raise FormatError(f"{path}: {at}.value: missing or not an object")
        labels = value.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise FormatError(f"{path}: {at}.value.labels: must be a list of strings")
        meta = r.get("meta")
        tid = meta.get("track_id") if isinstance(meta, dict) else None
        if tid is not None and not (_is_int(tid) and 1 <= tid <= MAX_TRACK_ID):
            raise FormatError(f"{path}: {at}.meta.track_id: {tid!r} is not a track id from 1 to {MAX_TRACK_ID}")
        entries = _entries(_keyframes(value, path, at, video), video.frame_count)
        objects.append((tid, labels[0] if labels else "object", entries, at))
    project = new_project(video, [label for _, label, _, _ in objects])
    used = {tid for tid, _, _, _ in objects if tid is not None}
    next_id = 1
    for tid, label, entries, at in objects:
        if tid is None:
            while next_id in used:
                next_id += 1
            tid = next_id
            used.add(tid)
        if tid in project.objects:
            raise FormatError(f"{path}: {at}.meta.track_id: track id {tid} is used twice")
        obj = add_object(project, tid, label)
        obj.entries = entries
    return project
