"""tracker.memory's pure functions against small numpy references: erase and effective write (with pins
and frozen writes), allocation, the correction's scheduled write, keeping slots on a reset, a keyframe
stored in a pinned slot, pin, evict; none of them changes the state it is given."""
from __future__ import annotations

import numpy as np
import torch

from tracker import memory as m

B, N, C, K = 2, 4, 3, 2


def state(seed: int = 0) -> m.MemoryState:
    g = torch.Generator().manual_seed(seed)
    gates = torch.softmax(torch.randn(B, 3, generator=g), -1)
    return m.MemoryState(
        memory=torch.randn(B, N, C, K, K, generator=g),
        read_weights=torch.softmax(torch.randn(B, N, generator=g), -1),
        write_weights=torch.softmax(torch.randn(B, N, generator=g), -1),
        gates=gates,
        decay=torch.rand(B, 1, generator=g),
        usage=torch.tensor([[0.5, 0.1, 0.1, 0.9], [0.3, 0.2, 0.7, 0.05]]),
        pinned=torch.tensor([[False, True, False, False], [False, False, False, True]]),
    )


def copy(s: m.MemoryState) -> dict:
    return {k: v.clone() for k, v in s.__dict__.items()}


def unchanged(s: m.MemoryState, before: dict) -> bool:
    return all(torch.equal(getattr(s, k), v) for k, v in before.items())


def test_effective_write_and_write_match_numpy():
    s = state()
    before = copy(s)
    e = s.decay.numpy() * s.gates[:, 1:2].numpy() + s.gates[:, 2:3].numpy()  # (B, 1)
    w = s.write_weights.numpy() * e
    w[s.pinned.numpy()] = 0.0
    np.testing.assert_allclose(m.erase_amount(s).numpy(), e, rtol=1e-6)
    np.testing.assert_allclose(m.effective_write(s).numpy(), w, rtol=1e-6)
    frozen = torch.tensor([True, False])
    wf = w.copy()
    wf[0] = 0.0
    np.testing.assert_allclose(m.effective_write(s, frozen).numpy(), wf, rtol=1e-6)
    template = torch.randn(B, C, K, K)
    ww = w[:, :, None, None, None]
    expected = s.memory.numpy() * (1 - ww) + ww * template.numpy()[:, None]
    np.testing.assert_allclose(m.write(s, template).memory.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(m.write(s, template).memory[0, 1], s.memory[0, 1])  # the pinned slot kept its content
    assert unchanged(s, before)


def test_freeze_writes_zeroes_the_frozen_sequences_write_weights_only():
    s = state()
    before = copy(s)
    f = m.freeze_writes(s, torch.tensor([False, True]))
    assert torch.equal(f.write_weights[0], s.write_weights[0]) and not f.write_weights[1].any()
    assert unchanged(s, before)


def test_allocation_is_the_least_used_unpinned_slot_ties_to_the_lowest_index():
    s = state()
    alloc = m.allocation(s.usage, s.pinned).numpy()
    u = s.usage.numpy().copy()
    u[s.pinned.numpy()] = np.inf
    expected = np.eye(N)[u.argmin(-1)]
    np.testing.assert_array_equal(alloc, expected)
    assert alloc[0].argmax() == 2  # slot 1 ties at 0.1 but is pinned
    ties = torch.tensor([[0.2, 0.2, 0.2, 0.2]])
    assert m.allocation(ties, torch.zeros(1, N, dtype=torch.bool)).argmax().item() == 0


def test_address_next_write_uses_the_same_allocation():
    s = state()
    read_w = torch.softmax(torch.randn(B, N), -1)
    gates = torch.softmax(torch.randn(B, 3), -1)
    decay = torch.rand(B, 1)
    out = m.address_next_write(s, read_w, gates, decay, usage_decay=0.9)
    alloc = m.allocation(s.usage, s.pinned)
    expected_w = gates[:, 1:2] * read_w + gates[:, 2:3] * alloc
    assert torch.allclose(out.write_weights, expected_w)
    assert torch.allclose(out.usage, 0.9 * s.usage + read_w + expected_w)


def test_a_correction_schedules_a_full_write_into_the_allocated_slot_and_counts_it_as_usage():
    s = state()
    before = copy(s)
    c = m.schedule_correction_write(s)
    alloc = m.allocation(s.usage, s.pinned)
    assert torch.equal(c.write_weights, alloc)
    assert c.gates.tolist() == [[0.0, 0.0, 1.0]] * B
    assert torch.equal(c.usage, s.usage + alloc)
    assert torch.equal(c.memory, s.memory) and unchanged(s, before)


def test_keep_slots_keeps_only_the_chosen_slots_of_the_old_memory():
    old, fresh = state(0), state(1)
    keep = torch.tensor([[True, False, False, False], [False, False, True, True]])
    k = m.keep_slots(fresh, old, keep)
    for b in range(B):
        for j in range(N):
            src = old if keep[b, j] else fresh
            assert torch.equal(k.memory[b, j], src.memory[b, j])
            assert k.usage[b, j] == (old.usage[b, j] if keep[b, j] else 0.0)
    assert torch.equal(k.pinned, keep) and torch.equal(k.write_weights, fresh.write_weights)


def test_store_pinned_writes_the_keyframe_at_once_and_schedules_no_write():
    s = state()
    before = copy(s)
    template = torch.randn(B, C, K, K)
    k = m.store_pinned(s, 2, template)
    assert torch.equal(k.memory[:, 2], template) and k.pinned[:, 2].all() and (k.usage[:, 2] == 1).all()
    assert not k.write_weights.any() and not k.gates.any()
    assert torch.equal(k.memory[:, 0], s.memory[:, 0]) and unchanged(s, before)


def test_pin_and_evict():
    s = state()
    before = copy(s)
    p = m.pin(s, 3)
    assert p.pinned[:, 3].all() and torch.equal(p.pinned[:, :3], s.pinned[:, :3])
    assert not m.pin(p, 3, False).pinned[:, 3].any()
    e = m.evict(s, 1)
    assert not e.memory[:, 1].any() and not e.usage[:, 1].any() and not e.pinned[:, 1].any()
    assert m.allocation(e.usage, e.pinned)[0].argmax() == 1  # an evicted slot is the next allocated
    assert unchanged(s, before)


def test_least_used_unpinned():
    s = state()
    assert m.least_used_unpinned(s, 0) == 2 and m.least_used_unpinned(s, 1) == 1
    all_pinned = s.replace(pinned=torch.ones(B, N, dtype=torch.bool))
    assert m.least_used_unpinned(all_pinned) is None
