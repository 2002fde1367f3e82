"""Accuracy and speed metrics of the OTB one-pass evaluation (OPE), plus normalised precision and failures.

Conventions (OTB toolkit, Wu et al. TPAMI 2015, unless noted):

- Every frame with a ground-truth box counts, frame 1 included: there the tracker's output is the
  ground-truth box it was initialised with (IoU 1, centre error 0), as the OTB toolkit does.
- Frames whose ground truth marks the target absent (NaN or zero size) are left out of every metric,
  as the GOT-10k and LaSOT toolkits do (the OTB toolkit would count them with error -1).
- IoU of two boxes is the continuous area ratio (0-based float pixels; for integer boxes it equals the
  OTB toolkit's pixel-count formula). Centre = (x + w/2, y + h/2).
- Success curve: fraction of frames with IoU **>** t for t in ``np.linspace(0, 1, 21)`` (OTB compares
  with ``>``), AUC = mean of the 21 values. A perfect tracker therefore scores 20/21 = 0.95238...:
  at t = 1 no IoU is greater than 1.
- Precision: fraction of frames whose centre error is **<=** 20 px (curve over 0..50 px).
- Normalised precision: centre error with the x and y differences divided by the ground-truth width and
  height, fraction of frames ``<= 0.2`` (curve over 0..0.5 in 51 steps; 0.2 is the point that pytracking
  reports as LaSOT/TrackingNet "norm precision"; it lies on the curve of the LaSOT toolkit).
- A frame with no prediction (restart mode, between a failure and the re-initialisation) has IoU 0 and an
  infinite centre error.
- fps: tracker calls (initialize and track) divided by the seconds spent inside those calls; frame
  decoding is outside the timing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence as Seq

import numpy as np

from ..types import Box

__all__ = [
    "SUCCESS_THRESHOLDS",
    "PRECISION_THRESHOLDS",
    "NORM_PRECISION_THRESHOLDS",
    "PRECISION_AT",
    "NORM_PRECISION_AT",
    "SequenceMetrics",
    "boxes_to_array",
    "overlaps",
    "center_errors",
    "normalized_center_errors",
    "sequence_metrics",
    "mean_metrics",
]

SUCCESS_THRESHOLDS = np.linspace(0.0, 1.0, 21)
PRECISION_THRESHOLDS = np.arange(0, 51, dtype=np.float64)  # pixels
NORM_PRECISION_THRESHOLDS = np.linspace(0.0, 0.5, 51)
PRECISION_AT = 20.0
NORM_PRECISION_AT = 0.2


def boxes_to_array(boxes: Seq[Box | None]) -> np.ndarray:
    """(N, 4) float64 array of x, y, w, h; a ``None`` becomes a row of NaN."""
    out = np.full((len(boxes), 4), np.nan)
    for i, b in enumerate(boxes):
        if b is not None:
            out[i] = b.as_tuple()
    return out


def overlaps(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-row IoU of two (N, 4) x,y,w,h arrays; 0 where the prediction is NaN."""
    px2, py2 = pred[:, 0] + pred[:, 2], pred[:, 1] + pred[:, 3]
    gx2, gy2 = gt[:, 0] + gt[:, 2], gt[:, 1] + gt[:, 3]
    iw = np.clip(np.minimum(px2, gx2) - np.maximum(pred[:, 0], gt[:, 0]), 0, None)
    ih = np.clip(np.minimum(py2, gy2) - np.maximum(pred[:, 1], gt[:, 1]), 0, None)
    inter = iw * ih
    union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / union
    return np.nan_to_num(iou, nan=0.0, posinf=0.0, neginf=0.0)


def _centers(a: np.ndarray) -> np.ndarray:
    return a[:, :2] + a[:, 2:] / 2


def center_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Euclidean distance in pixels between box centres; inf where the prediction is NaN."""
    err = np.hypot(*(_centers(pred) - _centers(gt)).T)
    return np.where(np.isnan(err), np.inf, err)


def normalized_center_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Centre distance with dx / gt width and dy / gt height; inf where the prediction is NaN."""
    d = (_centers(pred) - _centers(gt)) / gt[:, 2:]
    err = np.hypot(d[:, 0], d[:, 1])
    return np.where(np.isnan(err), np.inf, err)


