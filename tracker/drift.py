"""When a tracking run stops and hands the frame to the annotator: the auto-pause rule.

A run pauses on a target when either signal says the box may have gone wrong:

- its confidence falls below ``confidence_below`` (the response peak; low when nothing matches), or
- its box jumps: the centre moves more than ``jump_above`` box sizes (the square root of the previous
  box's area) from one frame to the next. Tracking drifts on real video mostly by snapping to a
  distractor, and the tracker is often as confident about the distractor as about the target; a jump
  of most of a box size in one frame is rare for the target itself.

Both defaults were calibrated with the correction protocol's auto-pause tables (``main.py eval DATA
--protocol correct``, tracker.evaluation.pause) on the validation split of the training data with the
default weights of 2026-12-03, rule: catch as many drift onsets as possible with at most 2 false alarms
per 100 frames. Validation, retemplate strategy, 16 onsets in 1,429 frames: the confidence alone (0.50)
caught 3 at 1.0 false alarms per 100 frames; with the jump limit 0.7 as well, 7 at 1.7. Most of the
onsets left are boxes that slide slowly below IoU 0.5, which neither signal sees.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .types import Box

__all__ = ["DEFAULT_JUMP_LIMIT", "DEFAULT_PAUSE_THRESHOLD", "PauseRule", "box_jump"]

DEFAULT_PAUSE_THRESHOLD = 0.5  # confidence
DEFAULT_JUMP_LIMIT = 0.7  # box sizes per frame


def box_jump(previous: Box, current: Box) -> float:
    """How far the box's centre moved, in units of the previous box's size (sqrt of its area)."""
    dx = (current.x + current.w / 2) - (previous.x + previous.w / 2)
    dy = (current.y + current.h / 2) - (previous.y + previous.h / 2)
    return math.hypot(dx, dy) / math.sqrt(previous.w * previous.h)


@dataclass(frozen=True)
class PauseRule:
    """``None`` switches a signal off; a rule with both off never pauses."""

    confidence_below: float | None = DEFAULT_PAUSE_THRESHOLD
    jump_above: float | None = DEFAULT_JUMP_LIMIT

    def __post_init__(self) -> None:
        if self.confidence_below is not None and not 0.0 <= self.confidence_below <= 1.0:
            raise ValueError(f"the confidence threshold must be in 0..1, not {self.confidence_below}")
        if self.jump_above is not None and not self.jump_above > 0:
            raise ValueError(f"the jump limit must be positive, not {self.jump_above}")

    @property
    def active(self) -> bool:
        return self.confidence_below is not None or self.jump_above is not None

    def reason(self, score: float, previous: Box | None, current: Box) -> str | None:
        """Why a run should pause on this target here (a sentence), or None. ``previous``: the target's
        box on the frame before (tracked, or the user's), None when unknown."""
        if self.confidence_below is not None and score < self.confidence_below:
            return f"confidence {score:.2f} below {self.confidence_below:.2f}"
        if self.jump_above is not None and previous is not None:
            jump = box_jump(previous, current)
            if jump > self.jump_above:
                return f"box jumped {jump:.1f} box sizes in one frame (limit {self.jump_above:.1f})"
        return None
