"""Outputs of the effort benchmark: results.json and the terminal tables (written atomically).

``results.json``: ``{"protocol": "correct", "iou": [...], "unit": "corrections per 100 judged frames",
"trackers": {tracker: {"<iou>": {sequence: {"corrections", "frames", "per_100", "corrected_frames"},
"all": {"corrections", "frames", "per_100"}}}}, "pause": {tracker: [rows]}}``; ``frames`` counts the
judged frames (after the first, with a ground-truth box), ``corrected_frames`` are 0-based indices;
at IoU 0.5 a tracker's entries also hold ``scores``, ``jumps`` and ``ious`` per judged frame (its confidence,
its box's jump and the IoU before correction), from which the auto-pause tables can be recomputed.
``pause`` holds the auto-pause calibration of each MemTrack lane at IoU 0.5 (see pause.py); ``pause_jump``
the combined rule's, ``{tracker: {"confidence": c, "rows": [...]}}`` (confidence below c or a jump above
each limit).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..atomic import atomic_write_text
from .effort import INTERP, EffortEvaluation
from ..drift import DEFAULT_PAUSE_THRESHOLD
from .pause import (DRIFT_IOU, MAX_FALSE_PER_100, PAUSE_LEAD, choose_jump_limit, choose_threshold, jump_pause_table,
                    pause_table)

__all__ = ["ALL_KEY", "effort_json", "format_effort_table", "format_jump_pause_table", "format_pause_table",
           "jump_pause_rows", "pause_rows", "signal_pause_rows", "write_effort_json"]

ALL_KEY = "all"


def _rate(v: float) -> float | None:
    return round(v, 3) if math.isfinite(v) else None


def _pause_lanes(evaluation: EffortEvaluation):
    """(tracker, its finished runs) for each MemTrack lane at IoU 0.5 that recorded confidences: the lanes
    the auto-pause is calibrated on (not interpolation, not the OpenCV lanes)."""
    if DRIFT_IOU not in evaluation.thresholds:
        return
    for tracker in evaluation.trackers:
        if tracker == INTERP or not tracker.startswith("memtrack"):
            continue
        runs = [r for r in evaluation.runs[tracker][DRIFT_IOU].values() if r.error is None]
        if any(r.scores for r in runs):
            yield tracker, runs


def pause_rows(evaluation: EffortEvaluation) -> dict[str, list]:
    """Per pause lane (``_pause_lanes``): the confidence's pause table over all its judged frames."""
    return {tracker: pause_table([(r.scores, r.ious) for r in runs]) for tracker, runs in _pause_lanes(evaluation)}


def jump_pause_rows(evaluation: EffortEvaluation, confidence: float = DEFAULT_PAUSE_THRESHOLD
                    ) -> dict[str, list]:
    """Per pause lane (``_pause_lanes``): the combined rule's table (``pause.jump_pause_table``) at the given
    confidence threshold (the window's default)."""
    return {tracker: jump_pause_table([(r.scores, r.jumps, r.ious) for r in runs], confidence)
            for tracker, runs in _pause_lanes(evaluation)}


def signal_pause_rows(evaluation: EffortEvaluation) -> dict[str, dict[str, list]]:
    """Like ``pause_rows`` for the other pause signals the lanes recorded (``effort.PAUSE_SIGNALS``):
    ``{tracker: {signal: rows}}``, empty when the trackers ran without diagnostics."""
    out: dict[str, dict[str, list]] = {}
    for tracker, runs in _pause_lanes(evaluation):
        names = sorted({n for r in runs for n in r.signals})
        for name in names:
            if all(len(r.signals.get(name, ())) == len(r.ious) for r in runs):
                out.setdefault(tracker, {})[name] = pause_table([(r.signals.get(name, []), r.ious) for r in runs])
    return out


