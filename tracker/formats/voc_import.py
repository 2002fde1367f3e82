"""Pascal VOC import: one ``<annotation>`` XML per frame.

Reads the folder the VOC export writes (``Annotations/``), a folder of XML files, or one XML file.
A file belongs to the frame whose image ``<filename>`` names (a frame folder's ``0001.jpg``), or,
when no image has that name, to the 0-based frame the name numbers (``000012.jpg``, what the
export writes for a video); without ``<filename>`` the XML file's own name is used.

Boxes are VOC's 1-based inclusive whole-pixel corners (coords.from_voc), so a round trip keeps a
box to within half a pixel per edge. ``<occluded>1</occluded>`` sets the occluded flag;
``truncated`` and ``difficult`` are not read (neither is occlusion). Datumaro-style
``<attributes>`` give ``track_id``, ``provenance`` and ``score`` when present. Without a track id
each label becomes one object, and two boxes of one label in one file are an error.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from ..data_files import natural_key
from ..project import MAX_TRACK_ID, BoxEntry, Project, Provenance
from . import coords
from .building import (
    add_object, check_frame, make_box, new_project, parse_provenance, track_id_map, video_ref,
)
from .errors import FormatError
from .reading import LinedXML, checkpoint
from .frame_names import frame_names

KIND = "dir"
DESCRIPTION = "Pascal VOC: Annotations/<image name>.xml per frame (1-based whole-pixel corners, occluded)"


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise FormatError(f"{path}: no such file or folder")
    if path.is_file():
        return [path]
    folder = path / "Annotations" if (path / "Annotations").is_dir() else path
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() == ".xml" and p.is_file()),
                   key=lambda p: natural_key(p.name))
    if not files:
        raise FormatError(f"{folder}: holds no VOC annotation files (*.xml)")
    return files


def _text(doc: LinedXML, parent: ET.Element, tag: str, required: bool = True) -> str | None:
    el = parent.find(tag)
    if el is None or not (el.text or "").strip():
        if required:
            raise doc.error(parent, f"<{tag}> is missing or empty")
        return None
    return el.text.strip()


def _number(doc: LinedXML, parent: ET.Element, tag: str) -> float:
    text = _text(doc, parent, tag)
    try:
        value = float(text)
    except ValueError:
        raise doc.error(parent.find(tag), f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise doc.error(parent.find(tag), f"{text!r} is not a finite number")
    return value


def _attributes(doc: LinedXML, obj: ET.Element) -> dict[str, str]:
    out = {}
    attrs = obj.find("attributes")
    if attrs is not None:
        for a in attrs.findall("attribute"):
            name = _text(doc, a, "name")
            out[name] = (a.findtext("value") or "").strip()
    return out


def load(path: Path, video_path) -> Project:
    files = _files(Path(path))
    video = video_ref(video_path, "VOC")
    names = frame_names(Path(video.path), video.frame_count)
    tracks: dict[int | str, dict[int, BoxEntry]] = {}
    labels: dict[int | str, str] = {}
    all_labels: list[str] = []
    with_ids: bool | None = None
    for file in files:
        checkpoint()  # a cancelled import stops here
        doc = LinedXML(file)
        root = doc.root
        if root.tag != "annotation":
            raise doc.error(root, "not a Pascal VOC file (the root element must be <annotation>)")
        image = _text(doc, root, "filename", required=False) or file.name
        frame = names.frame_of(image)
        if frame is None:
            raise FormatError(f"{doc.where(root)}: no frame of {video.path} is named {image!r} (nor numbered so): "
                              "wrong --video?")
        check_frame(doc.where(root), frame, video)
        size = root.find("size")
        if size is not None:
            for tag, actual in (("width", video.width), ("height", video.height)):
                stated = size.findtext(tag)
                if stated is not None and stated.strip() and stated.strip() != str(actual):
                    raise doc.error(size.find(tag), f"{tag} {stated.strip()} but the video has {actual}: wrong --video?")
        for obj in root.findall("object"):
            where = doc.where(obj)
            label = _text(doc, obj, "name")
            bb = obj.find("bndbox")
            if bb is None:
                raise doc.error(obj, "<bndbox> is missing")
            corners = [_number(doc, bb, t) for t in ("xmin", "ymin", "xmax", "ymax")]
            box = make_box(where, *corners, convert=coords.from_voc)
            occluded = (obj.findtext("occluded") or "0").strip()
            if occluded not in ("0", "1"):
                raise doc.error(obj.find("occluded"), f"{occluded!r} is not 0 or 1")
            attrs = _attributes(doc, obj)
            score = None
            if attrs.get("score"):
                try:
                    score = float(attrs["score"])
                except ValueError:
                    raise FormatError(f"{where}: score attribute {attrs['score']!r} is not a number") from None
                if not math.isfinite(score):
                    raise FormatError(f"{where}: score attribute {attrs['score']!r} is not a finite number")
            prov = parse_provenance(f"{where}: provenance attribute", attrs.get("provenance"), Provenance.IMPORTED)
            if prov is Provenance.ABSENT:
                raise FormatError(f"{where}: provenance attribute: an object with a box cannot be 'absent'")
            has_id = bool(attrs.get("track_id"))
            if with_ids is None:
                with_ids = has_id
            elif with_ids != has_id:
                raise FormatError(f"{where}: {'no' if not has_id else 'a'} track_id attribute, unlike the objects "
                                  "before it")
            if has_id:
                text = attrs["track_id"]
                if not (text.isascii() and text.isdigit() and int(text) <= MAX_TRACK_ID):
                    raise FormatError(f"{where}: track_id attribute {text!r} is not a whole number from 0 "
                                      f"to {MAX_TRACK_ID}")
                key: int | str = int(text)
            else:
                key = label
            entries = tracks.setdefault(key, {})
            if frame in entries:
                problem = (f"track {key} already has a box on this frame" if has_id else
                           f"a second {label!r} on this frame and no track_id attribute: nothing tells the "
                           "objects apart")
                raise FormatError(f"{where}: {problem}")
            entries[frame] = BoxEntry(box, prov, score, occluded == "1")
            labels.setdefault(key, label)
            all_labels.append(label)
    project = new_project(video, all_labels)
    keys = sorted(tracks, key=lambda k: (isinstance(k, str), k if isinstance(k, int) else 0,
                                         all_labels.index(k) if isinstance(k, str) else 0))
    ids = track_id_map([k for k in keys if isinstance(k, int)]) if with_ids else {k: n + 1 for n, k in enumerate(keys)}
    for key in keys:
        obj = add_object(project, ids[key], labels[key])
        obj.entries = dict(sorted(tracks[key].items()))
    return project
