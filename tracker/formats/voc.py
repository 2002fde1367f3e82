"""Pascal VOC detection XML, one file per frame.

Export layout::

    OUT/Annotations/0001.xml        one per video frame (no <object> when the frame has no box)
    OUT/ImageSets/Main/default.txt  the frame names, one a line
    OUT/labelmap.txt                label:color_rgb:parts:actions (Datumaro / CVAT label map)
    OUT/JPEGImages/0001.jpg         the frames, with write_frames

Boxes use VOC's convention: ``xmin ymin xmax ymax`` are 1-based inclusive pixel indices, whole
numbers, clipped to the image (``1..W``, ``1..H``); ``truncated`` is 1 when the box had to be
clipped (VOC's meaning: the object extends beyond the image). ``occluded`` is the entry's occluded
flag (the element Datumaro and CVAT write); ``difficult`` is always 0 (it is not occlusion). The
track id, provenance and score go into Datumaro-style
``<attributes><attribute><name/><value/></attribute></attributes>``. Files are named like the
images (:mod:`.frame_names`): a frame folder's own names (``<filename>0001.jpg</filename>`` in
``Annotations/0001.xml``), for a video the 0-based frame number (``000000``). A box with no part
inside the frame is not written (formats.clipping).

Import (:mod:`.voc_import`) reads such a folder back.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from . import coords
from .errors import FormatError
from .export_context import ExportContext
from .formatting import format_context_error, num

KIND = "dir"
XML_DECL = b'<?xml version="1.0" encoding="utf-8"?>\n'
DESCRIPTION = "Pascal VOC: Annotations/NNNNNN.xml per frame (1-based whole-pixel corners), ImageSets, labelmap"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _rgb(color: str) -> str:
    c = color.lstrip("#")
    try:
        return ",".join(str(int(c[i:i + 2], 16)) for i in (0, 2, 4))
    except ValueError:
        return "0,0,0"


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    width, height = ctx.frame_size("VOC")
    n_frames = ctx.frame_count
    classes = ctx.label_index()
    colors = {}
    for obj in ctx.objects():
        colors.setdefault(obj.label, obj.color)
    labelmap = "# label:color_rgb:parts:actions\nbackground:0,0,0::\n" + "".join(
        f"{name}:{_rgb(colors.get(name, '#808080'))}::\n" for name in classes if name != "background"
    )
    (stage / "labelmap.txt").write_text(labelmap, encoding="utf-8")
    (stage / "Annotations").mkdir()
    (stage / "ImageSets" / "Main").mkdir(parents=True)
    written = [Path("labelmap.txt")]
    by_frame = ctx.boxes_by_frame()
    video_name = Path(ctx.project.video.path).name
    count = 0
    names = []

    def write_annotation(frame: int) -> list[Path]:
        nonlocal count
        name = ctx.names.stem(frame)
        names.append(name)
        root = ET.Element("annotation")
        _sub(root, "folder", "JPEGImages")
        _sub(root, "filename", ctx.names.name(frame))
        source = _sub(root, "source")
        _sub(source, "database", "memtrack-annotator")
        _sub(source, "annotation", f"{video_name} frame {frame}")
        size = _sub(root, "size")
        _sub(size, "width", str(width))
        _sub(size, "height", str(height))
        _sub(size, "depth", "3")
        _sub(root, "segmented", "0")
        for obj, entry in by_frame.get(frame, []):
            box = entry.box
            try:
                xmin, ymin, xmax, ymax = coords.to_voc(box, width, height)
            except coords.OutsideFrame as e:
                raise FormatError(format_context_error(str(ctx.out_path), obj, frame, f"{e}; VOC cannot store it")) from None
            truncated = ctx.was_cut(obj, frame)
            o = _sub(root, "object")
            _sub(o, "name", obj.label)
            _sub(o, "pose", "Unspecified")
            _sub(o, "truncated", "1" if truncated else "0")
            _sub(o, "difficult", "0")
            _sub(o, "occluded", "1" if entry.occluded else "0")
            bb = _sub(o, "bndbox")
            for tag, v in (("xmin", xmin), ("ymin", ymin), ("xmax", xmax), ("ymax", ymax)):
                _sub(bb, tag, str(v))
            attrs = _sub(o, "attributes")
            values = [("track_id", str(obj.track_id)), ("provenance", entry.provenance.value)]
            if entry.score is not None:
                values.append(("score", num(float(entry.score), 4)))
            for key, value in values:
                a = _sub(attrs, "attribute")
                _sub(a, "name", key)
                _sub(a, "value", value)
            count += 1
        ET.indent(root, "  ")
        rel = Path("Annotations") / f"{name}.xml"
        (stage / rel).write_bytes(XML_DECL + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n")
        return [rel]

    image = (lambda frame: Path("JPEGImages") / ctx.names.name(frame)) if ctx.write_frames else None
    written += ctx.write_per_frame(stage, n_frames, write_annotation, image)
    subset = Path("ImageSets") / "Main" / "default.txt"
    (stage / subset).write_text("".join(n + "\n" for n in names), encoding="utf-8")
    written.append(subset)
    return written, count
