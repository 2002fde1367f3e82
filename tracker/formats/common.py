"""Shared pieces of the exporters and importers: the export context, staged (all-or-nothing)
output folders, number formatting, readers that report lines, and track-id mapping."""
from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable
from xml.parsers import expat

import numpy as np

from ..atomic import current_umask, output_problem, temp_prefix
from ..data_files import natural_key  # noqa: F401 - the one natural_key, re-exported for the formats
from ..json_input import JSONInputError, parse_json
from ..project import BoxEntry, Project, Provenance, TrackObject, VideoRef
from ..types import Box, BoxError
from .errors import FormatError
from .frame_names import FrameNames, frame_names

ProgressFn = Callable[[int, int], None]


# ----------------------------------------------------------------------------- export context


@dataclass
class ExportContext:
    """What an exporter needs besides the project."""

    project: Project
    out_path: Path  # the final output path (file or folder); exporters write elsewhere first
    video_path: Path | None = None
    write_frames: bool = False
    track_ids: bool = False
    progress: ProgressFn | None = None
    media_url: str | None = None  # Label Studio: the URL or prefix the video is served under
    notes: Callable[[str], None] | None = None  # one-line remarks for the user (not errors)
    cut: frozenset[tuple[int, int]] = frozenset()  # (track id, frame) of clipped boxes

    @property
    def source_path(self) -> Path:
        """The video file or frame folder the frames come from."""
        return self.video_path if self.video_path is not None else Path(self.project.video.path)

    @cached_property
    def names(self) -> FrameNames:
        """The image file name of every frame (:mod:`.frame_names`)."""
        return frame_names(self.source_path, self.frame_count)

    def was_cut(self, obj: TrackObject, frame: int) -> bool:
        """Whether the object's box on ``frame`` stuck out of the frame and was clipped (:mod:`.clipping`)."""
        return (obj.track_id, frame) in self.cut

    @property
    def frame_count(self) -> int:
        """Frames of the video; when the project does not know, one past its last annotated frame."""
        n = self.project.video.frame_count
        if n > 0:
            return n
        return max((f + 1 for o in self.project.objects.values() for f in o.entries), default=0)

    def frame_size(self, fmt: str) -> tuple[int, int]:
        v = self.project.video
        if v.width <= 0 or v.height <= 0:
            raise FormatError(
                f"{self.out_path}: the project does not record the video's size, which {fmt} needs; "
                "open the video in the project first"
            )
        return v.width, v.height

    def note(self, text: str) -> None:
        """Tell the user something about the export that is not an error (one line)."""
        if self.notes is not None:
            self.notes(text)

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def objects(self) -> list[TrackObject]:
        return [self.project.objects[k] for k in sorted(self.project.objects)]

    def boxes_by_frame(self) -> dict[int, list[tuple[TrackObject, BoxEntry]]]:
        """Frame -> [(object, entry)] for entries that hold a box, objects in track-id order."""
        out: dict[int, list[tuple[TrackObject, BoxEntry]]] = {}
        for obj, frame, entry in self.project.iter_entries():
            if entry.box is not None:
                out.setdefault(frame, []).append((obj, entry))
        return out

    def label_index(self) -> dict[str, int]:
        """Label -> 0-based class index, in the project's label order (object labels included)."""
        labels = list(self.project.labels)
        for obj in self.objects():
            if obj.label not in labels:
                labels.append(obj.label)
        return {name: i for i, name in enumerate(labels)}

    def write_per_frame(self, stage: Path, n_frames: int, write_annotation: Callable[[int], list[Path]],
                        image_relpath: Callable[[int], Path] | None) -> list[Path]:
        """For every frame: ``write_annotation(frame)`` (it returns the relative paths it wrote), then, when
        ``image_relpath`` is given, the frame as an image at ``stage / image_relpath(frame)``; progress is
        reported per frame. Returns every relative path written, in order."""
        reader = self.frame_reader() if image_relpath is not None else None
        written: list[Path] = []
        try:
            for frame in range(n_frames):
                written += write_annotation(frame)
                if reader is not None:
                    rel = image_relpath(frame)
                    reader.write(frame, stage / rel)
                    written.append(rel)
                self.report(frame + 1, n_frames)
        finally:
            if reader is not None:
                reader.close()
        return written

    def write_all_frames(self, stage: Path, n_frames: int, relpath: Callable[[int], Path]) -> list[Path]:
        """Write every frame as an image at ``stage / relpath(frame)``, reporting progress per frame;
        returns the relative paths written."""
        return self.write_per_frame(stage, n_frames, lambda frame: [], relpath)

    def frame_reader(self) -> "FrameWriter":
        return FrameWriter(self)


