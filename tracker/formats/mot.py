"""MOTChallenge ground truth: ``gt/gt.txt`` plus ``seqinfo.ini`` (and ``gt/labels.txt``).

Export layout::

    OUT/seqinfo.ini        [Sequence] name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    OUT/gt/gt.txt          frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility
    OUT/gt/labels.txt      class names, one a line (class c is line c), as Datumaro reads them
    OUT/img1/000001.jpg    the frames, with ``write_frames``

Frames and pixels are 1-based (see coords.py); boxes are clipped to the frame (formats.clipping).
Rows are sorted by frame, then track id. The frames are named by number (``img1/000001.jpg``)
whatever the source's file names: MOT readers find them by number.

Column 7 is "conf": in a MOT ground-truth file a 0 there means "ignore this box", so it holds 1
for boxes without a score (user keyframes, interpolated, imported) and the tracker's score for
tracked boxes, raised to at least 0.001 so that no exported box is ever read as "ignored".
Column 8 is the 1-based class (the project's label order), column 9 the visibility: 1 for a
visible box, 0.5 for one flagged occluded (the project records a flag, not a visible fraction).
Provenance has no column; absent marks have no row.

Import reads 6 to 10 columns (MOT15 result files have 10, where columns 8-10 are world
coordinates, so the class is taken from column 8 only for 8 or 9 columns). Class names come from
``labels.txt`` beside the txt file, else the MOT16/17 class list for ids 1-12, else ``object``.
Column 7 becomes the box's score unless it is a 0/1 ground-truth flag. With 9 columns, a
visibility below 1 sets the occluded flag. Track id -1 (untracked detections, ``det.txt``) is
refused.
"""
from __future__ import annotations

import configparser
import math
from pathlib import Path

from ..project import MAX_TRACK_ID, BoxEntry, Project, Provenance
from . import coords
from .building import add_object, check_frame, majority, make_box, new_project, track_id_map, video_ref
from .errors import FormatError
from .export_context import ExportContext
from .formatting import num
from .reading import checkpoint, read_text, split_numbers

KIND = "dir"
DESCRIPTION = "MOTChallenge: gt/gt.txt + seqinfo.ini, 1-based frames and pixels, conf = score"

MOT16_CLASSES = (
    "pedestrian", "person on vehicle", "car", "bicycle", "motorbike", "non motorized vehicle",
    "static person", "distractor", "occluder", "occluder on the ground", "occluder full", "reflection",
)
MIN_CONF = 0.001
OCCLUDED_VISIBILITY = 0.5


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    project = ctx.project
    width, height = ctx.frame_size("MOT")
    n_frames = ctx.frame_count
    classes = ctx.label_index()
    video_name = Path(project.video.path).stem or "sequence"
    fps = project.video.fps
    seqinfo = (
        "[Sequence]\n"
        f"name={video_name}\n"
        "imDir=img1\n"
        f"frameRate={num(fps)}\n"
        f"seqLength={n_frames}\n"
        f"imWidth={width}\n"
        f"imHeight={height}\n"
        "imExt=.jpg\n"
    )
    rows = []
    by_frame = ctx.boxes_by_frame()
    for frame in sorted(by_frame):
        for obj, entry in by_frame[frame]:
            left, top, w, h = coords.to_mot(entry.box)
            conf = 1.0 if entry.score is None else max(float(entry.score), MIN_CONF)
            rows.append(
                f"{coords.mot_frame(frame)},{obj.track_id},{num(left)},{num(top)},{num(w)},{num(h)},"
                f"{num(conf, 4)},{classes[obj.label] + 1},{num(OCCLUDED_VISIBILITY if entry.occluded else 1)}"
            )
    files = {
        Path("seqinfo.ini"): seqinfo,
        Path("gt/gt.txt"): "".join(r + "\n" for r in rows),
        Path("gt/labels.txt"): "".join(name + "\n" for name in classes),
    }
    for rel, text in files.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")
    written = list(files)
    if ctx.write_frames:
        written += ctx.write_all_frames(stage, n_frames, lambda f: Path("img1") / f"{coords.mot_frame(f):06d}.jpg")
    else:
        ctx.report(1, 1)
    return written, len(rows)


# ----------------------------------------------------------------------------- import


