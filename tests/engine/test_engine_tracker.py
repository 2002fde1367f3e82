"""MemTracker through its public API on the synthetic moving square with the default checkpoint:
accuracy, snapshot/restore, batched targets, corrections, memory editing and input errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import default_tracker, moving_square_frames
from tracker import Box, BoxError

N_FRAMES = 11  # frame 0 initialises, frames 1..10 are tracked; the snapshot is taken after frame 6


def _diag_arrays(res) -> dict:
    d = res.diagnostics
    return {"attention": d.attention, "response": d.response, "read_weights": d.read_weights,
            "write_weights": d.write_weights, "usage": d.usage, "gates": d.gates,
            "scalars": np.array([d.residual_gate, d.read_strength, d.scale, *d.search_box.as_tuple()])}


def _allocated_slot(res) -> tuple[int, np.ndarray]:
    """Spec 6.4 read back from the diagnostics: w^w_next - g_r w^r = g_a one-hot(allocated slot)."""
    d = res.diagnostics
    alloc = (d.write_weights - d.gates[1] * d.read_weights) / d.gates[2]
    return int(np.argmax(alloc)), alloc


def _state(trk, tid: int = 0) -> dict:
    return {k: v.clone() for k, v in trk._targets[tid].state.tensors().items()}


@pytest.fixture(scope="module")
def clip():
    return moving_square_frames(n=N_FRAMES)


@pytest.fixture(scope="module")
def tracked(clip):
    """One run over the clip with the default tracker: results, a snapshot after frame 6, the state
    after the first step."""
    frames, boxes = clip
    trk = default_tracker()  # load_tracker(device="cpu"), shared by the engine tests
    trk.initialize(frames[0], Box(*boxes[0]))
    t0 = trk._targets[0].state.template0.clone()
    results, snap, after_first, after_7 = [], None, None, None
    for i in range(1, N_FRAMES):
        results.append(trk.track(frames[i]))
        if i == 1:
            after_first = _state(trk)
        if i == 6:
            snap = trk.snapshot()
        if i == 7:
            after_7 = _state(trk)
    return {"tracker": trk, "results": results, "snapshot": snap, "after_first": after_first, "t0": t0,
            "after_7": after_7}


def test_tracks_the_moving_square(tracked, clip):
    _, boxes = clip
    ious = [res.box.iou(Box(*boxes[i + 1])) for i, res in enumerate(tracked["results"])]
    assert min(ious) > 0.6, ious
    for res in tracked["results"]:
        assert 0 <= res.score <= 1
        d = res.diagnostics
        assert d.attention.shape == (26, 26) and d.response.shape == (26, 26)
        assert d.attention.sum() == pytest.approx(1, abs=1e-4)
        assert d.read_weights.sum() == pytest.approx(1, abs=1e-5)
        assert d.gates.sum() == pytest.approx(1, abs=1e-5)
        assert d.scale in (-1, 0, 1)


def test_first_step_writes_t0_into_slot_zero(tracked):
    after = tracked["after_first"]
    assert torch.equal(after["memory.memory"][0, 0], tracked["t0"][0])
    assert torch.count_nonzero(after["memory.memory"][0, 1:]) == 0
    assert _allocated_slot(tracked["results"][0])[0] == 1


def test_untrained_residual_gate_keeps_the_final_template_near_t0(monkeypatch, clip):
    from tracker import UNTRAINED_WEIGHTS, load_tracker

    trk = load_tracker(UNTRAINED_WEIGHTS, device="cpu")
    frames, boxes = clip
    trk.initialize(frames[0], Box(*boxes[0]))
    for f in frames[1:4]:
        res = trk.track(f)
        assert res.diagnostics.residual_gate == pytest.approx(1 / (1 + np.exp(4.6)), rel=1e-3)
    seen = {}
    real = trk.net.step

    def spy(state, *args, **kwargs):
        new, out = real(state, *args, **kwargs)
        seen["t0"], seen["final"] = state.template0, out.template
        return new, out

    monkeypatch.setattr(trk.net, "step", spy)
    trk.track(frames[2])
    rel = (seen["final"] - seen["t0"]).flatten(1).norm(dim=1) / seen["t0"].flatten(1).norm(dim=1)
    assert float(rel.max()) < 0.02  # r ~ 0.01 times a read of templates of the same target


def test_snapshot_restore_resumes_bit_identically(tracked, clip):
    frames, _ = clip
    trk = tracked["tracker"]
    first = tracked["results"][6:]  # frames 7..10 of the original run
    trk.restore(tracked["snapshot"])
    again = [trk.track(frames[i]) for i in range(7, N_FRAMES)]
    for a, b in zip(first, again):
        assert a.box == b.box and a.score == b.score
        da, db = _diag_arrays(a), _diag_arrays(b)
        for name in da:
            np.testing.assert_array_equal(da[name], db[name], err_msg=name)
    # a snapshot is a copy: tracking on did not change it, and it is bounded in size
    assert tracked["snapshot"].nbytes < 2_000_000


def test_several_targets_in_one_batch_match_tracking_each_alone(clip):
    frames, boxes = clip
    inits = {0: Box(*boxes[0]), 5: Box(90.0, 60.0, 30.0, 22.0)}
    trk = default_tracker()
    for tid, b in inits.items():
        trk.initialize(frames[0], b, target_id=tid)
    batched = [trk.track_all(frames[i]) for i in (1, 2)]
    assert set(batched[0]) == {0, 5}
    for tid, b in inits.items():
        trk = default_tracker()  # emptied
        trk.initialize(frames[0], b, target_id=tid)
        for step, i in enumerate((1, 2)):
            res = trk.track(frames[i])
            np.testing.assert_allclose(res.box.as_tuple(), batched[step][tid].box.as_tuple(), atol=1e-4)
            assert res.diagnostics.scale == batched[step][tid].diagnostics.scale


def test_reseed_reset_starts_over(clip):
    frames, boxes = clip
    trk = default_tracker()
    trk.initialize(frames[0], Box(*boxes[0]))
    trk.track(frames[1])
    trk.track(frames[2])
    corrected = Box(*boxes[3])
    trk.reseed(frames[3], corrected, mode="reset", frame_index=3)
    a = _state(trk)
    assert trk.memory_slots()[0]["frame"] is None and trk._targets[0].box == corrected
    trk.remove(0)
    trk.initialize(frames[3], corrected)  # what a fresh start gives
    b = _state(trk)
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_reseed_update_keeps_memory_and_writes_the_correction_to_the_least_used_slot(clip):
    frames, boxes = clip
    trk = default_tracker()
    trk.initialize(frames[0], Box(*boxes[0]))
    for i in (1, 2, 3):
        trk.track(frames[i])
    before = _state(trk)
    least_used = int(before["memory.usage"][0].argmin())
    corrected = Box(*boxes[4])
    trk.reseed(frames[4], corrected, mode="update", frame_index=4)
    after = _state(trk)
    # memory contents, T0 and the controller state are kept; the target moves to the box
    for name in ("template0", "h", "c", "memory.memory"):
        assert torch.equal(after[name], before[name]), name
    assert trk._targets[0].box == corrected
    correction = trk._targets[0].pending.clone()  # the corrected appearance
    res = trk.track(frames[5], frame_index=5)
    written = _state(trk)
    # written in full (allocation gate 1) into the least-used slot, nothing else touched
    assert torch.equal(written["memory.memory"][0, least_used], correction[0])
    others = [j for j in range(8) if j != least_used]
    assert torch.equal(written["memory.memory"][0, others], before["memory.memory"][0, others])
    assert trk.memory_slots()[least_used]["frame"] == 4
    # the slot holding the correction is not handed out again at once (its write counts as usage)
    assert _allocated_slot(res)[0] != least_used


def test_reseed_retemplate_replaces_t0(clip):
    frames, boxes = clip
    trk = default_tracker()
    trk.initialize(frames[0], Box(*boxes[0]))
    trk.track(frames[1])
    before = _state(trk)
    trk.reseed(frames[2], Box(*boxes[2]), mode="retemplate", frame_index=2)
    after = _state(trk)
    assert torch.equal(after["template0"], trk._targets[0].pending)
    assert not torch.equal(after["template0"], before["template0"])
    assert torch.equal(after["memory.memory"], before["memory.memory"])
    with pytest.raises(ValueError, match="reseed mode"):
        trk.reseed(frames[2], Box(*boxes[2]), mode="bogus")


def test_pin_slot_keeps_content_and_is_never_allocated(tracked, clip):
    frames, _ = clip
    # control: unpinned, slot 1 is allocated at step 1 and written at step 2
    assert torch.count_nonzero(tracked["after_first"]["memory.memory"][0, 1]) == 0
    trk = default_tracker()
    trk.restore(tracked["snapshot"])
    slot = _allocated_slot(tracked["results"][5])[0]  # the slot frame 6 scheduled for allocation
    content = _state(trk)["memory.memory"][0, slot].clone()
    trk.pin_slot(slot)
    assert trk.memory_slots()[slot]["pinned"]
    for i in (7, 8, 9):
        res = trk.track(frames[i])
        assert _allocated_slot(res)[0] != slot
        assert torch.equal(_state(trk)["memory.memory"][0, slot], content)
    # control: unpinned (the original run), that slot was overwritten at frame 7
    assert not torch.allclose(tracked["after_7"]["memory.memory"][0, slot], content)
    trk.pin_slot(slot, False)
    assert not trk.memory_slots()[slot]["pinned"]


def test_evict_slot_zeroes_it_and_it_is_allocated_next(tracked, clip):
    frames, _ = clip
    trk = default_tracker()
    trk.restore(tracked["snapshot"])
    trk.evict_slot(0)
    state = _state(trk)
    assert torch.count_nonzero(state["memory.memory"][0, 0]) == 0 and float(state["memory.usage"][0, 0]) == 0
    assert trk.memory_slots()[0]["frame"] is None
    res = trk.track(frames[7])
    slot, alloc = _allocated_slot(res)
    assert slot == 0
    np.testing.assert_allclose(alloc, np.eye(8)[0], atol=1e-4)
    with pytest.raises(IndexError):
        trk.evict_slot(8)


def test_frozen_writes_keep_the_memory(tracked, clip):
    frames, _ = clip
    trk = default_tracker()
    trk.restore(tracked["snapshot"])
    trk.set_writes_frozen(True)
    memory = _state(trk)["memory.memory"]
    for i in (7, 8):
        trk.track(frames[i])
        assert torch.equal(_state(trk)["memory.memory"], memory)
    trk.set_writes_frozen(False)
    trk.track(frames[9])
    assert not torch.equal(_state(trk)["memory.memory"], memory)


def test_bad_inputs(clip):
    frames, boxes = clip
    trk = default_tracker()
    with pytest.raises(RuntimeError):
        trk.track(frames[0])  # no target yet
    with pytest.raises(BoxError):
        trk.initialize(frames[0], Box(500.0, 10.0, 20.0, 20.0))  # right of the 160 px frame
    with pytest.raises(BoxError):
        trk.initialize(frames[0], Box(-50.0, -50.0, 20.0, 20.0))
    with pytest.raises(ValueError):
        trk.initialize(frames[0].astype(np.float32), Box(*boxes[0]))
    with pytest.raises(ValueError):
        trk.initialize(frames[0][..., 0], Box(*boxes[0]))  # grey (H, W)
    trk.initialize(frames[0], Box(*boxes[0]))
    with pytest.raises(ValueError):
        trk.track(frames[1].astype(np.int16))
    with pytest.raises(BoxError):
        trk.reseed(frames[1], Box(1000.0, 1000.0, 5.0, 5.0), mode="update")
    trk.initialize(frames[0], Box(*boxes[0]), target_id=1)
    with pytest.raises(RuntimeError):
        trk.track(frames[1])  # two targets: track_all
    trk.remove(1)
    with pytest.raises(KeyError):
        trk.remove(1)
    assert trk.target_ids == [0]
    assert trk.describe() == "MemTrack mobilenetv2 on cpu"
