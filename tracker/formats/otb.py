"""OTB sequence ground truth: ``groundtruth_rect.txt``, one ``x,y,w,h`` line per frame, 1-based.

Export layout::

    OUT/groundtruth_rect.txt        one object
    OUT/groundtruth_rect.<id>.txt   several objects (OTB's own naming for Jogging, Skating2, ...)
    OUT/img/0001.jpg                the frames, with write_frames (OTB's 1-based names)

OTB annotates every frame of a sequence and has no absent mark. Our choice: every video frame
gets a line, and a frame where the object has no box (absent or not annotated) gets
``NaN,NaN,NaN,NaN`` (as UAV123 does), so line ``n`` is always frame ``n``. Boxes are clipped to
the frame; one with no part inside it is a NaN row (formats.clipping). Label, track id,
provenance and score have no place in OTB and are not written.

Import takes a ``groundtruth_rect*.txt`` file or a sequence folder (all such files, one object
each; the number in ``groundtruth_rect.<n>.txt`` becomes the track id). Separators may be commas,
tabs or spaces. NaN rows and all-zero rows become absent marks; boxes are ``imported``.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..data_files import natural_key
from ..project import Project
from . import coords
from .building import add_object, new_project, video_ref
from .errors import FormatError
from .export_context import ExportContext
from .per_frame_text import box_lines, read_box_lines, write_lines

KIND = "dir"
DESCRIPTION = "OTB: groundtruth_rect[.<id>].txt per object, one 1-based x,y,w,h line per frame (NaN = no box)"

_NAME = re.compile(r"^groundtruth_rect(?:[._](\d+))?\.txt$", re.IGNORECASE)


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    objects = ctx.objects()
    if not objects:
        raise FormatError(f"{ctx.out_path}: the project has no objects: nothing to write as OTB")
    n_frames = ctx.frame_count
    written, count = [], 0
    for obj in objects:
        lines, n = box_lines(obj, n_frames, coords.to_otb)
        rel = Path("groundtruth_rect.txt" if len(objects) == 1 else f"groundtruth_rect.{obj.track_id}.txt")
        write_lines(stage / rel, lines)
        written.append(rel)
        count += n
    if ctx.write_frames:
        digits = max(4, len(str(n_frames)))
        written += ctx.write_all_frames(stage, n_frames, lambda f: Path("img") / f"{f + 1:0{digits}d}.jpg")
    else:
        ctx.report(1, 1)
    return written, count


def load(path: Path, video_path) -> Project:
    path = Path(path)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if _NAME.match(p.name)), key=lambda p: natural_key(p.name))
        if not files:
            raise FormatError(f"{path}: folder holds no groundtruth_rect*.txt")
    else:
        files = [path]
    video = video_ref(video_path, "OTB")
    project = new_project(video, ["object"])
    next_id = 1
    numbered = {}
    for f in files:
        m = _NAME.match(f.name)
        numbered[f] = int(m.group(1)) if m and m.group(1) else None
    used = {n for n in numbered.values() if n}
    for f in files:
        tid = numbered[f]
        if not tid or tid in project.objects:
            while next_id in used or next_id in project.objects:
                next_id += 1
            tid = next_id
        obj = add_object(project, tid, "object")
        obj.entries = read_box_lines(f, video, coords.from_otb)
    return project
