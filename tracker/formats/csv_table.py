"""CSV table: one row per (frame, object) entry, with a header row.

Columns: ``frame,track_id,label,x,y,w,h,provenance,score,occluded``. Frames are 0-based and boxes
are the program's own 0-based float pixels, clipped to the frame (formats.clipping). Absent marks
are rows with empty ``x,y,w,h`` and provenance ``absent``; ``score`` is empty when a box has none;
``occluded`` is 1 for a box flagged occluded, else 0. Rows are sorted by frame, then track id.
Export only (the project file is the lossless format to read back).

A label that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a leading ``'``, which spreadsheets show as text.
"""
from __future__ import annotations

import csv
import io

from .export_context import ExportContext
from .formatting import num

KIND = "file"
DESCRIPTION = "CSV: frame,track_id,label,x,y,w,h,provenance,score,occluded (0-based frames and pixels)"
HEADER = ["frame", "track_id", "label", "x", "y", "w", "h", "provenance", "score", "occluded"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """Text as a cell that no spreadsheet evaluates (numbers are written by ``num``, never here)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export(ctx: ExportContext) -> tuple[bytes, int]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    rows = sorted(ctx.project.iter_entries(), key=lambda r: (r[1], r[0].track_id))
    count = 0
    for obj, frame, entry in rows:
        box = ["", "", "", ""] if entry.box is None else [num(v) for v in entry.box.as_tuple()]
        score = "" if entry.score is None else num(float(entry.score), 4)
        writer.writerow([frame, obj.track_id, text_cell(obj.label), *box, entry.provenance.value, score,
                         int(entry.occluded)])
        count += entry.box is not None
    ctx.report(1, 1)
    return buf.getvalue().encode("utf-8"), count