def _find_txt(path: Path) -> Path:
    if path.is_dir():
        for candidate in (path / "gt" / "gt.txt", path / "gt.txt"):
            if candidate.is_file():
                return candidate
        raise FormatError(f"{path}: folder holds no gt/gt.txt")
    return path


def _seqinfo(txt: Path) -> Path | None:
    for candidate in (txt.parent.parent / "seqinfo.ini", txt.parent / "seqinfo.ini"):
        if candidate.is_file():
            return candidate
    return None


def _check_seqinfo(path: Path, project: Project) -> None:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(read_text(path), source=str(path))
    except configparser.Error as e:
        raise FormatError(f"{path}: not a valid seqinfo.ini ({str(e).splitlines()[0]})") from e
    if not parser.has_section("Sequence"):
        raise FormatError(f"{path}: has no [Sequence] section")
    seq = parser["Sequence"]
    v = project.video
    for key, actual in (("seqLength", v.frame_count), ("imWidth", v.width), ("imHeight", v.height)):
        if key.lower() in seq:
            try:
                stated = int(seq[key])
            except ValueError:
                raise FormatError(f"{path}: [Sequence] {key}={seq[key]!r} is not a whole number") from None
            if stated != actual:
                raise FormatError(
                    f"{path}: {key}={stated} but the video {v.path} has {actual}: wrong --video?"
                )


def _class_names(txt: Path) -> list[str] | None:
    labels = txt.parent / "labels.txt"
    if not labels.is_file():
        return None
    return [line.strip() for line in read_text(labels).splitlines() if line.strip()]


def load(path: Path, video_path) -> Project:
    txt = _find_txt(Path(path))
    video = video_ref(video_path, "MOT")
    text = read_text(txt)
    names = _class_names(txt)
    rows: dict[int, dict[int, tuple[BoxEntry, int]]] = {}
    classes: dict[int, list[str]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        checkpoint()  # a cancelled import stops here
        if not line.strip():
            continue
        values = split_numbers(txt, lineno, line, 6, 10)
        where = f"{txt}: line {lineno}"
        number, raw_id = values[0], values[1]
        if not all(math.isfinite(v) and v == int(v) for v in (number, raw_id)):
            raise FormatError(f"{where}: frame and track id must be whole numbers")
        number, raw_id = int(number), int(raw_id)
        if raw_id > MAX_TRACK_ID:
            raise FormatError(f"{where}: track id {raw_id} is too large (at most {MAX_TRACK_ID})")
        if number < 1:
            raise FormatError(f"{where}: frame {number}: MOT frame numbers start at 1")
        frame = coords.from_mot_frame(number)
        check_frame(where, frame, video, number_shown=number)
        if raw_id < 0:
            raise FormatError(
                f"{where}: track id {raw_id} marks an untracked detection (det.txt); import needs tracks"
            )
        box = make_box(where, *values[2:6], convert=coords.from_mot)
        score = None
        if len(values) >= 7 and values[6] not in (0.0, 1.0):
            score = values[6]
        label = "object"
        if len(values) in (8, 9):
            if not (math.isfinite(values[7]) and values[7] == int(values[7])):
                raise FormatError(f"{where}: class {num(values[7])} is not a whole number")
            cls = int(values[7])
            if names is not None and 1 <= cls <= len(names):
                label = names[cls - 1]
            elif names is None and 1 <= cls <= len(MOT16_CLASSES):
                label = MOT16_CLASSES[cls - 1]
            elif cls != -1:
                label = f"class {cls}"
        track = rows.setdefault(raw_id, {})
        if frame in track:
            raise FormatError(
                f"{where}: track {raw_id} already has a box on frame {number} (line {track[frame][1]})"
            )
        occluded = len(values) == 9 and values[8] < 1
        track[frame] = (BoxEntry(box, Provenance.IMPORTED, score, occluded), lineno)
        classes.setdefault(raw_id, []).append(label)
    seqinfo = _seqinfo(txt)
    project = new_project(video, names or [])
    if seqinfo is not None:
        _check_seqinfo(seqinfo, project)
    ids = track_id_map(list(rows))
    for raw_id in sorted(rows):
        obj = add_object(project, ids[raw_id], majority(classes[raw_id], "object"))
        obj.entries = {f: e for f, (e, _) in sorted(rows[raw_id].items())}
    return project