@dataclass(frozen=True)
class SequenceMetrics:
    """Scores of one tracker on one sequence (or their mean over sequences, see :func:`mean_metrics`)."""

    auc: float
    precision: float
    norm_precision: float
    miou: float
    fps: float  # NaN when no time was measured
    failures: int | None  # None unless restart-on-failure mode ran
    frames: int  # frames with a ground-truth box (the ones scored)
    success_curve: np.ndarray  # over SUCCESS_THRESHOLDS
    precision_curve: np.ndarray  # over PRECISION_THRESHOLDS
    norm_precision_curve: np.ndarray  # over NORM_PRECISION_THRESHOLDS
    calls: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        """The numbers results.json stores: auc, precision, norm_precision, miou, fps, failures."""

        def num(v: float) -> float | None:
            return round(float(v), 6) if math.isfinite(v) else None

        return {
            "auc": num(self.auc),
            "precision": num(self.precision),
            "norm_precision": num(self.norm_precision),
            "miou": num(self.miou),
            "fps": num(self.fps),
            "failures": self.failures,
        }


def sequence_metrics(
    pred: Seq[Box | None],
    gt: Seq[Box | None],
    seconds: float = 0.0,
    calls: int = 0,
    failures: int | None = None,
) -> SequenceMetrics:
    """Score predictions against ground truth (same length; ``None`` = no prediction / target absent)."""
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} predictions for {len(gt)} ground-truth frames")
    p, g = boxes_to_array(pred), boxes_to_array(gt)
    valid = ~np.isnan(g).any(axis=1)
    p, g = p[valid], g[valid]
    n = int(valid.sum())
    if n == 0:
        raise ValueError("no frame has a ground-truth box")
    iou = overlaps(p, g)
    err = center_errors(p, g)
    nerr = normalized_center_errors(p, g)
    success = (iou[None, :] > SUCCESS_THRESHOLDS[:, None]).mean(axis=1)
    precision = (err[None, :] <= PRECISION_THRESHOLDS[:, None]).mean(axis=1)
    norm_precision = (nerr[None, :] <= NORM_PRECISION_THRESHOLDS[:, None]).mean(axis=1)
    return SequenceMetrics(
        auc=float(success.mean()),
        precision=float((err <= PRECISION_AT).mean()),
        norm_precision=float((nerr <= NORM_PRECISION_AT).mean()),
        miou=float(iou.mean()),
        fps=calls / seconds if seconds > 0 else math.nan,
        failures=failures,
        frames=n,
        success_curve=success,
        precision_curve=precision,
        norm_precision_curve=norm_precision,
        calls=calls,
        seconds=seconds,
    )


def mean_metrics(items: Seq[SequenceMetrics]) -> SequenceMetrics:
    """Average over sequences, each weighing the same (OTB's averaged success and precision plots).

    auc, precision, norm_precision, miou and the curves are means of the per-sequence values; fps is
    all calls over all seconds; failures is the total over sequences (None if no sequence counted any).
    """
    if not items:
        raise ValueError("no sequences to average")
    seconds = sum(m.seconds for m in items)
    calls = sum(m.calls for m in items)
    counted = [m.failures for m in items if m.failures is not None]
    return SequenceMetrics(
        auc=float(np.mean([m.auc for m in items])),
        precision=float(np.mean([m.precision for m in items])),
        norm_precision=float(np.mean([m.norm_precision for m in items])),
        miou=float(np.mean([m.miou for m in items])),
        fps=calls / seconds if seconds > 0 else math.nan,
        failures=sum(counted) if counted else None,
        frames=sum(m.frames for m in items),
        success_curve=np.mean([m.success_curve for m in items], axis=0),
        precision_curve=np.mean([m.precision_curve for m in items], axis=0),
        norm_precision_curve=np.mean([m.norm_precision_curve for m in items], axis=0),
        calls=calls,
        seconds=seconds,
    )
