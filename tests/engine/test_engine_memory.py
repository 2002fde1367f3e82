"""Spec section 6: memory state, write, read, allocation, next write weights and usage."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import np_softmax
from tracker.memory import address_next_write, cosine_similarity, initial_memory, read, write

SHAPE = (4, 3, 3)  # (C, K, K), small


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def _random_state(seed: int, batch: int = 2, slots: int = 5):
    g = torch.Generator().manual_seed(seed)
    mem = initial_memory(batch, slots, SHAPE, "cpu", torch.float32)
    return mem.replace(
        memory=torch.randn(batch, slots, *SHAPE, generator=g),
        read_weights=torch.softmax(torch.randn(batch, slots, generator=g), -1),
        write_weights=torch.softmax(torch.randn(batch, slots, generator=g), -1),
        gates=torch.softmax(torch.randn(batch, 3, generator=g), -1),
        decay=torch.rand(batch, 1, generator=g),
        usage=torch.rand(batch, slots, generator=g) * 3,
    )


def test_initial_memory_state():
    """6.5: M = 0, w^r = 0, w^w = one-hot(0), G = (0, 0, 1), D = 0, u = one-hot(0)."""
    mem = initial_memory(3, 8, SHAPE, "cpu", torch.float32)
    assert mem.memory.shape == (3, 8, *SHAPE) and torch.count_nonzero(mem.memory) == 0
    assert torch.count_nonzero(mem.read_weights) == 0
    one_hot0 = torch.zeros(3, 8)
    one_hot0[:, 0] = 1
    assert torch.equal(mem.write_weights, one_hot0)
    assert torch.equal(mem.gates, torch.tensor([[0.0, 0.0, 1.0]] * 3))
    assert torch.equal(mem.decay, torch.zeros(3, 1))
    assert torch.equal(mem.usage, one_hot0)
    assert not mem.pinned.any()


def test_first_write_fills_slot_zero_and_first_allocation_picks_slot_one():
    mem = initial_memory(2, 8, SHAPE, "cpu", torch.float32)
    t0 = torch.randn(2, *SHAPE)
    mem = write(mem, t0)
    assert torch.equal(mem.memory[:, 0], t0)  # fully written (e = 0 * 0 + 1)
    assert torch.count_nonzero(mem.memory[:, 1:]) == 0
    gates = torch.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    rw = torch.full((2, 8), 1 / 8)
    nxt = address_next_write(mem, rw, gates, torch.rand(2, 1), 0.99)
    # w^w_next - g_r w^r is the allocation part: g_a on slot 1
    alloc = (nxt.write_weights - gates[:, 1:2] * rw) / gates[:, 2:3]
    expected = torch.zeros(2, 8)
    expected[:, 1] = 1
    torch.testing.assert_close(alloc, expected)


def test_write_formula_erase_and_blend():
    """6.2: e = D g_r + g_a;  M(j) <- M(j) (1 - w^w(j) e) + w^w(j) e T^new."""
    mem = _random_state(20)
    t_new = torch.randn(2, *SHAPE)
    out = write(mem, t_new)
    m, ww, g, d = _np(mem.memory), _np(mem.write_weights), _np(mem.gates), _np(mem.decay)
    e = d[:, 0] * g[:, 1] + g[:, 2]  # (B,)
    expected = np.empty_like(m)
    for b in range(2):
        for j in range(m.shape[1]):
            rate = ww[b, j] * e[b]
            expected[b, j] = m[b, j] * (1 - rate) + rate * _np(t_new[b])
    np.testing.assert_allclose(_np(out.memory), expected, rtol=1e-5, atol=1e-6)
    # nothing but the memory changes on a write
    for name in ("read_weights", "write_weights", "gates", "decay", "usage", "pinned"):
        assert torch.equal(getattr(out, name), getattr(mem, name))


def test_write_limits_full_overwrite_and_decay_blend():
    mem = _random_state(21, batch=1)
    t_new = torch.randn(1, *SHAPE)
    ww = torch.zeros(1, 5)
    ww[0, 3] = 1
    # G_a = 1: slot fully overwritten
    out = write(mem.replace(write_weights=ww, gates=torch.tensor([[0.0, 0.0, 1.0]])), t_new)
    torch.testing.assert_close(out.memory[0, 3], t_new[0])
    # G_r = 1: blended with rate D
    out = write(mem.replace(write_weights=ww, gates=torch.tensor([[0.0, 1.0, 0.0]]),
                            decay=torch.tensor([[0.25]])), t_new)
    torch.testing.assert_close(out.memory[0, 3], 0.75 * mem.memory[0, 3] + 0.25 * t_new[0])
    # G_w = 1: no write at all
    out = write(mem.replace(write_weights=ww, gates=torch.tensor([[1.0, 0.0, 0.0]])), t_new)
    assert torch.equal(out.memory, mem.memory)


def test_write_skips_pinned_slots():
    mem = _random_state(22)
    pinned = torch.zeros(2, 5, dtype=torch.bool)
    pinned[0, 1] = True
    out = write(mem.replace(pinned=pinned), torch.randn(2, *SHAPE))
    assert torch.equal(out.memory[0, 1], mem.memory[0, 1])
    assert not torch.equal(out.memory[1, 1], mem.memory[1, 1])


def test_cosine_similarity_with_epsilons():
    """C_j = k.kappa_j / (sqrt(|k|^2 + 1e-6) sqrt(|kappa_j|^2 + 1e-6) + 1e-6)."""
    g = torch.Generator().manual_seed(23)
    key = torch.randn(2, 4, generator=g, dtype=torch.float64) * 1e-3  # small norms: the epsilons matter
    keys = torch.randn(2, 5, 4, generator=g, dtype=torch.float64) * 1e-3
    keys[0, 2] = 0  # an empty slot
    got = _np(cosine_similarity(key, keys))
    k, kk = _np(key), _np(keys)
    for b in range(2):
        for j in range(5):
            den = np.sqrt(k[b] @ k[b] + 1e-6) * np.sqrt(kk[b, j] @ kk[b, j] + 1e-6) + 1e-6
            assert got[b, j] == pytest.approx(k[b] @ kk[b, j] / den, rel=1e-9, abs=1e-15)
    assert got[0, 2] == 0
    # large vectors: plain cosine
    a = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    assert float(cosine_similarity(a, a[:, None] * 10)) == pytest.approx(1.0, abs=1e-6)


def test_read_over_all_zero_memory_is_uniform():
    mem = initial_memory(2, 8, SHAPE, "cpu", torch.float32)
    retrieved, w = read(mem, torch.randn(2, 4), torch.tensor([[3.0], [0.5]]))
    torch.testing.assert_close(w, torch.full((2, 8), 1 / 8))
    assert torch.count_nonzero(retrieved) == 0


def test_read_weights_and_retrieved_template():
    """kappa_j = K x K mean of slot j; w^r = softmax_j(beta C_j) over all N slots;
    T^retr = sum_j w^r(j) M(j)."""
    mem = _random_state(24)
    mem = mem.replace(memory=mem.memory.clone())
    mem.memory[1, 4] = 0  # an empty slot still takes part in the softmax
    g = torch.Generator().manual_seed(25)
    key = torch.randn(2, 4, generator=g)
    beta = torch.tensor([[2.5], [0.7]])
    retrieved, w = read(mem, key, beta)
    m = _np(mem.memory)
    for b in range(2):
        kappa = m[b].mean(axis=(2, 3))  # (N, C)
        k = _np(key[b])
        sims = np.array([k @ kj / (np.sqrt(k @ k + 1e-6) * np.sqrt(kj @ kj + 1e-6) + 1e-6) for kj in kappa])
        wr = np_softmax(_np(beta[b])[0] * sims)
        np.testing.assert_allclose(_np(w[b]), wr, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(_np(retrieved[b]), np.tensordot(wr, m[b], axes=1), rtol=1e-5, atol=1e-6)
    assert float(w[1, 4]) > 0


def test_allocation_argmin_ties_to_lowest_index():
    mem = initial_memory(3, 5, SHAPE, "cpu", torch.float32)
    usage = torch.tensor([[2.0, 0.5, 0.5, 1.0, 0.5],  # three-way tie -> slot 1
                          [0.0, 0.0, 0.0, 0.0, 0.0],  # all equal -> slot 0
                          [3.0, 2.0, 1.0, 0.9, 1.0]])  # plain minimum -> slot 3
    mem = mem.replace(usage=usage)
    gates = torch.tensor([[0.0, 0.0, 1.0]] * 3)
    nxt = address_next_write(mem, torch.zeros(3, 5), gates, torch.zeros(3, 1), 0.99)
    assert nxt.write_weights.argmax(-1).tolist() == [1, 0, 3]
    assert torch.equal(nxt.write_weights.sum(-1), torch.ones(3))


def test_allocation_has_no_gradient():
    mem = initial_memory(1, 4, SHAPE, "cpu", torch.float32)
    usage = torch.tensor([[1.0, 0.2, 0.7, 0.4]], requires_grad=True)
    rw = torch.tensor([[0.1, 0.2, 0.3, 0.4]], requires_grad=True)
    gates = torch.tensor([[0.2, 0.3, 0.5]], requires_grad=True)
    nxt = address_next_write(mem.replace(usage=usage), rw, gates, torch.zeros(1, 1), 0.99)
    nxt.write_weights.sum().backward()
    assert usage.grad is None  # stop-grad on u in the allocation
    assert rw.grad is not None and gates.grad is not None


def test_next_write_weights_and_usage_update():
    """6.4: w^w_next = g_r w^r + g_a w^a;  u_t = lambda u_{t-1} + w^r + w^w_next; state stores them."""
    mem = _random_state(26)
    g = torch.Generator().manual_seed(27)
    rw = torch.softmax(torch.randn(2, 5, generator=g), -1)
    gates = torch.softmax(torch.randn(2, 3, generator=g), -1)
    decay = torch.rand(2, 1, generator=g)
    for lam in (0.99, 0.5):
        nxt = address_next_write(mem, rw, gates, decay, lam)
        u = _np(mem.usage)
        wa = np.eye(5)[u.argmin(-1)]  # (B, N), from the usage before the update
        ww = _np(gates)[:, 1:2] * _np(rw) + _np(gates)[:, 2:3] * wa
        np.testing.assert_allclose(_np(nxt.write_weights), ww, rtol=1e-6)
        np.testing.assert_allclose(_np(nxt.usage), lam * u + _np(rw) + ww, rtol=1e-6)
        assert torch.equal(nxt.read_weights, rw) and torch.equal(nxt.gates, gates)
        assert torch.equal(nxt.decay, decay)
        assert torch.equal(nxt.memory, mem.memory)


def test_pinned_slot_never_allocated():
    mem = initial_memory(1, 4, SHAPE, "cpu", torch.float32)
    mem = mem.replace(usage=torch.tensor([[0.9, 0.1, 0.5, 0.3]]))
    pinned = torch.tensor([[False, True, False, False]])
    nxt = address_next_write(mem.replace(pinned=pinned), torch.zeros(1, 4), torch.tensor([[0.0, 0.0, 1.0]]),
                             torch.zeros(1, 1), 0.99)
    assert int(nxt.write_weights.argmax()) == 3
    # the usage itself is still the real one (not the +inf mask)
    assert torch.isfinite(nxt.usage).all()
