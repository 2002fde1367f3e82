"""What the memory network does on real video: attention, gates, residual gate, and what the memory adds.

For every tracked frame (one-pass evaluation from the ground truth of frame 1) the engine's
:class:`~tracker.result.Diagnostics` are recorded, and summarised as:

- attention peak / mean: ``max(alpha) * L`` for the L-cell attention map; 1.0 is a flat map (the
  controller's input then ignores where anything is), larger is sharper;
- peak in box: the fraction of frames whose attention peak (the cell centre, in frame pixels, see
  :mod:`tracker.search_geometry`) lies inside the ground-truth box of that frame;
- the 5th, 50th and 95th percentile of each gate (write no-op, read-slot update, allocation), of the
  mean residual gate and of the read strength: a gate whose 5th-95th spread is ~0 does not move;
- success AUC with the memory on and, with the same weights, off (``TrackingConfig.use_memory``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..result import Diagnostics, TrackResult
from ..search_geometry import ResponseGeometry
from ..types import Box
from .datasets import Sequence
from .metrics import mean_metrics
from .runner import evaluate

__all__ = ["FLAT_PEAK_RATIO", "DiagnosticsRecorder", "MemoryReport", "attention_peak_ratio", "attention_peak_point",
           "summarise", "diagnose", "format_report"]

# A mean attention peak/mean below this is reported as flat (a uniform map gives exactly 1).
FLAT_PEAK_RATIO = 1.05
GATE_NAMES = ("write", "read", "allocate")


def attention_peak_ratio(attention: np.ndarray) -> float:
    """max / mean of an attention map (which sums to 1): 1.0 when flat, L when all mass is on one cell."""
    a = np.asarray(attention, dtype=np.float64)
    return float(a.max() / a.mean())


def attention_peak_point(diagnostics: Diagnostics, geometry: ResponseGeometry) -> tuple[float, float]:
    """Frame position (x, y) of the centre of the attention map's strongest cell."""
    row, col = np.unravel_index(int(np.argmax(diagnostics.attention)), diagnostics.attention.shape)
    return geometry.cell_center(diagnostics.search_box, float(row), float(col))


class DiagnosticsRecorder:
    """Wraps a MemTracker for the evaluation runner and keeps every frame's diagnostics, per sequence."""

    def __init__(self, tracker: Any) -> None:
        self.tracker = tracker
        self.sequences: list[list[Diagnostics]] = []

    def describe(self) -> str:
        describe = getattr(self.tracker, "describe", None)
        return describe() if describe else type(self.tracker).__name__

    def initialize(self, frame: np.ndarray, box: Box) -> None:
        self.tracker.initialize(frame, box)
        self.sequences.append([])

    def track(self, frame: np.ndarray) -> TrackResult:
        result = self.tracker.track(frame)
        if result.diagnostics is None:
            raise ValueError("the tracker records no diagnostics (load it with diagnostics=True)")
        self.sequences[-1].append(result.diagnostics)
        return result


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return float(p5), float(p50), float(p95)


@dataclass(frozen=True)
class MemoryReport:
    frames: int
    attention_peak: float  # mean over frames of max / mean
    attention_peak_in_box: float  # fraction of frames (with a ground-truth box) whose peak is inside it
    gates: dict[str, tuple[float, float, float]]  # name -> (p5, p50, p95)
    residual_gate: tuple[float, float, float]
    read_strength: tuple[float, float, float]
    auc_memory: float | None = None
    auc_no_memory: float | None = None
    per_sequence: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def attention_flat(self) -> bool:
        return self.attention_peak < FLAT_PEAK_RATIO

    def gate_spread(self, name: str) -> float:
        p5, _, p95 = self.gates[name]
        return p95 - p5

    def to_json(self) -> dict:
        return {
            "frames": self.frames,
            "attention_peak_over_mean": round(self.attention_peak, 4),
            "attention_flat": self.attention_flat,
            "attention_peak_in_box": round(self.attention_peak_in_box, 4),
            "gates_p5_p50_p95": {k: [round(v, 4) for v in vals] for k, vals in self.gates.items()},
            "residual_gate_p5_p50_p95": [round(v, 4) for v in self.residual_gate],
            "read_strength_p5_p50_p95": [round(v, 4) for v in self.read_strength],
            "auc_memory": None if self.auc_memory is None else round(self.auc_memory, 4),
            "auc_no_memory": None if self.auc_no_memory is None else round(self.auc_no_memory, 4),
            "per_sequence": self.per_sequence,
        }


