"""GOT-10k sequence: ``groundtruth.txt`` (0-based ``x,y,w,h`` per frame) and its label files.

Export layout (one object; several objects get one such folder each, ``OUT/track_<id>/``)::

    OUT/groundtruth.txt      one line per video frame, 0-based x,y,w,h clipped to the frame;
                             NaN,NaN,NaN,NaN when no box
    OUT/absence.label        one 0/1 per frame: 1 where the object has no box (absent or unannotated)
    OUT/cut_by_image.label   one 0/1 per frame: 1 where the box stuck out of the image (and was clipped)
    OUT/meta_info.ini        [METAINFO] object_class (the label), track_id, anno_fps, resolution

``cover.label`` (GOT-10k's visible-fraction bins) is not written: the project's occluded flag does
not say how much of an object is covered. A box with no part inside the frame is a NaN row. Provenance and score have no place in GOT-10k.

Import takes a sequence folder (or its ``groundtruth.txt``), or a folder of sequence folders
(one object each). ``absence.label`` 1, NaN rows and all-zero rows become absent marks;
``meta_info.ini``'s object_class and track_id, when present, give the label and track id.
"""
from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Iterator

from ..data_files import natural_key
from ..project import Project, TrackObject
from ..types import Box
from . import coords
from .building import add_object, new_project, video_ref
from .errors import FormatError
from .export_context import ExportContext
from .formatting import num
from .reading import read_text
from .per_frame_text import box_lines, read_box_lines, read_flags, write_lines

KIND = "dir"
DESCRIPTION = "GOT-10k: groundtruth.txt (0-based x,y,w,h per frame, NaN = no box), absence.label, meta_info.ini"


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    objects = ctx.objects()
    if not objects:
        raise FormatError(f"{ctx.out_path}: the project has no objects: nothing to write as GOT-10k")
    width, height = ctx.frame_size("GOT-10k")
    n_frames = ctx.frame_count
    written, count = [], 0
    for k, obj in enumerate(objects):
        folder = Path(".") if len(objects) == 1 else Path(f"track_{obj.track_id:03d}")
        (stage / folder).mkdir(parents=True, exist_ok=True)
        lines, n = box_lines(obj, n_frames, coords.to_got10k)
        count += n
        absence = ("1" if box is None else "0" for box in _frame_boxes(obj, n_frames))
        cut = ("1" if ctx.was_cut(obj, frame) and box is not None else "0"
               for frame, box in enumerate(_frame_boxes(obj, n_frames)))
        meta = (
            "[METAINFO]\n"
            f"object_class: {obj.label}\n"
            f"track_id: {obj.track_id}\n"
            f"anno_fps: {num(ctx.project.video.fps)}Hz\n"
            f"resolution: ({width}, {height})\n"
        )
        files = {
            "groundtruth.txt": lines,
            "absence.label": absence,
            "cut_by_image.label": cut,
        }
        for name, rows in files.items():
            write_lines(stage / folder / name, rows)
            written.append(folder / name)
        (stage / folder / "meta_info.ini").write_text(meta, encoding="utf-8")
        written.append(folder / "meta_info.ini")
        ctx.report(k + 1, len(objects))
    return written, count


def _frame_boxes(obj: TrackObject, n_frames: int) -> Iterator[Box | None]:
    """The object's box on every frame (None without one), generated frame by frame."""
    for frame in range(n_frames):
        entry = obj.entries.get(frame)
        yield None if entry is None else entry.box


def _sequences(path: Path) -> list[Path]:
    if path.is_file():
        return [path.parent]
    if not path.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    if (path / "groundtruth.txt").is_file():
        return [path]
    subs = sorted((p for p in path.iterdir() if (p / "groundtruth.txt").is_file()), key=lambda p: natural_key(p.name))
    if not subs:
        raise FormatError(f"{path}: holds no groundtruth.txt (nor sequence folders that do)")
    return subs


def _meta(path: Path) -> tuple[str | None, int | None]:
    if not path.is_file():
        return None, None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_text(path), source=str(path))
    except configparser.Error as e:
        raise FormatError(f"{path}: not a valid meta_info.ini ({str(e).splitlines()[0]})") from e
    if not parser.has_section("METAINFO"):
        return None, None
    sec = parser["METAINFO"]
    label = (sec.get("object_class") or "").strip() or None
    tid = sec.get("track_id")
    if tid is not None:
        if not re.fullmatch(r"\s*\d+\s*", tid) or int(tid) < 1:
            raise FormatError(f"{path}: track_id {tid!r} is not a positive whole number")
        return label, int(tid)
    return label, None


def load(path: Path, video_path) -> Project:
    sequences = _sequences(Path(path))
    video = video_ref(video_path, "GOT-10k")
    project = new_project(video, [])
    pending = []
    for seq in sequences:
        label, tid = _meta(seq / "meta_info.ini")
        absence = seq / "absence.label"
        flags = read_flags(absence) if absence.is_file() else None
        entries = read_box_lines(seq / "groundtruth.txt", video, coords.from_got10k, flags)
        pending.append((tid, label or "object", entries))
    used = {t for t, _, _ in pending if t}
    next_id = 1
    for tid, label, entries in pending:
        if not tid or tid in project.objects:
            while next_id in used or next_id in project.objects:
                next_id += 1
            tid = next_id
        obj = add_object(project, tid, label)
        obj.entries = entries
    return project