def effort_json(evaluation: EffortEvaluation, protocol: str = "correct") -> dict:
    trackers: dict[str, dict] = {}
    for tracker in evaluation.trackers:
        per_threshold = {}
        for t in evaluation.thresholds:
            per_seq = {}
            for name, run in evaluation.runs[tracker][t].items():
                if run.error is None:
                    per_seq[name] = {"corrections": run.count, "frames": run.judged, "per_100": _rate(run.rate),
                                     "corrected_frames": run.corrections}
                    if t == DRIFT_IOU and run.scores:  # what the auto-pause calibration is computed from
                        per_seq[name]["scores"] = [round(v, 4) for v in run.scores]
                        per_seq[name]["ious"] = [round(v, 4) for v in run.ious]
                        per_seq[name]["jumps"] = [round(v, 4) for v in run.jumps]
                        for signal, values in run.signals.items():
                            per_seq[name].setdefault("signals", {})[signal] = [round(v, 4) for v in values]
            count, frames = evaluation.pooled(tracker, t)
            per_seq[ALL_KEY] = {"corrections": count, "frames": frames,
                                "per_100": _rate(evaluation.rate(tracker, t))}
            per_threshold[f"{t:g}"] = per_seq
        trackers[tracker] = per_threshold
    pause = {name: [r.to_json() for r in rows] for name, rows in pause_rows(evaluation).items()}
    signals = {name: {signal: [r.to_json() for r in rows] for signal, rows in tables.items()}
               for name, tables in signal_pause_rows(evaluation).items()}
    jump = {name: {"confidence": DEFAULT_PAUSE_THRESHOLD, "rows": [r.to_json() for r in rows]}
            for name, rows in jump_pause_rows(evaluation).items()}
    out = {"protocol": protocol, "iou": evaluation.thresholds, "unit": "corrections per 100 judged frames",
           "sequences": [s.name for s in evaluation.sequences], "trackers": trackers, "pause": pause,
           "pause_jump": jump}
    if signals:
        out["pause_signals"] = signals
    return out


def write_effort_json(out_dir: str | Path, evaluation: EffortEvaluation, protocol: str = "correct") -> Path:
    path = Path(out_dir) / "results.json"
    atomic_write_text(path, json.dumps(effort_json(evaluation, protocol), indent=2) + "\n")
    return path


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def _cell(v: float) -> str:
    return f"{v:.1f}" if math.isfinite(v) else "-"


def format_effort_table(evaluation: EffortEvaluation, verbose: bool = False,
                        protocol: str = "Correction") -> str:
    """Corrections per 100 judged frames: one row per tracker (pooled over sequences), one column per IoU
    threshold; with ``verbose`` one column per sequence too (at each threshold)."""
    frames = sum(1 for s in evaluation.sequences for b in s.groundtruth[1:] if b is not None)
    title = (f"{protocol} protocol: corrections per 100 frames, {len(evaluation.sequences)} sequences, "
             f"{frames} judged frames")
    header = ["Tracker"] + [f"IoU {t:g}" for t in evaluation.thresholds]
    seq_names = [s.name for s in evaluation.sequences] if verbose else []
    if verbose:
        header += [f"{n} @{t:g}" for t in evaluation.thresholds for n in seq_names]
    rows = []
    for tracker in evaluation.trackers:
        row = [tracker] + [_cell(evaluation.rate(tracker, t)) for t in evaluation.thresholds]
        for t in evaluation.thresholds if verbose else ():
            for n in seq_names:
                run = evaluation.runs[tracker][t].get(n)
                row.append("failed" if run is None or run.error else _cell(run.rate))
        rows.append(row)
    return title + "\n" + _grid(header, rows)


def format_pause_table(name: str, rows, signal: str = "confidence") -> str:
    """The auto-pause calibration of one lane and signal, with the threshold ``choose_threshold`` picks marked."""
    best = choose_threshold(rows)
    header = [("conf" if signal == "confidence" else signal) + " <", "caught", "onsets", "recall", "pauses", "false", "false/100", "precision", "F2"]
    body = []
    for r in rows:
        body.append([f"{r.threshold:.2f}" + (" *" if r is best else ""), str(r.caught), str(r.onsets),
                     _cell(100 * r.recall) + "%", str(r.pauses), str(r.false_alarms), _cell(r.false_per_100),
                     _cell(100 * r.precision) + "%", f"{r.f_beta(2.0):.3f}"])
    return (f"Auto-pause calibration for {name}, pause when {signal} is below (drift onset: IoU < {DRIFT_IOU:g}, caught by a pause on it or "
            f"up to {PAUSE_LEAD} frames before; * = largest threshold with at most {MAX_FALSE_PER_100:g} false "
            f"alarms per 100 frames)\n" + _grid(header, body))


def format_jump_pause_table(name: str, rows, confidence: float = DEFAULT_PAUSE_THRESHOLD) -> str:
    """The combined rule's calibration of one lane, with the limit ``choose_jump_limit`` picks marked."""
    best = choose_jump_limit(rows)
    header = ["jump >", "caught", "onsets", "recall", "pauses", "false", "false/100", "precision", "F2"]
    body = [[f"{r.threshold:.1f}" + (" *" if r is best else ""), str(r.caught), str(r.onsets),
             _cell(100 * r.recall) + "%", str(r.pauses), str(r.false_alarms), _cell(r.false_per_100),
             _cell(100 * r.precision) + "%", f"{r.f_beta(2.0):.3f}"] for r in rows]
    return (f"Auto-pause calibration for {name}, pause when confidence < {confidence:.2f} or the box jumps more "
            f"than the limit (box sizes in one frame; * = smallest limit with at most {MAX_FALSE_PER_100:g} false "
            f"alarms per 100 frames)\n" + _grid(header, body))
