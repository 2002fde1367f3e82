"""Correction strategies: what a user's corrected box does to a MemTrack target's state.

A correction is a verified appearance of the target. Each strategy answers four questions:

- ``template0``: does the correction replace the initial template T0 (the part of the final template
  ``T0 + r * T_read`` that the memory cannot gate away)?
- ``controller``: does the LSTM controller start over (h, c from the initial-state network applied to T0,
  as on the first frame), forgetting the recurrent context it built while drifting?
- ``memory``: ``keep`` the slots, ``clear`` them all (a fresh memory, as on the first frame), or keep only
  the ``pinned`` ones (earlier corrections in keyframe slots and slots the user pinned) and clear the
  tracker's own writes, which may hold the background it drifted onto.
- ``keyframe_slot``: write the correction at once into a pinned "keyframe slot" that the tracker's own
  writes never overwrite (at most ``keyframe_slot_cap(N)`` = half the slots; the oldest keyframe slot is
  recycled when they are all taken). Without it the correction is written in full into the least-used
  unpinned slot at the next step, where later writes may overwrite it.

The position and size always jump to the corrected box. ``reset`` is exactly ``initialize`` on the box.
``DEFAULT_CORRECTION_STRATEGY`` is the one place that decides what the window uses.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CORRECTION_STRATEGIES",
    "CorrectionStrategy",
    "DEFAULT_CORRECTION_STRATEGY",
    "MEMORY_CHOICES",
    "keyframe_slot_cap",
    "start_target",
    "strategy",
]

MEMORY_CHOICES = ("keep", "clear", "pinned")


@dataclass(frozen=True)
class CorrectionStrategy:
    name: str
    template0: bool  # replace T0 with the correction
    controller: bool  # restart the controller from T0
    memory: str  # one of MEMORY_CHOICES
    keyframe_slot: bool  # pin the correction into a keyframe slot
    summary: str

    def __post_init__(self) -> None:
        if self.memory not in MEMORY_CHOICES:
            raise ValueError(f"correction strategy {self.name}: memory must be one of {MEMORY_CHOICES}")

    @property
    def is_reset(self) -> bool:
        """Everything starts over and nothing is kept: the same as ``initialize``."""
        return self.template0 and self.controller and self.memory == "clear" and not self.keyframe_slot


_STRATEGIES = (
    CorrectionStrategy("reset", True, True, "clear", False, "start over from the box"),
    CorrectionStrategy("update", False, False, "keep", False,
                       "keep T0, controller and memory; write the box into the least-used slot"),
    CorrectionStrategy("retemplate", True, False, "keep", False, "update, and the box replaces T0"),
    CorrectionStrategy("restart", True, True, "keep", False,
                       "new T0 and controller from the box, keep the memory and write the box into it"),
    CorrectionStrategy("keyframe", False, False, "keep", True,
                       "keep T0, controller and memory; pin the box into a keyframe slot"),
    CorrectionStrategy("restart-keyframe", True, True, "keep", True,
                       "new T0 and controller, keep the memory, pin the box into a keyframe slot"),
    CorrectionStrategy("reset-keyframe", True, True, "pinned", True,
                       "start over from the box but keep the keyframe (and pinned) slots"),
)

CORRECTION_STRATEGIES: dict[str, CorrectionStrategy] = {s.name: s for s in _STRATEGIES}

# What the window does with a correction. Chosen with `main.py eval ... --protocol correct` on the
# validation split of ../shared/data/train (README, "Annotation effort") with the default weights trained
# with the attention loss and foreign frames: retemplate 1.12 corrections per 100 frames at IoU 0.5,
# against restart 1.26, reset 1.33 and update 5.46 (at IoU 0.7 restart-keyframe is best, 7.42 vs 7.91).
# Re-check when the weights change.
DEFAULT_CORRECTION_STRATEGY = "retemplate"


def strategy(name: str) -> CorrectionStrategy:
    try:
        return CORRECTION_STRATEGIES[name]
    except KeyError:
        raise ValueError(f"reseed mode must be one of {tuple(CORRECTION_STRATEGIES)}, not {name!r}") from None


def keyframe_slot_cap(slots: int) -> int:
    """At most half the memory holds keyframes, so the tracker keeps room for its own writes."""
    return max(1, slots // 2)


def start_target(tracker, frame, box, mode: str, target_id: int = 0, frame_index: int = 0) -> None:
    """Start a target on a box the user drew, the way ``mode`` treats user boxes: ``initialize``, and
    for the keyframe strategies also pin that first box into a keyframe slot (it is a keyframe too)."""
    chosen = strategy(mode)
    tracker.initialize(frame, box, target_id=target_id, frame_index=frame_index)
    if chosen.keyframe_slot:
        tracker.reseed(frame, box, mode=mode, target_id=target_id, frame_index=frame_index)
