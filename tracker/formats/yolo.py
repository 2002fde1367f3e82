"""YOLO (Ultralytics layout): one label file per frame, normalised centre boxes.

Export layout::

    OUT/data.yaml            path: ., train: images, val: images, names: {0: car, ...}
    OUT/classes.txt          class names, one a line (line n = class n - 1: the darknet "classes file")
    OUT/labels/0001.txt      "class cx cy w h" per box (plus " track_id" with track_ids=True)
    OUT/images/0001.jpg      the frames, with write_frames

One label file per video frame, empty when the frame has no box, so no frame is lost. Label files
are named like the images (:mod:`.frame_names`): a frame folder's own names (``0001.jpg`` ->
``labels/0001.txt``, the image copied to ``images/0001.jpg``), for a video the 0-based frame number
(``000000``). Values are normalised by the frame size and clipped to the frame (YOLO values must
lie in [0, 1]); six decimals, never exponents. A box with no part inside the frame is not written
(formats.clipping). Confidence, provenance and the occluded flag have no column in YOLO labels.

Import (:mod:`.yolo_import`) reads such a folder back.
"""
from __future__ import annotations

from pathlib import Path

from . import coords
from .errors import FormatError
from .export_context import ExportContext
from .formatting import format_context_error

KIND = "dir"
DESCRIPTION = "YOLO: labels/NNNNNN.txt per frame (class cx cy w h, normalised), data.yaml, classes.txt"


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def export(ctx: ExportContext, stage: Path) -> tuple[list[Path], int]:
    width, height = ctx.frame_size("YOLO")
    n_frames = ctx.frame_count
    classes = ctx.label_index()
    names = "".join(f"  {i}: {_yaml_str(n)}\n" for n, i in classes.items())
    files = {
        Path("data.yaml"): f"path: .\ntrain: images\nval: images\nnc: {len(classes)}\nnames:\n{names}",
        Path("classes.txt"): "".join(n + "\n" for n in classes),
    }
    for rel, text in files.items():
        (stage / rel).write_text(text, encoding="utf-8")
    written = list(files)
    (stage / "labels").mkdir()
    by_frame = ctx.boxes_by_frame()
    count = 0

    def write_labels(frame: int) -> list[Path]:
        nonlocal count
        lines = []
        for obj, entry in by_frame.get(frame, []):
            try:
                cx, cy, w, h = coords.to_yolo(entry.box, width, height)
            except coords.OutsideFrame as e:
                raise FormatError(format_context_error(str(ctx.out_path), obj, frame, f"{e}; YOLO cannot store it")) from None
            line = f"{classes[obj.label]} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"
            if ctx.track_ids:
                line += f" {obj.track_id}"
            lines.append(line + "\n")
        rel = Path("labels") / f"{ctx.names.stem(frame)}.txt"
        (stage / rel).write_text("".join(lines), encoding="utf-8")
        count += len(lines)
        return [rel]

    image = (lambda frame: Path("images") / ctx.names.name(frame)) if ctx.write_frames else None
    written += ctx.write_per_frame(stage, n_frames, write_labels, image)
    return written, count
