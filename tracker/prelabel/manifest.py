"""The batch manifest: which videos to pre-label and where each one's keyframes are.

Two layouts, chosen by the file's suffix:

- CSV (``.csv``) with a header row naming the columns;
- JSON lines (``.jsonl``), one object per line (blank lines and lines starting with ``#`` are skipped).

Columns / keys: ``keyframes`` (required: an annotation file in any importable format, or a project
file), ``video`` (the video file or image folder; may be left out when ``keyframes`` is a project
file, whose own video is then used), ``format`` (the keyframes' import format; left out it is
``project`` for a memtrack project file, ``cvat`` for ``.xml`` and ``coco`` for other ``.json``
files, otherwise it must be given) and ``id`` (the name of the video's output folder; by default the
video's file name without its suffix). Relative paths are taken from the manifest's folder. Ids must
be unique, and are plain names (letters, digits, ``.``, ``_``, ``-``).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..json_input import JSONInputError, parse_json

__all__ = ["ManifestError", "VideoJob", "read_manifest"]

COLUMNS = ("id", "video", "keyframes", "format")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")


class ManifestError(Exception):
    """A manifest that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class VideoJob:
    """One video of the batch: its output folder name, video (None: the project file's own) and
    keyframe source with its import format."""

    id: str
    video: Path | None
    keyframes: Path
    keyframes_format: str

    def describe(self) -> dict:
        return {"id": self.id, "video": None if self.video is None else str(self.video),
                "keyframes": str(self.keyframes), "format": self.keyframes_format}


def _guess_format(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return "cvat"
    if suffix != ".json":
        return None
    try:
        head = path.open("rb").read(4096)
    except OSError:
        return "coco"  # the import reports the unreadable file
    return "project" if b'"memtrack-project"' in head else "coco"


def _rows(path: Path, text: str) -> list[tuple[int, dict]]:
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip() for f in (reader.fieldnames or [])]
        unknown = sorted(set(fields) - set(COLUMNS))
        if unknown:
            raise ManifestError(f"{path}: line 1: unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
        if "keyframes" not in fields:
            raise ManifestError(f"{path}: line 1: the header must name a 'keyframes' column")
        rows = []
        for row in reader:
            if None in row:
                raise ManifestError(f"{path}: line {reader.line_num}: more values than columns")
            values = {k.strip(): (v or "").strip() for k, v in row.items()}
            if any(values.values()):
                rows.append((reader.line_num, values))
        return rows
    if path.suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                value = parse_json(line)
            except JSONInputError as e:
                raise ManifestError(f"{path}: line {number}: {str(e).removeprefix('line 1: ')}") from None
            if not isinstance(value, dict):
                raise ManifestError(f"{path}: line {number}: expected a JSON object")
            unknown = sorted(set(value) - set(COLUMNS))
            if unknown:
                raise ManifestError(f"{path}: line {number}: unknown key(s) {', '.join(unknown)} "
                                    f"(known: {', '.join(COLUMNS)})")
            bad = [k for k, v in value.items() if v is not None and not isinstance(v, str)]
            if bad:
                raise ManifestError(f"{path}: line {number}: {bad[0]} must be a string")
            rows.append((number, {k: (v or "").strip() for k, v in value.items()}))
        return rows
    raise ManifestError(f"{path}: a manifest must be a .csv or .jsonl file")


def read_manifest(path: str | Path, import_formats: tuple[str, ...] | None = None) -> list[VideoJob]:
    """The manifest's videos in file order. ``import_formats`` (default: tracker.formats'
    IMPORT_FORMATS) are the accepted keyframe formats. Raises ManifestError."""
    if import_formats is None:
        from ..formats import IMPORT_FORMATS

        import_formats = tuple(IMPORT_FORMATS)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is not a column name
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"{path}: cannot read manifest: {getattr(e, 'strerror', None) or e}") from None
    base = path.resolve().parent
    jobs: list[VideoJob] = []
    seen: dict[str, int] = {}
    for number, row in _rows(path, text):
        where = f"{path}: line {number}"
        if not row.get("keyframes"):
            raise ManifestError(f"{where}: no keyframes file")
        keyframes = base / row["keyframes"]
        video = base / row["video"] if row.get("video") else None
        fmt = row.get("format") or _guess_format(keyframes)
        if fmt is None:
            raise ManifestError(f"{where}: cannot tell the format of {row['keyframes']}; give a format "
                                f"column ({', '.join(import_formats)})")
        if fmt not in import_formats:
            raise ManifestError(f"{where}: unknown keyframe format {fmt!r} (known: {', '.join(import_formats)})")
        if video is None and fmt != "project":
            raise ManifestError(f"{where}: no video (only a project file's keyframes may leave it out)")
        job_id = row.get("id") or (video.stem if video is not None else keyframes.stem)
        if not _ID.fullmatch(job_id):
            raise ManifestError(f"{where}: id {job_id!r} is not a plain name (letters, digits, '.', '_', '-'); "
                                "give an id column")
        if job_id in seen:
            raise ManifestError(f"{where}: id {job_id!r} is already used on line {seen[job_id]}; give an id column")
        seen[job_id] = number
        jobs.append(VideoJob(job_id, video, keyframes, fmt))
    if not jobs:
        raise ManifestError(f"{path}: the manifest lists no videos")
    return jobs
