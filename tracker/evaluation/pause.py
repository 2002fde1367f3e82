"""Auto-pause calibration: how well "pause when confidence < t" catches the frames where tracking fails.

Input: per sequence, the judged frames of the correction protocol (``effort.py``) at IoU 0.5 in order,
each with the tracker's confidence and the IoU of its proposal before the annotator's correction. A frame
whose IoU is below 0.5 is a drift onset: the tracker was right on the frame before (or was just corrected
there) and is wrong now. With ``lead`` = L, a pause catches an onset on frame f when the confidence is
below t on f or on one of the L judged frames before it (after the previous onset): a pause just before
the box goes wrong is as useful. A pause on a frame that is not an onset and has no onset in its next L
frames is a false alarm.

The second signal (``tracker.drift``) is the box's jump: its centre's move from the frame before, in box
sizes. ``jump_pause_table`` scores the combined rule "confidence below c, or a jump above j" for a fixed
c and each limit j; ``choose_jump_limit`` takes the smallest limit within the same false-alarm budget.

Rule for the threshold (``choose_threshold``): the largest threshold whose false alarms stay at or below
``MAX_FALSE_PER_100`` per 100 judged frames (a run that stops more often than every 50 frames for nothing is
an auto-pause users switch off); the table also gives the F2 score (recall weighted twice) for reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DRIFT_IOU", "JUMP_LIMITS", "MAX_FALSE_PER_100", "PAUSE_LEAD", "PAUSE_THRESHOLDS", "PauseRow",
           "choose_jump_limit", "choose_threshold", "jump_pause_table", "pause_table"]

DRIFT_IOU = 0.5
PAUSE_LEAD = 3  # judged frames before an onset where a pause still counts as catching it
MAX_FALSE_PER_100 = 2.0
PAUSE_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 .. 0.95
JUMP_LIMITS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 3.0)  # box sizes per frame


@dataclass(frozen=True)
class PauseRow:
    threshold: float
    onsets: int  # frames with IoU < DRIFT_IOU
    caught: int  # onsets with a confidence below the threshold on them or up to ``lead`` frames before
    pauses: int  # frames whose confidence is below the threshold
    false_alarms: int  # pauses with no onset on them nor in the ``lead`` frames after
    frames: int  # judged frames

    @property
    def recall(self) -> float:
        return self.caught / self.onsets if self.onsets else float("nan")

    @property
    def precision(self) -> float:
        return (self.pauses - self.false_alarms) / self.pauses if self.pauses else float("nan")

    @property
    def false_per_100(self) -> float:
        return 100.0 * self.false_alarms / self.frames if self.frames else float("nan")

    def f_beta(self, beta: float = 2.0) -> float:
        p, r = self.precision, self.recall
        if not (p > 0 and r > 0):
            return 0.0
        return (1 + beta**2) * p * r / (beta**2 * p + r)

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "onsets": self.onsets, "caught": self.caught, "pauses": self.pauses,
                "false_alarms": self.false_alarms, "frames": self.frames, "recall": _finite(self.recall),
                "precision": _finite(self.precision), "false_per_100": _finite(self.false_per_100),
                "f2": self.f_beta(2.0)}


def _finite(v: float) -> float | None:
    return v if np.isfinite(v) else None


def _counts(scores: np.ndarray, ious: np.ndarray, t: float, lead: int) -> tuple[int, int, int, int]:
    onset = ious < DRIFT_IOU  # (F,)
    paused = scores < t  # (F,)
    caught = 0
    previous = -1
    for i in np.flatnonzero(onset):
        lo = max(previous + 1, i - lead)
        caught += bool(paused[lo : i + 1].any())
        previous = i
    useful = np.zeros_like(onset)  # a pause here is followed by an onset within lead frames (or is one)
    for i in np.flatnonzero(onset):
        useful[max(0, i - lead) : i + 1] = True
    return int(onset.sum()), caught, int(paused.sum()), int((paused & ~useful).sum())


def pause_table(sequences, thresholds=PAUSE_THRESHOLDS, lead: int = PAUSE_LEAD) -> list[PauseRow]:
    """One row per threshold, summed over ``sequences``: (scores, ious) pairs of equal length, one entry
    per judged frame in order."""
    pairs = [(np.asarray(s, dtype=float), np.asarray(v, dtype=float)) for s, v in sequences]  # (F,), (F,)
    for s, v in pairs:
        if s.shape != v.shape:
            raise ValueError("scores and ious must have one entry per judged frame")
    frames = sum(len(s) for s, _ in pairs)
    rows = []
    for t in thresholds:
        totals = np.sum([_counts(s, v, float(t), lead) for s, v in pairs], axis=0) if pairs else np.zeros(4)
        onsets, caught, pauses, false = (int(x) for x in totals)
        rows.append(PauseRow(float(t), onsets, caught, pauses, false, frames))
    return rows


def _most_within_budget(rows: list[PauseRow], max_false_per_100: float, quietest_first) -> PauseRow:
    """Rows ordered from the setting that pauses least to the one that pauses most (``quietest_first``: the
    sort key): the last one within the false-alarm budget, or the quietest when none is."""
    if not rows:
        raise ValueError("no settings to choose from")
    ordered = sorted(rows, key=quietest_first)
    fitting = [r for r in ordered if r.false_per_100 <= max_false_per_100]
    return fitting[-1] if fitting else ordered[0]


def choose_threshold(rows: list[PauseRow], max_false_per_100: float = MAX_FALSE_PER_100) -> PauseRow:
    """The largest threshold with at most ``max_false_per_100`` false alarms per 100 frames (the lowest
    threshold when none qualifies)."""
    return _most_within_budget(rows, max_false_per_100, lambda r: r.threshold)


def jump_pause_table(sequences, confidence: float, limits=JUMP_LIMITS, lead: int = PAUSE_LEAD) -> list[PauseRow]:
    """The combined rule, pause when the confidence is below ``confidence`` or the jump above j: one row
    per limit j (``PauseRow.threshold`` holds j), summed over ``sequences``: (scores, jumps, ious) triples
    of equal length, one entry per judged frame in order."""
    triples = [tuple(np.asarray(a, dtype=float) for a in t) for t in sequences]  # each (F,), (F,), (F,)
    for s, j, v in triples:
        if not s.shape == j.shape == v.shape:
            raise ValueError("scores, jumps and ious must have one entry per judged frame")
    rows = []
    for limit in limits:
        # the rule as one signal that is 0 where it fires, so pause_table reads it like a confidence
        fired = [(np.where((s < confidence) | (j > limit), 0.0, 1.0), v) for s, j, v in triples]  # (F,), (F,)
        row = pause_table(fired, thresholds=(0.5,), lead=lead)[0]
        rows.append(PauseRow(float(limit), row.onsets, row.caught, row.pauses, row.false_alarms, row.frames))
    return rows


def choose_jump_limit(rows: list[PauseRow], max_false_per_100: float = MAX_FALSE_PER_100) -> PauseRow:
    """The smallest jump limit with at most ``max_false_per_100`` false alarms per 100 frames (the largest
    limit when none qualifies)."""
    return _most_within_budget(rows, max_false_per_100, lambda r: -r.threshold)
