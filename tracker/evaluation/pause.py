"""Auto-pause calibration: how well "pause when confidence < t" catches the frames where tracking fails.

Input: the judged frames of the correction protocol (``effort.py``) at IoU 0.5, each with the tracker's
confidence and the IoU of its proposal before the annotator's correction. A frame whose IoU is below 0.5
is a drift onset: the tracker was right on the frame before (or was just corrected there) and is wrong
now. A pause on frame f (confidence < t) catches the onset on f; a pause on a frame whose proposal is
still right (IoU >= 0.5) is a false alarm.

Rule for the threshold (``choose_threshold``): the largest F2 score (recall counted twice as much as
precision), because a missed drift costs the annotator a search through the video while a false alarm
costs one key press; ties go to the lower threshold (fewer pauses).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DRIFT_IOU", "PAUSE_THRESHOLDS", "PauseRow", "choose_threshold", "pause_table"]

DRIFT_IOU = 0.5
PAUSE_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 .. 0.95


@dataclass(frozen=True)
class PauseRow:
    threshold: float
    onsets: int  # frames with IoU < DRIFT_IOU
    caught: int  # onsets whose confidence is below the threshold
    pauses: int  # frames whose confidence is below the threshold
    false_alarms: int  # pauses on frames still at IoU >= DRIFT_IOU
    frames: int  # judged frames

    @property
    def recall(self) -> float:
        return self.caught / self.onsets if self.onsets else float("nan")

    @property
    def precision(self) -> float:
        return (self.pauses - self.false_alarms) / self.pauses if self.pauses else float("nan")

    def f_beta(self, beta: float = 2.0) -> float:
        p, r = self.precision, self.recall
        if not (p > 0 and r > 0):
            return 0.0
        return (1 + beta**2) * p * r / (beta**2 * p + r)

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "onsets": self.onsets, "caught": self.caught, "pauses": self.pauses,
                "false_alarms": self.false_alarms, "frames": self.frames,
                "recall": _finite(self.recall), "precision": _finite(self.precision), "f2": self.f_beta(2.0)}


def _finite(v: float) -> float | None:
    return v if np.isfinite(v) else None


def pause_table(scores, ious, thresholds=PAUSE_THRESHOLDS) -> list[PauseRow]:
    """One row per threshold over judged frames given by parallel sequences of confidence and IoU."""
    s = np.asarray(scores, dtype=float)  # (F,)
    iou = np.asarray(ious, dtype=float)  # (F,)
    if s.shape != iou.shape:
        raise ValueError("scores and ious must have one entry per judged frame")
    onset = iou < DRIFT_IOU  # (F,)
    rows = []
    for t in thresholds:
        paused = s < t  # (F,)
        rows.append(PauseRow(float(t), int(onset.sum()), int((paused & onset).sum()), int(paused.sum()),
                             int((paused & ~onset).sum()), len(s)))
    return rows


def choose_threshold(rows: list[PauseRow]) -> PauseRow:
    """The row with the largest F2 score; ties to the lower threshold."""
    if not rows:
        raise ValueError("no thresholds to choose from")
    return max(sorted(rows, key=lambda r: r.threshold), key=lambda r: r.f_beta(2.0))
