"""Correction strategies (tracker.correction) on the default tracker: what each one resets, keeps, writes
and pins, read straight from the target's state."""
from __future__ import annotations

import pytest
import torch

from engine_support import default_tracker, moving_square_frames
from tracker import Box
from tracker.correction import CORRECTION_STRATEGIES, keyframe_slot_cap, start_target

SLOTS = 8


def _state(trk, tid: int = 0) -> dict:
    return {k: v.clone() for k, v in trk._targets[tid].state.tensors().items()}


@pytest.fixture(scope="module")
def clip():
    return moving_square_frames(n=16)


def _tracked(clip, upto: int = 4):
    """A tracker that started on frame 0 and tracked frames 1..upto."""
    frames, boxes = clip
    trk = default_tracker()
    trk.initialize(frames[0], Box(*boxes[0]))
    for i in range(1, upto + 1):
        trk.track(frames[i], frame_index=i)
    return trk


def _correction(trk, frame, box) -> torch.Tensor:
    """The template the engine extracts for ``box`` (what a correction writes), without changing the state."""
    snap = trk.snapshot()
    trk.reseed(frame, box, mode="update")
    template = trk._targets[0].pending.clone()
    trk.restore(snap)
    return template


def test_every_strategy_is_a_reseed_mode_and_reset_is_the_only_full_restart():
    from tracker import RESEED_MODES

    assert set(RESEED_MODES) == set(CORRECTION_STRATEGIES)
    assert {"reset", "update", "retemplate", "restart", "keyframe", "restart-keyframe", "reset-keyframe"} <= set(
        RESEED_MODES)
    assert [n for n, s in CORRECTION_STRATEGIES.items() if s.is_reset] == ["reset"]
    assert keyframe_slot_cap(SLOTS) == 4


def test_restart_renews_t0_and_controller_and_keeps_the_memory(clip):
    frames, boxes = clip
    trk = _tracked(clip)
    before = _state(trk)
    box = Box(*boxes[5])
    template = _correction(trk, frames[5], box)
    least_used = int(before["memory.usage"][0].argmin())
    trk.reseed(frames[5], box, mode="restart", frame_index=5)
    after = _state(trk)
    assert torch.equal(after["template0"], template)
    h, c = trk.net.initial_state(template)
    assert torch.equal(after["h"], h) and torch.equal(after["c"], c)
    assert not torch.equal(after["h"], before["h"])
    assert torch.equal(after["memory.memory"], before["memory.memory"])
    # the correction is scheduled, in full, into the least-used slot (as update does), nothing pinned
    assert int(after["memory.write_weights"][0].argmax()) == least_used
    assert after["memory.gates"][0].tolist() == [0.0, 0.0, 1.0]
    assert not after["memory.pinned"].any()


def test_keyframe_pins_the_correction_at_once_and_keeps_t0_controller_and_other_slots(clip):
    frames, boxes = clip
    trk = _tracked(clip)
    before = _state(trk)
    box = Box(*boxes[5])
    template = _correction(trk, frames[5], box)
    least_used = int(before["memory.usage"][0].argmin())
    trk.reseed(frames[5], box, mode="keyframe", frame_index=5)
    after = _state(trk)
    for name in ("template0", "h", "c"):
        assert torch.equal(after[name], before[name]), name
    assert torch.equal(after["memory.memory"][0, least_used], template[0])
    others = [j for j in range(SLOTS) if j != least_used]
    assert torch.equal(after["memory.memory"][0, others], before["memory.memory"][0, others])
    assert after["memory.pinned"][0].tolist() == [j == least_used for j in range(SLOTS)]
    assert not after["memory.write_weights"].any()  # nothing more is written at the next step
    slots = trk.memory_slots()
    assert slots[least_used]["keyframe"] and slots[least_used]["frame"] == 5
    # the tracker's own writes never touch it
    for i in range(6, 12):
        trk.track(frames[i], frame_index=i)
        assert torch.equal(_state(trk)["memory.memory"][0, least_used], template[0])


