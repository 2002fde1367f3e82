"""Import and export of annotations in the formats detection and tracking pipelines use.

The whole API (the GUI's File > Export / Import and the ``export`` / ``import`` commands use it)::

    from tracker.formats import EXPORT_FORMATS, IMPORT_FORMATS, FormatError, export_project, import_annotations

    EXPORT_FORMATS   # {"mot": "MOTChallenge: ...", "cvat": ..., ...}: name -> one-line description
    IMPORT_FORMATS   # the same for the formats that can be read back
    paths = export_project(project, "mot", "out/clip_mot", video_path="clip.mp4",
                           write_frames=False, progress=lambda done, total: ..., notes=print)
    project = import_annotations("gt/gt.txt", "mot", "clip.mp4")

Every format's coordinate convention is in :mod:`tracker.formats.coords`; each format's module
docstring describes its layout and what it keeps (confidence, provenance, absent marks).

Guarantees:

* Atomic: single-file formats are written to a temporary file and renamed; folder formats are
  written into a private folder beside the target and renamed into place when complete. An export
  that fails midway leaves no partial output (and an overwritten target keeps its old content).
* Inside the frame: every exported box is clipped to the frame first (:mod:`.clipping`); a box
  with no part inside the frame is exported as an absent mark (or not at all where the format has
  none), with a note saying how many. Only the project file and the review video keep boxes as
  they are.
* Real file names: a project on a frame folder is exported with its images' own names (COCO
  ``file_name``, VOC ``<filename>``, YOLO / VOC label files); see :mod:`.frame_names`.
* Nothing dropped silently: every exporter counts the boxes it wrote and the export fails unless
  that equals the number of (clipped) boxes in the project; per-frame formats write a file or line
  for every frame.
* Bad input raises :class:`FormatError` naming the file and the line (text), element and line
  (XML) or JSON path, as one line of text. XML entity declarations, over-deep JSON and numbers of
  thousands of digits are refused, never expanded or parsed at length.
* Checked before any work: the target can be written; labels and the video path hold nothing that
  would break a line- or XML-based file; the project's frame count is one the video has.
* Recoverable: a folder replacement killed between its two renames is rolled back by the next
  export to the same target, and what killed runs left beside it is removed (tracker.atomic).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Callable

from ..atomic import atomic_write_chunks, clean_stale_siblings, recover_interrupted_swap
from ..project import MAX_FRAMES, Project, ProjectError, label_problem, project_from_dict, project_to_dict, text_problem
from ..video import frames_in
from . import coco, csv_table, cvat, got10k, labelstudio, mot, otb, project_file, video_overlay, voc, yolo
from . import labelstudio_import, voc_import, yolo_import
from .clipping import clip_project
from .export_context import ExportContext
from .formatting import box_count
from .staging import StagedDir, check_target, publish_mode
from .labelstudio_media import check_media_url
from .errors import FormatError
from .reading import _CHECKPOINT

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "FRAME_FORMATS",
    "FOLDER_FORMATS",
    "FormatError",
    "export_project",
    "import_annotations",
]

_EXPORTERS: dict[str, ModuleType] = {
    "mot": mot, "cvat": cvat, "coco": coco, "yolo": yolo, "voc": voc, "otb": otb, "got10k": got10k,
    "labelstudio": labelstudio, "csv": csv_table, "project": project_file, "video": video_overlay,
}
_IMPORTERS: dict[str, ModuleType] = {
    "mot": mot, "cvat": cvat, "coco": coco, "yolo": yolo_import, "voc": voc_import, "otb": otb, "got10k": got10k,
    "labelstudio": labelstudio_import, "project": project_file,
}

#: Export format name -> one-line description.
EXPORT_FORMATS: dict[str, str] = {name: m.DESCRIPTION for name, m in _EXPORTERS.items()}
#: Import format name -> one-line description.
IMPORT_FORMATS: dict[str, str] = {name: m.DESCRIPTION for name, m in _IMPORTERS.items()}
#: Formats that can write the video's frames next to the labels (``write_frames``): as images (for
#: coco in a folder beside the JSON), and for labelstudio as a video browsers play.
FRAME_FORMATS = ("mot", "yolo", "voc", "otb", "coco", "labelstudio")
#: Formats whose output is a folder (the others write one file).
FOLDER_FORMATS = tuple(name for name, m in _EXPORTERS.items() if m.KIND == "dir")

ProgressFn = Callable[[int, int], None]
NoteFn = Callable[[str], None]


def _exporter(fmt: str) -> ModuleType:
    if fmt not in _EXPORTERS:
        raise FormatError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    return _EXPORTERS[fmt]


def _validate(project: Project, fmt: str, video_path: Path | None) -> None:
    """Refuse, before anything is written, a project no format could hold faithfully: entries
    outside the video, labels or a video path that would break line- or XML-based files, and a
    frame count larger than the video's (every per-frame format writes that many records)."""
    n = project.video.frame_count
    for obj, frame, _ in project.iter_entries():
        if frame < 0 or (n and frame >= n):
            raise FormatError(f"object {obj.track_id} ({obj.label}) has an entry on frame {frame}, outside "
                              f"the video's {n} frames: cannot export {fmt}")
    labels = list(project.labels) + [o.label for o in project.objects.values()]
    for label in dict.fromkeys(labels):
        problem = label_problem(label)
        if problem is not None:
            raise FormatError(f"label {problem}: cannot export {fmt}")
    problem = text_problem(project.video.path)
    if problem is not None:
        raise FormatError(f"video path {project.video.path!r} {problem}: cannot export {fmt}")
    if n > MAX_FRAMES:
        raise FormatError(f"the project says the video has {n} frames (at most {MAX_FRAMES}): cannot export {fmt}")
    path = video_path if video_path is not None else Path(project.video.path)
    actual = frames_in(path)
    if actual is not None and n > actual + max(10, actual // 20):
        raise FormatError(f"{path}: the project says the video has {n} frames but it has {actual}: "
                          f"damaged project or wrong video; cannot export {fmt}")


def export_project(
    project: Project,
    fmt: str,
    out_path: str | os.PathLike,
    *,
    video_path: str | os.PathLike | None = None,
    write_frames: bool = False,
    progress: ProgressFn | None = None,
    track_ids: bool = False,
    overwrite: bool = False,
    media_url: str | None = None,
    notes: NoteFn | None = None,
) -> list[Path]:
    """Write ``project`` in format ``fmt`` (a key of EXPORT_FORMATS) to ``out_path``.

    ``out_path`` is a folder for the FOLDER_FORMATS and a file for the others. An existing target
    is an error unless ``overwrite`` (an existing empty folder is fine). ``video_path`` is the
    video to read frames from (``write_frames``, ``video``); by default the project's own
    ``video.path``. ``write_frames`` writes the frames as images next to the labels
    (FRAME_FORMATS only; a frame folder's images are copied under their own names, a video's frames
    become JPEG files; coco writes them into ``<folder or video name>/`` beside the JSON, which its
    ``file_name``s are relative to; labelstudio writes a video browsers play instead). ``track_ids`` adds the
    track id as a sixth column to YOLO labels. ``media_url`` (labelstudio only) is the URL, or a
    prefix ending in ``/`` or ``=``, under which the video is served. ``progress(done, total)`` is
    called as the work advances; ``notes(text)`` gets one-line remarks that are not errors (a
    fallback codec, how to serve the video).

    Returns the paths written (for folder formats, every file inside the folder). Raises
    FormatError with a one-line message; on any error nothing is left at ``out_path``.
    """
    module = _exporter(fmt)
    out = Path(out_path)
    try:  # what a killed export to the same target left: restore a half-done swap, drop the rest
        recover_interrupted_swap(out)
        clean_stale_siblings(out)
    except OSError as e:
        raise FormatError(f"{out}: cannot restore what an interrupted export left: {e.strerror or e}") from e
    if write_frames and fmt not in FRAME_FORMATS:
        raise FormatError(f"{fmt} cannot write frames (formats that can: {', '.join(FRAME_FORMATS)})")
    if track_ids and fmt != "yolo":
        raise FormatError(f"the track id column is a YOLO option, not one of {fmt}")
    if media_url is not None:
        if fmt != "labelstudio":
            raise FormatError(f"the media URL is a Label Studio option, not one of {fmt}")
        check_media_url(media_url)
    _validate(project, fmt, Path(video_path) if video_path is not None else None)
    cut: frozenset[tuple[int, int]] = frozenset()
    if getattr(module, "CLIPS", True):
        clipped = clip_project(project)
        project, cut = clipped.project, clipped.cut
        if clipped.outside and notes is not None:
            notes(f"{clipped.outside} box{'es' if clipped.outside != 1 else ''} with no part inside the frame "
                  "exported as absent (not written where the format has no absent mark)")
    ctx = ExportContext(project, out, Path(video_path) if video_path is not None else None,
                        write_frames, track_ids, progress, media_url, notes, cut)
    expected = box_count(project)
    kind = module.KIND
    check_target(out, "dir" if kind == "dir" else "file", overwrite)
    frames_out = module.frames_target(ctx) if write_frames and kind == "file" else None
    if frames_out is not None:
        check_target(frames_out, "dir", overwrite)

    def check_count(written: int) -> None:
        if written != expected:  # an exporter bug must never pass as a valid export
            raise FormatError(f"{out}: {fmt} export wrote {written} boxes but the project has {expected}; "
                              "nothing was written")

    if kind == "dir":
        try:
            with StagedDir(out, overwrite) as stage:
                rel, written = module.export(ctx, stage.path)
                check_count(written)
                stage.commit()
        except OSError as e:  # a full disk, a folder made read-only meanwhile: the stage is gone
            raise FormatError(f"{out}: cannot write export: {e.strerror or e}") from e
        return [out / r for r in rel]
    if kind == "file":
        data, written = module.export(ctx)
        check_count(written)
        frames: list[Path] = []
        if frames_out is not None:  # the frames first: the labels are published only with them
            try:
                with StagedDir(frames_out, overwrite) as stage:
                    frames = [frames_out / r for r in module.write_frames(ctx, stage.path)]
                    stage.commit()
            except OSError as e:
                raise FormatError(f"{frames_out}: cannot write frames: {e.strerror or e}") from e
        try:
            atomic_write_chunks(out, (data,) if isinstance(data, bytes) else data)
            publish_mode(out)
        except BaseException as e:
            if frames_out is not None:  # no frames without their labels
                shutil.rmtree(frames_out, ignore_errors=True)
            if isinstance(e, OSError):
                raise FormatError(f"{out}: cannot write: {e.strerror or e}") from e
            raise
        return [out, *frames]
    # a video: OpenCV writes a real file, so write it under a temporary name beside the target; the
    # exporter checks every frame and reads the file back, so the rename never replaces a good video
    # with a broken one
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".partial{out.suffix or '.mp4'}",
                                        dir=out.parent)
        os.close(fd)
    except OSError as e:
        raise FormatError(f"{out}: cannot write: {e.strerror or e}") from e
    tmp = Path(tmp_name)
    try:
        _, written = module.export(ctx, tmp)
        check_count(written)
        publish_mode(tmp)
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise FormatError(f"{out}: cannot write: {e.strerror or e}") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return [out]


