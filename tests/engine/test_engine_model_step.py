"""Spec 3 step 4, 6.2 (deferred write) and 7: one memory-network step of MemTrackNet recomputed by hand,
with the residual template T0 + r * T_retr and the response BN_resp(phi(x) * T_final)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import (np_avgpool, np_layernorm, np_sigmoid, np_softmax, np_softplus, np_xcorr)
from tracker.config import ModelConfig
from tracker.memory import initial_memory
from tracker.model import MemTrackNet, NetState

SLOTS = 4


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


@pytest.fixture(scope="module")
def net() -> MemTrackNet:
    """AlexNet-shaped network (256 channels, 6x6 template) with every parameter randomised."""
    torch.manual_seed(30)
    net = MemTrackNet(ModelConfig(backbone="alexnet", memory_slots=SLOTS, attention_dim=16, lstm_units=12,
                                  usage_decay=0.97))
    with torch.no_grad():
        for name, p in net.named_parameters():
            if not name.startswith("backbone."):
                p.copy_(torch.randn_like(p) * (0.3 if p.dim() > 1 else 0.5))
        net.heads.residual.bias.fill_(0.0)  # r ~ 0.5: the memory visibly contributes
        net.bn_response.running_mean.fill_(0.7)
        net.bn_response.running_var.fill_(3.0)
        net.bn_response.weight.fill_(1.3)
        net.bn_response.bias.fill_(-0.2)
    return net.eval()


def _random_state(net: MemTrackNet, seed: int, batch: int = 2) -> NetState:
    g = torch.Generator().manual_seed(seed)
    c, k = 256, 6
    u = net.config.lstm_units
    mem = initial_memory(batch, SLOTS, (c, k, k), "cpu", torch.float32).replace(
        memory=torch.randn(batch, SLOTS, c, k, k, generator=g),
        read_weights=torch.softmax(torch.randn(batch, SLOTS, generator=g), -1),
        write_weights=torch.softmax(torch.randn(batch, SLOTS, generator=g), -1),
        gates=torch.softmax(torch.randn(batch, 3, generator=g), -1),
        decay=torch.rand(batch, 1, generator=g),
        usage=torch.rand(batch, SLOTS, generator=g) * 2,
    )
    return NetState(torch.randn(batch, c, k, k, generator=g), torch.randn(batch, u, generator=g).tanh(),
                    torch.randn(batch, u, generator=g), mem)


def _reference_step(net: MemTrackNet, s: NetState, t_new: torch.Tensor, x: torch.Tensor, b: int) -> dict:
    """One step for sequence b, in float64 numpy, straight from the spec."""
    p = {k: _np(v) for k, v in net.state_dict().items() if not k.startswith("backbone.")}
    m, ww = _np(s.memory.memory[b]), _np(s.memory.write_weights[b])
    g_old, d_old, u_old = _np(s.memory.gates[b]), _np(s.memory.decay[b])[0], _np(s.memory.usage[b])
    # 6.2 deferred write with the stored (previous step's) weights and gates
    e = d_old * g_old[1] + g_old[2]
    m = np.stack([m[j] * (1 - ww[j] * e) + ww[j] * e * _np(t_new[b]) for j in range(SLOTS)])
    # 4 attention with h_{t-1}
    xs = _np(x[b])
    pooled = np_avgpool(xs, 6).reshape(256, -1).T  # (L, C)
    h_prev, c_prev = _np(s.h[b]), _np(s.c[b])
    scores = np.tanh(pooled @ p["attention.w_f.weight"][:, :, 0, 0].T + p["attention.w_h.weight"] @ h_prev
                     + p["attention.w_h.bias"]) @ p["attention.w_a.weight"][0, :, 0, 0]
    alpha = np_softmax(scores)
    a = alpha @ pooled
    # 5 LSTM
    units = len(h_prev)
    q = p["lstm.weight.weight"] @ np.concatenate([a, h_prev])
    i, j, f, o = (np_layernorm(q[n * units : (n + 1) * units], p[f"lstm.ln.{n}.weight"],
                               p[f"lstm.ln.{n}.bias"], 1e-12) for n in range(4))
    c_new = np_layernorm(c_prev * np_sigmoid(f + 1) + np_sigmoid(i) * np.tanh(j), p["lstm.ln_c.weight"],
                         p["lstm.ln_c.bias"], 1e-12)
    h_new = np.tanh(c_new) * np_sigmoid(o)

    def dense(name):
        return p[f"heads.{name}.weight"] @ h_new + p[f"heads.{name}.bias"]

    gates, decay = np_softmax(dense("gates")), np_sigmoid(dense("decay"))
    r, key, beta = np_sigmoid(dense("residual")), dense("key"), np_softplus(dense("strength"))
    # 6.3 read
    kappa = m.mean(axis=(2, 3))
    sims = np.array([key @ kj / (np.sqrt(key @ key + 1e-6) * np.sqrt(kj @ kj + 1e-6) + 1e-6) for kj in kappa])
    wr = np_softmax(beta * sims)
    retr = np.tensordot(wr, m, axes=1)
    # 7 residual template and response
    final = _np(s.template0[b]) + r[:, None, None] * retr
    raw = np_xcorr(xs, final)
    a_bn = p["bn_response.weight"][0] / np.sqrt(p["bn_response.running_var"][0] + 1e-3)
    resp = a_bn * (raw - p["bn_response.running_mean"][0]) + p["bn_response.bias"][0]
    # 6.4 allocation from the usage before this step, next write weights, usage
    wa = np.eye(SLOTS)[int(np.argmin(u_old))]
    ww_next = gates[1] * wr + gates[2] * wa
    usage = 0.97 * u_old + wr + ww_next
    return dict(memory=m, alpha=alpha, h=h_new, c=c_new, gates=gates, decay=decay, residual=r, key=key,
                beta=beta, read=wr, final=final, raw=raw, response=resp, write_weights=ww_next, usage=usage)


def test_step_matches_hand_computation(net):
    s = _random_state(net, 31)
    g = torch.Generator().manual_seed(32)
    t_new = torch.randn(2, 256, 6, 6, generator=g)
    x = torch.randn(2, 256, 22, 22, generator=g)
    with torch.no_grad():
        new, out = net.step(s, t_new, x)
    close = dict(rtol=2e-4, atol=2e-4)
    for b in range(2):
        ref = _reference_step(net, s, t_new, x, b)
        np.testing.assert_allclose(_np(new.memory.memory[b]), ref["memory"], **close)
        np.testing.assert_allclose(_np(out.attention[b]).ravel(), ref["alpha"], **close)
        np.testing.assert_allclose(_np(new.h[b]), ref["h"], **close)
        np.testing.assert_allclose(_np(new.c[b]), ref["c"], **close)
        np.testing.assert_allclose(_np(out.controls.gates[b]), ref["gates"], **close)
        np.testing.assert_allclose(_np(out.controls.residual[b]), ref["residual"], **close)
        np.testing.assert_allclose(_np(out.controls.strength[b]), ref["beta"], **close)
        np.testing.assert_allclose(_np(out.read_weights[b]), ref["read"], **close)
        np.testing.assert_allclose(_np(out.template[b]), ref["final"], **close)
        np.testing.assert_allclose(_np(out.raw_response[b]), ref["raw"], rtol=2e-4, atol=2e-3)
        np.testing.assert_allclose(_np(out.response[b]), ref["response"], rtol=2e-4, atol=2e-3)
        np.testing.assert_allclose(_np(new.memory.write_weights[b]), ref["write_weights"], **close)
        np.testing.assert_allclose(_np(new.memory.gates[b]), ref["gates"], **close)
        np.testing.assert_allclose(_np(new.memory.decay[b]), ref["decay"], **close)
        np.testing.assert_allclose(_np(new.memory.usage[b]), ref["usage"], **close)
        np.testing.assert_allclose(_np(new.memory.read_weights[b]), ref["read"], **close)
    assert torch.equal(new.template0, s.template0)  # T0 is fixed


def test_residual_template_is_t0_plus_gated_read(net):
    """7: T_final = T0 + r * T_retr with r broadcast over K x K (equivalently r applied to each slot)."""
    s = _random_state(net, 33)
    x = torch.randn(2, 256, 22, 22)
    with torch.no_grad():
        new, out = net.step(s, torch.randn(2, 256, 6, 6), x)
    # recover T_retr from the read weights and the written memory
    retr = torch.einsum("bn,bnckl->bckl", out.read_weights, new.memory.memory)
    torch.testing.assert_close(out.template, s.template0 + out.controls.residual[:, :, None, None] * retr)
    per_slot = torch.einsum("bn,bnckl->bckl", out.read_weights,
                            new.memory.memory * out.controls.residual[:, None, :, None, None])
    torch.testing.assert_close(out.template, s.template0 + per_slot, rtol=1e-5, atol=1e-5)


def test_deferred_write_uses_previous_steps_gates(net):
    """6.2 / pitfall 6: the gates computed at step t are applied at step t+1 to the template of frame t."""
    t0 = torch.randn(1, 256, 6, 6)
    x1, x2, x3 = (torch.randn(1, 256, 22, 22) for _ in range(3))
    t1, t2 = torch.randn(1, 256, 6, 6), torch.randn(1, 256, 6, 6)
    with torch.no_grad():
        s0 = net.init_state(t0)
        s1, out1 = net.step(s0, t0, x1)
        # step 1 wrote T0 fully into slot 0 and nothing else: its own gates are not applied yet
        assert torch.equal(s1.memory.memory[0, 0], t0[0])
        assert torch.count_nonzero(s1.memory.memory[0, 1:]) == 0
        s2, out2 = net.step(s1, t1, x2)
        e1 = out1.controls.decay * out1.controls.gates[:, 1:2] + out1.controls.gates[:, 2:3]  # (1, 1)
        rate = (s1.memory.write_weights * e1)[0]  # step 1's weights and gates
        expected = s1.memory.memory[0] * (1 - rate[:, None, None, None]) + rate[:, None, None, None] * t1[0]
        torch.testing.assert_close(s2.memory.memory[0], expected)
        # step 2's own gates differ and would have given another memory
        assert not torch.allclose(out2.controls.gates, out1.controls.gates)
        s3, _ = net.step(s2, t2, x3)
        e2 = out2.controls.decay * out2.controls.gates[:, 1:2] + out2.controls.gates[:, 2:3]
        rate2 = (s2.memory.write_weights * e2)[0]
        r2 = rate2[:, None, None, None]
        expected3 = s2.memory.memory[0] * (1 - r2) + r2 * t2[0]
        torch.testing.assert_close(s3.memory.memory[0], expected3)
        # first allocation picked slot 1: the allocation part of step 1's write weights
        g1 = out1.controls.gates
        alloc = (s1.memory.write_weights - g1[:, 1:2] * out1.read_weights) / g1[:, 2:3]
        torch.testing.assert_close(alloc, torch.tensor([[0.0, 1.0, 0.0, 0.0]]), rtol=1e-5, atol=1e-5)
        # read over the memory that holds T0 in slot 0 only
        assert out1.read_weights.shape == (1, SLOTS)


def test_initial_state_from_t0(net):
    """5: h0, c0 from k0 = mean of T0; 6.5 memory initial state."""
    t0 = torch.randn(2, 256, 6, 6)
    with torch.no_grad():
        s = net.init_state(t0)
    k0 = _np(t0).mean(axis=(2, 3))
    p = {k: _np(v) for k, v in net.state_dict().items()}
    np.testing.assert_allclose(_np(s.h), np.tanh(k0 @ p["initial_state.dense_h.weight"].T
                                                 + p["initial_state.dense_h.bias"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(s.c), np.tanh(k0 @ p["initial_state.dense_c.weight"].T
                                                 + p["initial_state.dense_c.bias"]), rtol=1e-5, atol=1e-6)
    assert torch.equal(s.template0, t0)
    assert torch.count_nonzero(s.memory.memory) == 0


def test_forward_clip_equals_stepping(net):
    """8.2 step 5 (teacher forcing): exemplar 0 is T0 and the first write; step t writes exemplar t."""
    torch.manual_seed(35)
    z = torch.rand(1, 2, 3, 127, 127)
    x = torch.rand(1, 2, 3, 255, 255)
    with torch.no_grad():
        clip = net.forward_clip(z, x)
        tz = net.embed_exemplar(z[0])  # (2, C, 6, 6)
        fx = net.embed_search(x[0])  # (2, C, 22, 22)
        s = net.init_state(tz[0:1])
        s, o1 = net.step(s, tz[0:1], fx[0:1])
        s, o2 = net.step(s, tz[1:2], fx[1:2])
    assert clip.shape == (1, 2, 17, 17)
    torch.testing.assert_close(clip[0, 0], o1.response[0], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(clip[0, 1], o2.response[0], rtol=1e-4, atol=1e-4)
