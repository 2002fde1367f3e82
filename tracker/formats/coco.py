"""COCO JSON for video with track ids, as COCO-VID (mmtracking) and TAO write it.

Export::

    {"info": {...}, "licenses": [],
     "videos": [{"id": 1, "name": "clip", "width": W, "height": H, "fps": 25.0, "frame_count": N}],
     "images": [{"id": frame + 1, "video_id": 1, "frame_id": frame, "frame_index": frame,
                 "file_name": "clip/0001.jpg", "width": W, "height": H}, ...],   # every frame
     "annotations": [{"id": 1, "image_id": ..., "video_id": 1, "category_id": c,
                      "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0, "segmentation": [],
                      "attributes": {"occluded": false},
                      "track_id": t, "instance_id": t, "provenance": "tracked", "score": s}, ...],
     "categories": [{"id": 1, "name": "car", "supercategory": ""}, ...],
     "tracks": [{"id": t, "category_id": c, "video_id": 1, "name": "car 3", "color": "#...",
                 "absent_frames": [..]}]}

``frame_id`` (COCO-VID) and ``frame_index`` (TAO) are 0-based; ``bbox`` is COCO's 0-based
``[x, y, w, h]``, clipped to the frame (formats.clipping). ``score`` is left out for boxes without
one (COCO readers expect a number). ``attributes.occluded`` is the entry's occluded flag, where
CVAT's COCO export puts it. Absent marks have no annotation (COCO has none); they are listed in the
track's ``absent_frames`` so our import restores them. Categories follow the project's label
order, ids from 1.

``file_name`` is ``<folder>/<image>``, relative to an image root: for a frame folder ``clip/`` its
own images (``clip/0001.jpg``), so the root is the folder holding ``clip/``; for a video
``clip.mp4`` the numbered names ``clip/000000.jpg``. With ``write_frames`` the frames are written
under exactly those names beside the JSON (``OUT_DIR/clip/...``), so the JSON's folder is the root;
when that folder is the frame folder itself, nothing is copied.

Import reads ``track_id`` or ``instance_id``, ``frame_id`` or ``frame_index``,
``attributes.occluded``; with several videos in the file it takes the one whose ``name`` matches
the video's file name or stem.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..project import BoxEntry, Project, Provenance
from . import coords
from .building import (
    add_object, check_frame, majority, make_box, new_project, parse_provenance, track_id_map, video_ref,
)
from .errors import FormatError
from .export_context import ExportContext
from .reading import checkpoint, read_json

KIND = "file"
DESCRIPTION = "COCO JSON with videos, frame ids and track ids (COCO-VID / TAO), score and provenance keys"


def _r(v: float) -> float:
    return round(float(v), 3)


def export(ctx: ExportContext) -> tuple[Iterator[bytes], int]:
    project = ctx.project
    width, height = ctx.frame_size("COCO")
    n_frames = ctx.frame_count
    classes = ctx.label_index()
    name = Path(project.video.path).stem or "video"
    names = ctx.names

    def image(f: int) -> dict:
        return {"id": f + 1, "video_id": 1, "frame_id": f, "frame_index": f,
                "file_name": f"{names.folder}/{names.name(f)}", "width": width, "height": height}

    annotations = []
    by_frame = ctx.boxes_by_frame()
    for frame in sorted(by_frame):
        for obj, entry in by_frame[frame]:
            bbox = [_r(v) for v in coords.to_coco(entry.box)]
            ann = {
                "id": len(annotations) + 1, "image_id": frame + 1, "video_id": 1,
                "category_id": classes[obj.label] + 1, "bbox": bbox, "area": _r(bbox[2] * bbox[3]),
                "iscrowd": 0, "segmentation": [], "attributes": {"occluded": entry.occluded},
                "track_id": obj.track_id, "instance_id": obj.track_id, "provenance": entry.provenance.value,
            }
            if entry.score is not None:  # readers expect a number when the key is there
                ann["score"] = round(float(entry.score), 4)
            annotations.append(ann)
    tracks = [
        {"id": obj.track_id, "category_id": classes[obj.label] + 1, "video_id": 1,
         "name": f"{obj.label} {obj.track_id}", "color": obj.color,
         "absent_frames": sorted(f for f, e in obj.entries.items() if e.box is None)}
        for obj in ctx.objects()
    ]
    head = {
        "info": {"description": f"{name}: exported by memtrack-annotator", "version": "1.0"},
        "licenses": [],
        "videos": [{"id": 1, "name": name, "file_name": Path(project.video.path).name, "width": width,
                    "height": height, "fps": project.video.fps, "frame_count": n_frames}],
    }
    tail = {
        "categories": [{"id": i + 1, "name": n, "supercategory": ""} for n, i in classes.items()],
        "tracks": tracks,
    }

    def chunks() -> Iterator[bytes]:
        # one record a line; the per-frame "images" list is generated as it is written, so a long
        # video never needs all of it in memory
        yield b"{\n"
        for key, value in head.items():
            yield f"{json.dumps(key)}: {json.dumps(value)},\n".encode("utf-8")
        yield from _array("images", (image(f) for f in range(n_frames)), n_frames)
        yield from _array("annotations", annotations, len(annotations))
        for k, (key, value) in enumerate(tail.items()):
            yield f"{json.dumps(key)}: {json.dumps(value)}{',' if k + 1 < len(tail) else ''}\n".encode("utf-8")
        yield b"}\n"
        ctx.report(1, 1)

    return chunks(), len(annotations)


def frames_target(ctx: ExportContext) -> Path | None:
    """The folder ``write_frames`` fills: ``<folder or video name>/`` beside the JSON; None when that
    is the frame folder itself (its images are already where ``file_name`` says)."""
    target = ctx.out_path.parent / ctx.names.folder
    try:
        same = target.resolve() == ctx.source_path.resolve()
    except OSError:
        same = False
    if same:
        ctx.note(f"the frames are already in {target}: not copied")
        return None
    return target


def write_frames(ctx: ExportContext, stage: Path) -> list[Path]:
    """Every frame into ``stage`` under its ``file_name``'s image name; returns the relative paths."""
    return ctx.write_all_frames(stage, ctx.frame_count, lambda f: Path(ctx.names.name(f)))