def import_annotations(
    path: str | os.PathLike, fmt: str, video_path: str | os.PathLike | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> Project:
    """Read annotations in format ``fmt`` (a key of IMPORT_FORMATS) into a new Project.

    ``video_path`` is the video (or image folder) the annotations belong to: it gives the
    project's VideoRef (frame count, size, fps), and the file is checked against it (frames past
    the end, a different frame size). It is required except for ``project``, where it re-points
    the project at another copy of its video. Imported boxes get provenance ``imported`` unless
    the file records ours. Raises FormatError naming the file and the line / element.

    ``checkpoint()`` is called between the files, lines, boxes or annotations read (in this
    thread); whatever it raises stops the import and comes out of this function (a window's
    Cancel), and no project is returned.
    """
    if fmt not in _IMPORTERS:
        raise FormatError(f"unknown import format {fmt!r} (known: {', '.join(IMPORT_FORMATS)})")
    token = _CHECKPOINT.set(checkpoint)
    try:
        project = _IMPORTERS[fmt].load(Path(path), video_path)
    finally:
        _CHECKPOINT.reset(token)
    if not project.labels:
        project.labels = ["object"]
    try:  # the imported project must be one the program can save and open again
        project_from_dict(project_to_dict(project), path)
    except ProjectError as e:
        raise FormatError(str(e)) from None
    return project
