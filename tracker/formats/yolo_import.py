"""YOLO import: label files named like the frames' images, ``class cx cy w h [track_id]`` per line.

Reads the folder the YOLO export writes (``labels/`` beside ``classes.txt`` / ``data.yaml``), or a
folder of label files itself. A label file belongs to the frame whose image has its stem (a frame
folder's ``0001.jpg`` -> ``0001.txt``), or, when no image has it, to the 0-based frame its name
numbers (``000012.txt``: frame 12, what the export writes for a video). A frame without a label
file is not annotated; an empty one has no box.

Class names come from ``classes.txt``, else ``data.yaml``'s ``names``, else ``class N``. Values
must be normalised (0..1). The sixth column, when present, is the track id (``--track-ids``
exports). Without it a box has no identity, so each class becomes one object (track ids 1, 2, ...
in class order), and a frame with two boxes of one class is an error (nothing tells them apart).
Boxes are ``imported``.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..data_files import natural_key
from ..project import MAX_TRACK_ID, BoxEntry, Project, Provenance
from . import coords
from .building import add_object, check_frame, make_box, new_project, track_id_map, video_ref
from .errors import FormatError
from .formatting import num
from .reading import checkpoint, read_text, split_numbers
from .frame_names import frame_names

KIND = "dir"
DESCRIPTION = "YOLO: labels/<image name>.txt (class cx cy w h [track id], normalised), classes.txt or data.yaml"
TOLERANCE = 1e-6  # six decimals of rounding may put a clipped edge a hair past 0 or 1


def _folders(path: Path) -> tuple[Path, Path]:
    """(the folder of label files, the folder to look for class names in)."""
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    if path.is_file():
        path = path.parent
    if (path / "labels").is_dir():
        return path / "labels", path
    return path, path.parent if path.name == "labels" else path


def _class_names(root: Path, labels: Path) -> list[str] | None:
    for folder in dict.fromkeys((root, labels)):
        classes = folder / "classes.txt"
        if classes.is_file():
            return [line.strip() for line in read_text(classes).splitlines() if line.strip()]
        data = folder / "data.yaml"
        if data.is_file():
            return _yaml_names(data)
    return None


def _yaml_names(path: Path) -> list[str] | None:
    import yaml

    try:
        data = yaml.safe_load(read_text(path))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise FormatError(f"{path}: {line}not valid YAML") from None
    except (RecursionError, ValueError):  # nesting past Python's stack, an integer of thousands of digits
        raise FormatError(f"{path}: not YAML this program reads (nested too deeply or a number too long)") from None
    names = data.get("names") if isinstance(data, dict) else None
    if names is None:
        return None
    if isinstance(names, dict):
        if not all(isinstance(k, int) and k >= 0 for k in names):
            raise FormatError(f"{path}: names: the keys must be class numbers 0, 1, ...")
        listed = [names.get(i) for i in range(max(names) + 1)] if names else []
        return [str(n) if n is not None else f"class {i}" for i, n in enumerate(listed)]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise FormatError(f"{path}: names: must be a list or a mapping of class number to name")


def load(path: Path, video_path) -> Project:
    labels_dir, root = _folders(Path(path))
    video = video_ref(video_path, "YOLO")
    names = _class_names(root, labels_dir)
    frames = frame_names(Path(video.path), video.frame_count)
    files = sorted((p for p in labels_dir.iterdir() if p.suffix.lower() == ".txt" and p.name != "classes.txt"
                    and p.is_file()), key=lambda p: natural_key(p.name))
    if not files:
        raise FormatError(f"{labels_dir}: holds no YOLO label files (*.txt)")
    # (track or class) -> frame -> (entry, where); class of each track
    tracks: dict[int, dict[int, tuple[BoxEntry, str]]] = {}
    track_class: dict[int, int] = {}
    with_ids: bool | None = None
    for file in files:
        checkpoint()  # a cancelled import stops here
        frame = frames.frame_of(file.name)
        if frame is None:
            raise FormatError(f"{file}: no frame of {video.path} has this name (label files are named like the "
                              "images, or by 0-based frame number): wrong --video?")
        check_frame(str(file), frame, video)
        for lineno, line in enumerate(read_text(file).splitlines(), 1):
            if not line.strip():
                continue
            where = f"{file}: line {lineno}"
            values = split_numbers(file, lineno, line, 5, 6)
            if with_ids is None:
                with_ids = len(values) == 6
            elif with_ids != (len(values) == 6):
                raise FormatError(f"{where}: {len(values)} numbers, but other lines "
                                  f"{'have' if with_ids else 'have no'} a track id column")
            cls = values[0]
            if not (math.isfinite(cls) and cls == int(cls) and cls >= 0):
                raise FormatError(f"{where}: class {num(cls)} is not a whole number from 0")
            cls = int(cls)
            for value in values[1:5]:
                if not (math.isfinite(value) and -TOLERANCE <= value <= 1 + TOLERANCE):
                    raise FormatError(f"{where}: {num(value, 6)} is not a normalised value (YOLO values lie in "
                                      "0..1; pixel coordinates?)")
            box = make_box(where, *values[1:5], video.width, video.height, convert=coords.from_yolo)
            if with_ids:
                tid = values[5]
                if not (math.isfinite(tid) and tid == int(tid) and 0 <= tid <= MAX_TRACK_ID):
                    raise FormatError(f"{where}: track id {num(tid)} is not a whole number from 0 to {MAX_TRACK_ID}")
                key = int(tid)
            else:
                key = cls
            entries = tracks.setdefault(key, {})
            if frame in entries:
                problem = (f"track {key} already has a box on this frame ({entries[frame][1]})" if with_ids else
                           f"a second box of class {cls} on this frame ({entries[frame][1]}) and no track id "
                           "column: nothing tells the objects apart (export with track ids)")
                raise FormatError(f"{where}: {problem}")
            entries[frame] = (BoxEntry(box, Provenance.IMPORTED), f"line {lineno}")
            track_class.setdefault(key, cls)

    def label(cls: int) -> str:
        return names[cls] if names is not None and cls < len(names) else f"class {cls}"

    project = new_project(video, names or [])
    ids = track_id_map(list(tracks)) if with_ids else {cls: n + 1 for n, cls in enumerate(sorted(tracks))}
    for key in sorted(tracks):
        obj = add_object(project, ids[key], label(track_class[key]))
        obj.entries = {f: e for f, (e, _) in sorted(tracks[key].items())}
    return project