def _array(key: str, records: Iterable[dict], n: int) -> Iterator[bytes]:
    yield f"{json.dumps(key)}: [".encode("utf-8")
    batch = []
    for k, record in enumerate(records):
        batch.append(("\n" if k == 0 else ",\n") + json.dumps(record))
        if len(batch) >= 4096:
            yield "".join(batch).encode("utf-8")
            batch = []
    batch.append("\n],\n" if n else "],\n")
    yield "".join(batch).encode("utf-8")


# ----------------------------------------------------------------------------- import


def _list(data: dict, key: str, path: Path, required: bool = True) -> list:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise FormatError(f"{path}: {key}: missing or not a list")
    return value


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    """A value for an error message, cut so a huge list or text cannot flood the line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pick_video(videos: list, path: Path, video_file: str) -> int | None:
    if not videos:
        return None
    for k, v in enumerate(videos):
        if not isinstance(v, dict) or not _int(v.get("id")):
            raise FormatError(f"{path}: videos[{k}]: must be an object with an integer id")
    if len(videos) == 1:
        return videos[0]["id"]
    p = Path(video_file)
    for v in videos:
        names = {str(v.get("name", "")), str(v.get("file_name", ""))}
        if p.name in names or p.stem in names or any(n and Path(n).stem == p.stem for n in names):
            return v["id"]
    listed = ", ".join(str(v.get("name")) for v in videos[:8])
    raise FormatError(f"{path}: holds {len(videos)} videos ({listed}...) and none is named like {p.name}")


def _occluded(annotation: dict, where: str) -> bool:
    attributes = annotation.get("attributes")
    if attributes is None:
        return False
    if not isinstance(attributes, dict):
        raise FormatError(f"{where}.attributes: must be an object")
    value = attributes.get("occluded", False)
    if not isinstance(value, bool):
        raise FormatError(f"{where}.attributes.occluded: {_short(value)} is not true or false")
    return value


def load(path: Path, video_path) -> Project:
    path = Path(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise FormatError(f"{path}: top level: expected a JSON object")
    video = video_ref(video_path, "COCO")
    images = _list(data, "images", path)
    annotations = _list(data, "annotations", path)
    categories = _list(data, "categories", path)
    videos = _list(data, "videos", path, required=False)
    video_id = _pick_video(videos, path, video.path)
    for k, v in enumerate(videos):
        if v["id"] == video_id:
            for key, actual in (("width", video.width), ("height", video.height)):
                if _int(v.get(key)) and v[key] != actual:
                    raise FormatError(f"{path}: videos[{k}].{key} is {v[key]} but the video has {actual}: "
                                      "wrong --video?")
    cat_names: dict[int, str] = {}
    for k, c in enumerate(categories):
        if not isinstance(c, dict) or not _int(c.get("id")) or not isinstance(c.get("name"), str):
            raise FormatError(f"{path}: categories[{k}]: needs an integer id and a string name")
        cat_names[c["id"]] = c["name"]
    frames: dict[int, int] = {}
    for k, im in enumerate(images):
        where = f"{path}: images[{k}]"
        if not isinstance(im, dict) or not _int(im.get("id")):
            raise FormatError(f"{where}: must be an object with an integer id")
        if video_id is not None and im.get("video_id", video_id) != video_id:
            continue
        frame = im.get("frame_id", im.get("frame_index"))
        if not _int(frame):
            raise FormatError(f"{where}: no integer frame_id or frame_index: not a video (COCO-VID/TAO) file")
        check_frame(where, frame, video)
        for key, actual in (("width", video.width), ("height", video.height)):
            if _int(im.get(key)) and im[key] != actual:
                raise FormatError(f"{where}.{key} is {im[key]} but the video has {actual}: wrong --video?")
        frames[im["id"]] = frame
    # ids of the images that belong to other videos, as a set: searching the image list once per
    # annotation took hours on a file with a few hundred thousand of each
    other_images = {im["id"] for im in images if im["id"] not in frames}
    tracks: dict[int, dict[int, BoxEntry]] = {}
    track_cats: dict[int, list[str]] = {}
    colors: dict[int, str] = {}
    for k, a in enumerate(annotations):
        checkpoint()  # a cancelled import stops here
        where = f"{path}: annotations[{k}]"
        if not isinstance(a, dict):
            raise FormatError(f"{where}: must be an object")
        image_id = a.get("image_id")
        if not _int(image_id):
            raise FormatError(f"{where}.image_id: {_short(image_id)} is not an integer id")
        if image_id not in frames:
            if image_id in other_images:
                continue  # an image of another video in the file
            raise FormatError(f"{where}.image_id: no image with id {image_id!r}")
        tid = a.get("track_id", a.get("instance_id"))
        if not _int(tid):
            raise FormatError(f"{where}: no integer track_id or instance_id: not a tracking file")
        bbox = a.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            raise FormatError(f"{where}.bbox: must be four numbers [x, y, w, h]")
        box = make_box(f"{where}.bbox", bbox, convert=coords.from_coco)
        cat = a.get("category_id")
        if not _int(cat):
            raise FormatError(f"{where}.category_id: {_short(cat)} is not an integer id")
        if cat not in cat_names:
            raise FormatError(f"{where}.category_id: no category with id {cat!r}")
        score = a.get("score")
        if score is not None and not _number(score):
            raise FormatError(f"{where}.score: {score!r} is not a number")
        prov = parse_provenance(f"{where}.provenance", a.get("provenance"), Provenance.IMPORTED)
        if prov is Provenance.ABSENT:
            raise FormatError(f"{where}.provenance: an annotation with a box cannot be 'absent'")
        occluded = _occluded(a, where)
        frame = frames[image_id]
        entries = tracks.setdefault(tid, {})
        if frame in entries:
            raise FormatError(f"{where}: track {tid} already has a box on frame {frame}")
        entries[frame] = BoxEntry(box, prov, None if score is None else float(score), occluded)
        track_cats.setdefault(tid, []).append(cat_names[cat])
    for k, t in enumerate(_list(data, "tracks", path, required=False)):
        where = f"{path}: tracks[{k}]"
        if not isinstance(t, dict) or not _int(t.get("id")):
            raise FormatError(f"{where}: must be an object with an integer id")
        if video_id is not None and t.get("video_id", video_id) != video_id:
            continue
        if _int(t.get("category_id")) and t["category_id"] in cat_names:
            track_cats.setdefault(t["id"], []).insert(0, cat_names[t["category_id"]])
        if isinstance(t.get("color"), str) and t["color"].startswith("#"):
            colors[t["id"]] = t["color"]
        absent = t.get("absent_frames", [])
        if not isinstance(absent, list) or not all(_int(f) for f in absent):
            raise FormatError(f"{where}.absent_frames: must be a list of frame numbers")
        entries = tracks.setdefault(t["id"], {})
        for f in absent:
            check_frame(f"{where}.absent_frames", f, video)
            if f in entries:
                raise FormatError(f"{where}.absent_frames: frame {f} also has a box")
            entries[f] = BoxEntry(None, Provenance.ABSENT)
    project = new_project(video, [cat_names[c] for c in sorted(cat_names)])
    ids = track_id_map(list(tracks))
    for tid in sorted(tracks):
        obj = add_object(project, ids[tid], majority(track_cats.get(tid, []), "object"))
        obj.entries = dict(sorted(tracks[tid].items()))
        obj.color = colors.get(tid, obj.color)
    return project