class FrameWriter:
    """Reads the project's video frame by frame and writes frames out as JPEG files."""

    def __init__(self, ctx: ExportContext):
        from ..video import VideoError, open_source

        path = ctx.source_path
        try:
            self.source = open_source(path)
        except VideoError as e:
            raise FormatError(f"cannot write frames: {e}") from e
        v = ctx.project.video
        if v.width and v.height and (self.source.width, self.source.height) != (v.width, v.height):
            raise FormatError(
                f"{path}: video is {self.source.width}x{self.source.height} but the project's boxes "
                f"are for {v.width}x{v.height}"
            )
        if len(self.source) < ctx.frame_count:
            raise FormatError(
                f"{path}: video has {len(self.source)} frames but the project has {ctx.frame_count}"
            )

    def write(self, frame: int, target: Path) -> None:
        """Frame ``frame`` at ``target``: a frame folder's own file, copied unchanged, when ``target``
        has its extension; otherwise the frame encoded as JPEG. The frame is decoded either way, so a
        damaged image stops the export."""
        import cv2

        from ..video import ImageFolderSource, VideoError

        try:
            rgb = self.source.read(frame)
        except VideoError as e:
            raise FormatError(str(e)) from e
        if isinstance(self.source, ImageFolderSource):
            original = self.source.files[frame]
            if original.suffix.lower() == target.suffix.lower():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(original, target)
                return
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
        if not ok:
            raise FormatError(f"{target}: cannot encode frame {frame} as JPEG")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(np.asarray(buf).tobytes())

    def close(self) -> None:
        self.source.close()


# ----------------------------------------------------------------------------- staged output


def check_target(out: Path, kind: str, overwrite: bool) -> None:
    """Fail early (before any work) when the output is in the way or cannot be written."""
    if not out.exists():
        _check_writable(out)
        return
    if kind == "dir":
        if not out.is_dir():
            raise FormatError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not overwrite:
            raise FormatError(f"{out}: folder exists and is not empty (choose another or overwrite)")
    else:
        if out.is_dir():
            raise FormatError(f"{out}: is a folder; give a file name")
        if not overwrite:
            raise FormatError(f"{out}: file exists (choose another name or overwrite)")
    _check_writable(out)


def _check_writable(out: Path) -> None:
    problem = output_problem(out, overwrite=True, kind="dir" if out.is_dir() else "file")
    if problem is not None:
        raise FormatError(f"{out}: {problem}")


class StagedDir:
    """A private folder beside ``out`` that becomes ``out`` in one rename when the export succeeds.

    An export that fails midway removes the staging folder, so nothing half-written is left; the
    previous content of ``out`` (when overwriting) stays untouched until the new one is complete.
    """

    def __init__(self, out: Path, overwrite: bool):
        self.out = out
        self.overwrite = overwrite
        out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".partial", dir=out.parent))

    def __enter__(self) -> "StagedDir":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        publish_mode(self.path)
        _flush_tree(self.path)
        out = self.out
        old: Path | None = None
        try:
            if out.exists():
                check_target(out, "dir", self.overwrite)
                if any(out.iterdir()):
                    # a crash between the two renames leaves the old content here; the next export
                    # to the same target puts it back (atomic.recover_interrupted_swap)
                    old = Path(tempfile.mkdtemp(prefix=temp_prefix(out), suffix=".old", dir=out.parent))
                    os.rmdir(old)
                    os.rename(out, old)
                else:
                    os.rmdir(out)
            try:
                os.rename(self.path, out)
            except OSError:
                if old is not None:
                    os.rename(old, out)
                raise
        except OSError as e:
            shutil.rmtree(self.path, ignore_errors=True)
            raise FormatError(f"{out}: cannot write export: {e.strerror or e}") from e
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def publish_mode(path: Path) -> None:
    """Give a written file or folder tree the usual permissions (temp files are created private)."""
    mask = current_umask()
    if path.is_dir():
        for p in [path, *path.rglob("*")]:
            os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)
    else:
        os.chmod(path, 0o666 & ~mask)