def summarise(diagnostics: list[list[Diagnostics]], groundtruths: list[tuple[Box | None, ...]],
              geometry: ResponseGeometry) -> MemoryReport:
    """Summarise per-sequence diagnostics; ``diagnostics[s][k]`` belongs to frame ``k + 1`` of sequence s."""
    peaks, inside, gates, residual, strength = [], [], [], [], []
    for diags, gt in zip(diagnostics, groundtruths):
        if len(diags) != len(gt) - 1:
            raise ValueError(f"{len(diags)} diagnostics for a sequence of {len(gt)} frames")
        for k, d in enumerate(diags):
            peaks.append(attention_peak_ratio(d.attention))
            box = gt[k + 1]
            if box is not None:
                x, y = attention_peak_point(d, geometry)
                inside.append(box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h)
            gates.append(np.asarray(d.gates, dtype=np.float64))
            residual.append(d.residual_gate)
            strength.append(d.read_strength)
    if not peaks:
        raise ValueError("no tracked frame to summarise")
    g = np.stack(gates)  # (frames, 3)
    return MemoryReport(
        frames=len(peaks),
        attention_peak=float(np.mean(peaks)),
        attention_peak_in_box=float(np.mean(inside)) if inside else float("nan"),
        gates={name: _percentiles(g[:, i]) for i, name in enumerate(GATE_NAMES)},
        residual_gate=_percentiles(np.asarray(residual)),
        read_strength=_percentiles(np.asarray(strength)),
    )


def diagnose(sequences: list[Sequence], tracker: Any, tracker_no_memory: Any | None = None,
             progress: bool = False) -> MemoryReport:
    """Track every sequence (one pass) with ``tracker`` (a MemTracker with diagnostics on) and, when
    given, the same weights with the memory off; summarise the diagnostics and both AUCs."""
    geometry = ResponseGeometry.of_tracker(tracker)
    if geometry is None:
        raise ValueError("diagnose needs a MemTrack tracker")
    recorder = DiagnosticsRecorder(tracker)
    trackers = {"memory": recorder}
    if tracker_no_memory is not None:
        trackers["no_memory"] = tracker_no_memory
    evaluation = evaluate(sequences, trackers, progress=progress)
    problems = [p for p in evaluation.problems if p]
    if problems:
        raise ValueError("; ".join(problems))
    done = [r.sequence for r in evaluation.results]
    report = summarise(recorder.sequences, [s.groundtruth for s in done], geometry)
    on = evaluation.metrics("memory")
    off = evaluation.metrics("no_memory") if tracker_no_memory is not None else {}
    per_sequence = {}
    for seq, diags in zip(done, recorder.sequences):
        one = summarise([diags], [seq.groundtruth], geometry)
        per_sequence[seq.name] = {"frames": one.frames, "attention_peak_over_mean": round(one.attention_peak, 4),
                                  "attention_peak_in_box": round(one.attention_peak_in_box, 4),
                                  "auc_memory": round(on[seq.name].auc, 4)}
        if seq.name in off:
            per_sequence[seq.name]["auc_no_memory"] = round(off[seq.name].auc, 4)
    return MemoryReport(**{**report.__dict__, "per_sequence": per_sequence,
                           "auc_memory": mean_metrics(list(on.values())).auc,
                           "auc_no_memory": mean_metrics(list(off.values())).auc if off else None})


def format_report(report: MemoryReport) -> str:
    flat = "  (flat: the attention ignores where things are)" if report.attention_flat else ""
    lines = [
        f"tracked frames              {report.frames}",
        f"attention peak / mean       {report.attention_peak:.3f}{flat}",
        f"attention peak in gt box    {report.attention_peak_in_box:.1%}",
    ]
    for name, (p5, p50, p95) in report.gates.items():
        lines.append(f"{name + ' gate':<28}{p50:.3f}  (5th-95th {p5:.3f}-{p95:.3f}, spread {p95 - p5:.3f})")
    p5, p50, p95 = report.residual_gate
    lines.append(f"{'residual gate (mean of r)':<28}{p50:.3f}  (5th-95th {p5:.3f}-{p95:.3f})")
    p5, p50, p95 = report.read_strength
    lines.append(f"{'read strength':<28}{p50:.2f}  (5th-95th {p5:.2f}-{p95:.2f})")
    if report.auc_memory is not None:
        lines.append(f"{'success AUC, memory on':<28}{report.auc_memory:.3f}")
    if report.auc_no_memory is not None:
        lines.append(f"{'success AUC, memory off':<28}{report.auc_no_memory:.3f}  "
                     f"(memory adds {report.auc_memory - report.auc_no_memory:+.3f})")
    return "\n".join(lines)
