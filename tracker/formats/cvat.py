"""CVAT for video 1.1 XML: one ``<track>`` per object with one ``<box>`` per frame.

Coordinates are CVAT's 0-based corners ``xtl ytl xbr ybr``, clipped to the frame (CVAT keeps
shapes inside the image). Frames are 0-based. Every exported box is written with
``keyframe="1"``, so CVAT never re-interpolates a tracked box; the box's provenance and score go
into ``<attribute name="provenance">`` and ``<attribute name="score">``, declared in the label
meta so CVAT accepts them. ``occluded`` is the entry's occluded flag.

In CVAT a track's last shape lasts until a shape with ``outside="1"``, so the exporter writes:

* an absent mark as ``outside="1"`` with provenance ``absent``;
* after the last box of every run of boxes, when the next frame has no entry at all, an
  ``outside="1"`` shape with provenance ``unannotated`` (the track stops being defined there).

Import follows CVAT's own semantics: frames between two visible shapes are linearly interpolated
(provenance ``interpolated``, as CVAT shows them), a visible shape followed by an outside one (or
by nothing) lasts until then (or the end of the video), ``outside="1"`` becomes an absent mark
unless it says ``unannotated``. ``keyframe="0"`` shapes without a provenance attribute are
``interpolated``, other shapes ``imported``; ``occluded="1"`` sets the occluded flag of a shape
(interpolated frames take it from the shape before them). Only ``<box>`` tracks are read: a file with
``<image>`` elements (CVAT for images) or other shape types is refused with the line named.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ..project import DEFAULT_COLORS, BoxEntry, Project, Provenance
from ..types import Box
from . import coords
from .building import (
    add_object, check_frame, make_box, new_project, parse_provenance, track_id_map, video_ref,
)
from .errors import FormatError
from .export_context import ExportContext
from .formatting import format_context_error, num
from .reading import LinedXML, checkpoint

KIND = "file"
DESCRIPTION = "CVAT for video 1.1 XML: tracks with keyframe/outside flags, provenance and score attributes"

UNANNOTATED = "unannotated"
PROVENANCE_VALUES = [p.value for p in Provenance] + [UNANNOTATED]
SHAPES = ("box", "polygon", "polyline", "points", "ellipse", "mask", "skeleton", "cuboid")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def export(ctx: ExportContext) -> tuple[bytes, int]:
    project = ctx.project
    width, height = ctx.frame_size("CVAT")
    n_frames = ctx.frame_count
    root = ET.Element("annotations")
    _sub(root, "version", "1.1")
    meta = _sub(root, "meta")
    task = _sub(meta, "task")
    _sub(task, "id", "1")
    _sub(task, "name", Path(project.video.path).name or "video")
    _sub(task, "size", str(n_frames))
    _sub(task, "mode", "interpolation")
    _sub(task, "overlap", "0")
    _sub(task, "start_frame", "0")
    _sub(task, "stop_frame", str(max(n_frames - 1, 0)))
    labels_el = _sub(task, "labels")
    colors = {}
    for obj in ctx.objects():
        colors.setdefault(obj.label, obj.color)
    for i, name in enumerate(ctx.label_index()):
        label = _sub(labels_el, "label")
        _sub(label, "name", name)
        _sub(label, "color", colors.get(name, DEFAULT_COLORS[i % len(DEFAULT_COLORS)]))
        _sub(label, "type", "rectangle")
        attrs = _sub(label, "attributes")
        a = _sub(attrs, "attribute")
        _sub(a, "name", "provenance")
        _sub(a, "mutable", "True")
        _sub(a, "input_type", "select")
        _sub(a, "default_value", Provenance.IMPORTED.value)
        _sub(a, "values", "\n".join([Provenance.IMPORTED.value] + [v for v in PROVENANCE_VALUES
                                                                    if v != Provenance.IMPORTED.value]))
        a = _sub(attrs, "attribute")
        _sub(a, "name", "score")
        _sub(a, "mutable", "True")
        _sub(a, "input_type", "text")
        _sub(a, "default_value", "")
        _sub(a, "values", "")
    size = _sub(task, "original_size")
    _sub(size, "width", str(width))
    _sub(size, "height", str(height))

    written = 0
    objects = ctx.objects()
    for k, obj in enumerate(objects):
        track = _sub(root, "track", id=str(obj.track_id), label=obj.label, source="manual")
        frames = sorted(obj.entries)
        first_box = next((obj.entries[f].box for f in frames if obj.entries[f].box is not None), None)
        last: tuple[float, float, float, float] | None = None
        for f in frames:
            entry = obj.entries[f]
            if entry.box is not None:
                try:
                    corners = coords.to_cvat(entry.box, width, height)
                except coords.OutsideFrame as e:
                    raise FormatError(format_context_error(str(ctx.out_path), obj, f, f"{e}; CVAT cannot store it")) from None
                _box(track, f, False, corners, entry.provenance.value, entry.score, entry.occluded)
                written += 1
                last = corners
                if f + 1 not in obj.entries and f + 1 < n_frames:
                    _box(track, f + 1, True, corners, UNANNOTATED, None)
            else:
                if last is None:
                    last = _outside_corners(first_box, width, height)
                _box(track, f, True, last, Provenance.ABSENT.value, None)
        ctx.report(k + 1, len(objects))
    ET.indent(root, "  ")
    data = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
    return data, written


def _outside_corners(box: Box | None, width: int, height: int) -> tuple[float, float, float, float]:
    if box is not None:
        try:
            return coords.to_cvat(box, width, height)
        except coords.OutsideFrame:
            pass
    return (0.0, 0.0, float(width), float(height))


def _box(track: ET.Element, frame: int, outside: bool, corners, provenance: str, score: float | None,
         occluded: bool = False) -> None:
    xtl, ytl, xbr, ybr = corners
    el = _sub(track, "box", frame=str(frame), outside="1" if outside else "0", occluded="1" if occluded else "0",
              keyframe="1",
              xtl=num(xtl), ytl=num(ytl), xbr=num(xbr), ybr=num(ybr), z_order="0")
    _sub(el, "attribute", provenance, name="provenance")
    if score is not None:
        _sub(el, "attribute", num(float(score), 4), name="score")


# ----------------------------------------------------------------------------- import


@dataclass
class _Shape:
    frame: int
    outside: bool
    keyframe: bool
    box: Box
    provenance: str | None
    score: float | None
    el: ET.Element
    occluded: bool = False


def load(path: Path, video_path) -> Project:
    doc = LinedXML(Path(path))
    root = doc.root
    if root.tag != "annotations":
        raise doc.error(root, "not a CVAT XML file (the root element must be <annotations>)")
    video = video_ref(video_path, "CVAT")
    labels: list[str] = []
    meta = root.find("meta")
    if meta is not None:
        for label in meta.iter("label"):
            name = label.find("name")
            if name is None or not (name.text or "").strip():
                raise doc.error(label, "label without a <name>")
            labels.append(name.text.strip())
        size = next(meta.iter("original_size"), None)
        if size is not None:
            for key, actual in (("width", video.width), ("height", video.height)):
                el = size.find(key)
                if el is None:
                    continue
                try:
                    stated = int((el.text or "").strip())
                except ValueError:
                    raise doc.error(el, f"{el.text!r} is not a whole number") from None
                if stated != actual:
                    raise doc.error(el, f"the annotated frames are {key} {stated} but the video has "
                                        f"{actual}: wrong --video?")
    image = root.find("image")
    if image is not None:
        raise doc.error(image, "this is CVAT for images (per-image shapes); export the task as "
                               "'CVAT for video 1.1' to import tracks")
    tracks = root.findall("track")
    raw = {}
    for track in tracks:
        checkpoint()  # a cancelled import stops here
        raw_id = doc.attr_int(track, "id")
        if raw_id in raw:
            raise doc.error(track, f"duplicate track id {raw_id}")
        raw[raw_id] = track
    ids = track_id_map(list(raw))
    project = new_project(video, labels)
    for raw_id in sorted(raw):
        track = raw[raw_id]
        label = track.attrib.get("label")
        if not label:
            raise doc.error(track, "attribute 'label' is missing")
        shapes = _read_shapes(doc, track, video)
        obj = add_object(project, ids[raw_id], label)
        obj.entries = _entries(shapes, video.frame_count)
    return project


def _read_shapes(doc: LinedXML, track: ET.Element, video) -> list[_Shape]:
    shapes: dict[int, _Shape] = {}
    for el in track:
        checkpoint()  # a cancelled import stops here
        if el.tag in SHAPES and el.tag != "box":
            raise doc.error(el, f"only box tracks can be imported, not <{el.tag}>")
        if el.tag != "box":
            continue
        frame = doc.attr_int(el, "frame")
        check_frame(doc.where(el), frame, video)
        if frame in shapes:
            raise doc.error(el, f"track {track.attrib.get('id')} has two boxes on frame {frame}")
        values = [doc.attr_number(el, k) for k in ("xtl", "ytl", "xbr", "ybr")]
        box = make_box(doc.where(el), *values, convert=coords.from_cvat)
        attrs = {}
        for a in el.findall("attribute"):
            attrs[a.attrib.get("name", "")] = (a.text or "").strip()
        score = None
        if attrs.get("score"):
            try:
                score = float(attrs["score"])
            except ValueError:
                raise doc.error(el, f"score attribute {attrs['score']!r} is not a number") from None
        prov = attrs.get("provenance") or None
        if prov is not None and prov not in PROVENANCE_VALUES:
            parse_provenance(doc.where(el), prov, Provenance.IMPORTED)  # raises, naming the element
        shapes[frame] = _Shape(frame, el.attrib.get("outside") == "1", el.attrib.get("keyframe", "1") == "1",
                               box, prov, score, el, el.attrib.get("occluded") == "1")
    return [shapes[f] for f in sorted(shapes)]


def _entries(shapes: list[_Shape], n_frames: int) -> dict[int, BoxEntry]:
    entries: dict[int, BoxEntry] = {}
    for i, s in enumerate(shapes):
        if s.outside:
            if s.provenance != UNANNOTATED:
                entries[s.frame] = BoxEntry(None, Provenance.ABSENT)
            continue
        default = Provenance.IMPORTED if s.keyframe else Provenance.INTERPOLATED
        prov = Provenance(s.provenance) if s.provenance else default
        if prov is Provenance.ABSENT:
            prov = default  # a visible box cannot be an absent mark
        entries[s.frame] = BoxEntry(s.box, prov, s.score, s.occluded)
        nxt = shapes[i + 1] if i + 1 < len(shapes) else None
        end = nxt.frame if nxt is not None else n_frames
        for g in range(s.frame + 1, end):
            if nxt is not None and not nxt.outside:
                t = (g - s.frame) / (nxt.frame - s.frame)
                a, b = s.box, nxt.box
                box = Box(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), a.w + t * (b.w - a.w), a.h + t * (b.h - a.h))
            else:
                box = s.box
            entries[g] = BoxEntry(box, Provenance.INTERPOLATED, None, s.occluded)
    return entries