def _flush_tree(root: Path) -> None:
    """Make the staged files durable before the rename that publishes them."""
    if hasattr(os, "sync"):
        os.sync()
        return
    for p in root.rglob("*"):  # pragma: no cover - Windows
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())


# ----------------------------------------------------------------------------- formatting


def num(value: float, decimals: int = 3) -> str:
    """A number as short text: ``12``, ``12.5``, ``12.346`` (at most ``decimals`` places)."""
    if not math.isfinite(value):
        return "NaN"
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def box_count(project: Project) -> int:
    return sum(1 for o in project.objects.values() for e in o.entries.values() if e.box is not None)


def format_context_error(where: str, obj: TrackObject, frame: int, problem: str) -> str:
    return f"{where}: object {obj.track_id} ({obj.label}) frame {frame}: {problem}"


# ----------------------------------------------------------------------------- reading


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FormatError(f"{path}: is a folder, expected a file") from None
    except OSError as e:
        raise FormatError(f"{path}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from e


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return parse_json(text)
    except JSONInputError as e:
        raise FormatError(f"{path}: {e}") from None


_SPLIT = re.compile(r"[,\s]+")


def split_numbers(path: Path, lineno: int, line: str, minimum: int, maximum: int) -> list[float]:
    """The numbers on one line of a comma, tab or space separated file; FormatError naming the line."""
    parts = [p for p in _SPLIT.split(line.strip()) if p]
    if not minimum <= len(parts) <= maximum:
        want = str(minimum) if minimum == maximum else f"{minimum} to {maximum}"
        raise FormatError(f"{path}: line {lineno}: expected {want} numbers, found {len(parts)}: {line.strip()!r}")
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError:
            raise FormatError(f"{path}: line {lineno}: {p!r} is not a number") from None
    return values


class _EntityDeclared(Exception):
    """Raised from the parser callback when the document declares an entity."""

    def __init__(self, name: str, line: int):
        super().__init__(name)
        self.name, self.line = name, line


class LinedXML:
    """An XML tree whose elements know the line they start on (for error messages).

    Hostile files are refused, not expanded: any DTD entity declaration (internal ones are the
    "billion laughs" bomb, external ones read other files) stops the parse with one line; external
    and parameter entities are never read. Element text is gathered in a list and joined once,
    so a long text costs linear time however the parser chunks it.
    """

    def __init__(self, path: Path):
        self.path = path
        self.lines: dict[ET.Element, int] = {}
        self.root = self._parse(path)

    def _parse(self, path: Path) -> ET.Element:
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        stack: list[ET.Element] = []
        root: list[ET.Element] = []
        # the text chunks of the innermost element while it has no child (None once it has one)
        chunks: list[list[str] | None] = []

        def close_text() -> None:
            if chunks and chunks[-1] is not None:
                if chunks[-1]:
                    stack[-1].text = "".join(chunks[-1])
                chunks[-1] = None

        def start(tag: str, attrs: dict[str, str]) -> None:
            close_text()
            el = ET.Element(tag, attrs)
            self.lines[el] = parser.CurrentLineNumber
            if stack:
                stack[-1].append(el)
            else:
                root.append(el)
            stack.append(el)
            chunks.append([])

        def end(tag: str) -> None:
            close_text()
            stack.pop()
            chunks.pop()

        def chars(data: str) -> None:
            if chunks and chunks[-1] is not None:
                chunks[-1].append(data)

        def entity_declared(name, *_args) -> None:
            raise _EntityDeclared(name, parser.CurrentLineNumber)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        parser.EntityDeclHandler = entity_declared
        parser.UnparsedEntityDeclHandler = entity_declared
        try:
            with open(path, "rb") as f:
                parser.ParseFile(f)
        except FileNotFoundError:
            raise FormatError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise FormatError(f"{path}: is a folder, expected an XML file") from None
        except OSError as e:
            raise FormatError(f"{path}: cannot read: {e.strerror or e}") from e
        except _EntityDeclared as e:
            raise FormatError(f"{path}: line {e.line}: declares the entity {e.name!r}; XML files with "
                              "entity declarations are refused (they can expand without bound)") from None
        except expat.ExpatError as e:
            raise FormatError(f"{path}: line {e.lineno}: not valid XML ({expat.ErrorString(e.code)})") from e
        except LookupError as e:  # the XML declaration names an encoding Python does not know
            raise FormatError(f"{path}: line 1: not valid XML ({e})") from None
        if not root:
            raise FormatError(f"{path}: holds no XML element")
        return root[0]

    def where(self, el: ET.Element) -> str:
        return f"{self.path}: line {self.lines.get(el, 0)}: <{el.tag}>"

    def error(self, el: ET.Element, problem: str) -> FormatError:
        return FormatError(f"{self.where(el)}: {problem}")

    def attr_number(self, el: ET.Element, name: str) -> float:
        if name not in el.attrib:
            raise self.error(el, f"attribute {name!r} is missing")
        try:
            value = float(el.attrib[name])
        except ValueError:
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a finite number")
        return value

    def attr_int(self, el: ET.Element, name: str, default: int | None = None) -> int:
        if name not in el.attrib:
            if default is not None:
                return default
            raise self.error(el, f"attribute {name!r} is missing")
        try:
            return int(el.attrib[name])
        except ValueError:
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a whole number") from None


# ----------------------------------------------------------------------------- building projects


def video_ref(video_path: str | os.PathLike | None, fmt: str) -> VideoRef:
    """The VideoRef for an imported project, from the video (or image folder) itself."""
    from ..video import VideoError, open_source

    if video_path is None:
        raise FormatError(f"importing {fmt} needs the video (or image folder) the annotations belong to")
    try:
        with open_source(video_path) as src:
            return VideoRef(str(Path(video_path).resolve()), len(src), src.width, src.height, float(src.fps))
    except VideoError as e:
        raise FormatError(str(e)) from e


def track_id_map(raw_ids: list[int]) -> dict[int, int]:
    """File track ids -> project track ids (positive). Positive ids are kept; otherwise (CVAT and
    others count from 0) every id is shifted so the smallest becomes 1."""
    ids = sorted(set(raw_ids))
    if not ids:
        return {}
    shift = 0 if ids[0] >= 1 else 1 - ids[0]
    return {i: i + shift for i in ids}


def majority(values: list[str], default: str) -> str:
    if not values:
        return default
    return Counter(values).most_common(1)[0][0]


def make_box(where: str, *values: float, convert: Callable[..., Box]) -> Box:
    try:
        return convert(*values)
    except BoxError as e:
        raise FormatError(f"{where}: {e}") from None


def check_frame(where: str, frame: int, video: VideoRef, number_shown: int | None = None) -> None:
    """FormatError unless ``frame`` (0-based) lies in the video."""
    shown = frame if number_shown is None else number_shown
    if frame < 0:
        raise FormatError(f"{where}: frame {shown} is before the first frame")
    if video.frame_count and frame >= video.frame_count:
        raise FormatError(
            f"{where}: frame {shown} is past the end of the video ({video.frame_count} frames): "
            "wrong --video?"
        )


def new_project(video: VideoRef, labels: list[str]) -> Project:
    return Project(video=video, labels=list(dict.fromkeys(labels)))


def add_object(project: Project, track_id: int, label: str) -> TrackObject:
    from ..project import DEFAULT_COLORS

    if label not in project.labels:
        project.labels.append(label)
    obj = TrackObject(track_id, label, DEFAULT_COLORS[(track_id - 1) % len(DEFAULT_COLORS)])
    project.objects[track_id] = obj
    return obj


def parse_provenance(where: str, value: Any, default: Provenance) -> Provenance:
    if value is None or value == "":
        return default
    try:
        return Provenance(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Provenance)
        raise FormatError(f"{where}: unknown provenance {value!r} (expected one of {allowed})") from None

