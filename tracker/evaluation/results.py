"""Evaluation outputs: per-sequence box files, results.json and the terminal table. Every file is written
atomically (temp file + rename), so an interrupted run leaves whole files or none.

``DIR/<tracker>/<sequence>.txt``: one line per frame, ``x,y,w,h`` in 0-based float pixels (top-left corner,
the code's Box convention; add 1 to x and y for the OTB toolkit's 1-based files). Frame 1 holds the
ground-truth box the tracker was initialised with. ``nan,nan,nan,nan`` marks a frame without a prediction
(restart mode, between a failure and the re-initialisation).

``DIR/results.json``: ``{tracker: {sequence: {"auc", "precision", "norm_precision", "miou", "fps",
"failures"}}}`` plus a ``"mean"`` entry per tracker (see metrics.mean_metrics: per-sequence means, fps over
all frames, failures summed). ``failures`` is null unless restart mode ran; a number that could not be
measured (fps of an instantaneous tracker) is null.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..atomic import atomic_write_text
from ..types import Box
from .metrics import PRECISION_AT, SequenceMetrics
from .runner import Evaluation, SequenceResult

__all__ = ["MEAN_KEY", "boxes_text", "write_sequence_files", "results_json", "write_results_json", "format_table"]

MEAN_KEY = "mean"


def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def boxes_text(boxes: list[Box | None]) -> str:
    """One ``x,y,w,h`` line per frame (0-based), ``nan,nan,nan,nan`` for a frame without a box."""
    lines = []
    for b in boxes:
        lines.append("nan,nan,nan,nan" if b is None else ",".join(_num(v) for v in b.as_tuple()))
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)


def write_sequence_files(out_dir: str | Path, result: SequenceResult) -> list[Path]:
    """Write ``out_dir/<tracker>/<sequence>.txt`` for every tracker that ran the whole sequence."""
    written = []
    for tracker, run in result.runs.items():
        if run.error is not None:
            continue
        path = Path(out_dir) / _safe(tracker) / f"{_safe(result.sequence.name)}.txt"
        atomic_write_text(path, boxes_text(run.boxes))
        written.append(path)
    return written


def results_json(evaluation: Evaluation) -> dict:
    """The results.json document: per tracker, per sequence scores and the "mean" pseudo-sequence."""
    doc: dict[str, dict] = {}
    for tracker in evaluation.trackers:
        per_seq = {name: m.to_json() for name, m in evaluation.metrics(tracker).items()}
        mean = evaluation.mean(tracker)
        if mean is not None:
            per_seq[MEAN_KEY] = mean.to_json()
        doc[tracker] = per_seq
    return doc


def write_results_json(out_dir: str | Path, evaluation: Evaluation) -> Path:
    path = Path(out_dir) / "results.json"
    atomic_write_text(path, json.dumps(results_json(evaluation), indent=2) + "\n")
    return path


def _fmt(value: float | int | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "fps":
        return f"{value:.1f}"
    if kind == "int":
        return str(value)
    return f"{value:.3f}"


_COLUMNS = [
    ("AUC", "auc", "score"),
    (f"Prec@{PRECISION_AT:g}", "precision", "score"),
    ("NormPrec", "norm_precision", "score"),
    ("mIoU", "miou", "score"),
    ("FPS", "fps", "fps"),
    ("Fail", "failures", "int"),
]


def _row(label: str, m: SequenceMetrics) -> list[str]:
    return [label] + [_fmt(getattr(m, attr), kind) for _, attr, kind in _COLUMNS]


def format_table(evaluation: Evaluation, verbose: bool = False) -> str:
    """A plain-text table: one row per tracker (mean over sequences); with ``verbose`` one block per
    sequence first."""
    header = ["Tracker"] + [c[0] for c in _COLUMNS]
    rows: list[list[str]] = []
    if verbose:
        for result in evaluation.results:
            for tracker in evaluation.trackers:
                if tracker in result.metrics:
                    rows.append(_row(f"{result.sequence.name} / {tracker}", result.metrics[tracker]))
                else:
                    rows.append([f"{result.sequence.name} / {tracker}", "failed"] + [""] * (len(_COLUMNS) - 1))
            rows.append([])
    count = len(evaluation.results)
    for tracker in evaluation.trackers:
        mean = evaluation.mean(tracker)
        if mean is None:
            rows.append([tracker, "no result"] + [""] * (len(_COLUMNS) - 1))
        else:
            label = tracker
            done = len(evaluation.metrics(tracker))
            if done != count:
                label += f" ({done}/{count} seq)"
            rows.append(_row(label, mean))
    widths = [max(len(r[i]) for r in [header] + [r for r in rows if r]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [line(header), "  ".join("-" * w for w in widths)]
    out.extend(line(r) if r else "" for r in rows)
    title = (
        f"{'Restart-on-failure' if evaluation.restart else 'One-pass'} evaluation, "
        f"{count} sequence{'s' if count != 1 else ''}, {sum(len(r.sequence) for r in evaluation.results)} frames"
    )
    return title + "\n" + "\n".join(out)