def test_keyframe_slots_are_capped_at_half_the_memory_and_the_oldest_is_recycled(clip):
    frames, boxes = clip
    trk = _tracked(clip, upto=1)
    order = []
    for i in range(2, 2 + keyframe_slot_cap(SLOTS)):
        trk.reseed(frames[i], Box(*boxes[i]), mode="keyframe", frame_index=i)
        order.append(trk._targets[0].keyframe_slots[-1])
        trk.track(frames[i + 1], frame_index=i + 1)
    assert len(set(order)) == keyframe_slot_cap(SLOTS)
    i = 2 + keyframe_slot_cap(SLOTS) + 1
    template = _correction(trk, frames[i], Box(*boxes[i]))
    trk.reseed(frames[i], Box(*boxes[i]), mode="keyframe", frame_index=i)
    state = _state(trk)
    assert trk._targets[0].keyframe_slots == order[1:] + [order[0]]  # the oldest went to the new keyframe
    assert torch.equal(state["memory.memory"][0, order[0]], template[0])
    assert int(state["memory.pinned"].sum()) == keyframe_slot_cap(SLOTS)


def test_reset_keyframe_starts_over_but_keeps_keyframes_and_user_pins(clip):
    frames, boxes = clip
    trk = _tracked(clip, upto=3)
    trk.reseed(frames[4], Box(*boxes[4]), mode="reset-keyframe", frame_index=4)
    key = trk._targets[0].keyframe_slots[0]
    for i in range(5, 9):
        trk.track(frames[i], frame_index=i)
    user = next(j for j in range(SLOTS) if j != key and torch.count_nonzero(_state(trk)["memory.memory"][0, j]))
    trk.pin_slot(user)
    before = _state(trk)
    box = Box(*boxes[9])
    template = _correction(trk, frames[9], box)
    trk.reseed(frames[9], box, mode="reset-keyframe", frame_index=9)
    after = _state(trk)
    new_key = trk._targets[0].keyframe_slots[-1]
    assert trk._targets[0].keyframe_slots == [key, new_key] and new_key not in (key, user)
    assert torch.equal(after["template0"], template)
    h, c = trk.net.initial_state(template)
    assert torch.equal(after["h"], h) and torch.equal(after["c"], c)
    for j in (key, user):
        assert torch.equal(after["memory.memory"][0, j], before["memory.memory"][0, j])
    assert torch.equal(after["memory.memory"][0, new_key], template[0])
    cleared = [j for j in range(SLOTS) if j not in (key, user, new_key)]
    assert torch.count_nonzero(after["memory.memory"][0, cleared]) == 0
    assert float(after["memory.usage"][0, cleared].abs().sum()) == 0
    assert after["memory.pinned"][0].tolist() == [j in (key, user, new_key) for j in range(SLOTS)]
    assert all(trk.memory_slots()[j]["frame"] is None for j in cleared)


def test_unpinning_or_evicting_a_keyframe_slot_makes_it_ordinary_and_snapshots_keep_the_list(clip):
    frames, boxes = clip
    trk = _tracked(clip, upto=1)
    for i in (2, 3):
        trk.reseed(frames[i], Box(*boxes[i]), mode="keyframe", frame_index=i)
    first, second = trk._targets[0].keyframe_slots
    snap = trk.snapshot()
    trk.pin_slot(first, False)
    trk.evict_slot(second)
    assert trk._targets[0].keyframe_slots == []
    trk.restore(snap)
    assert trk._targets[0].keyframe_slots == [first, second]
    assert [s["keyframe"] for s in trk.memory_slots()].count(True) == 2


def test_start_target_pins_the_first_box_for_keyframe_strategies_only(clip):
    frames, boxes = clip
    trk = default_tracker()
    start_target(trk, frames[0], Box(*boxes[0]), "reset-keyframe")
    assert trk._targets[0].keyframe_slots == [0] and bool(_state(trk)["memory.pinned"][0, 0])
    assert torch.equal(_state(trk)["memory.memory"][0, 0], _state(trk)["template0"][0])
    trk.remove(0)
    start_target(trk, frames[0], Box(*boxes[0]), "update")
    assert trk._targets[0].keyframe_slots == [] and not _state(trk)["memory.pinned"].any()
    with pytest.raises(ValueError, match="reseed mode"):
        start_target(trk, frames[0], Box(*boxes[0]), "bogus")
