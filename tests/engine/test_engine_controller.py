"""Spec sections 4 and 5: attention, the layer-normalised LSTM, the initial state and the control heads,
each recomputed by hand in float64 numpy from the module's own parameters."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

import tracker.controller as controller_module
from engine_support import np_avgpool, np_layernorm, np_sigmoid, np_softmax, np_softplus
from tracker.controller import Attention, ControlHeads, InitialState, LayerNormLSTMCell


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().double().numpy()


def test_attention_structure():
    att = Attention(channels=16, hidden=12, lstm_units=10, template_cells=6)
    assert isinstance(att.pool, nn.AvgPool2d) and att.pool.kernel_size == 6 and att.pool.stride == 1
    assert att.w_f.bias is None  # W_f: 1x1 conv, no bias
    assert att.w_a.bias is None  # w_a: 1x1 conv, no bias
    assert att.w_h.bias is not None  # W_h carries the bias b
    assert tuple(att.w_f.weight.shape) == (12, 16, 1, 1)
    assert tuple(att.w_h.weight.shape) == (12, 10)
    assert tuple(att.w_a.weight.shape) == (1, 12, 1, 1)


@pytest.mark.parametrize("cells", [6, 7])
def test_attention_matches_hand_computation(cells):
    """f* = k x k mean (k = template size); s_i = w_a . tanh(W_f f*_i + W_h h + b);
    alpha = softmax over all positions; a = sum_i alpha_i f*_i (un-transformed)."""
    torch.manual_seed(10)
    c, hidden, units, side = 8, 5, 7, cells + 4
    att = Attention(c, hidden, units, cells)
    with torch.no_grad():
        att.w_h.bias.normal_()  # non-zero b so the bias path is exercised
    x = torch.randn(2, c, side, side)
    h = torch.randn(2, units)
    a, alpha = att(x, h)
    assert a.shape == (2, c) and alpha.shape == (2, side - cells + 1, side - cells + 1)
    wf = _np(att.w_f.weight)[:, :, 0, 0]
    wh, bh = _np(att.w_h.weight), _np(att.w_h.bias)
    wa = _np(att.w_a.weight)[0, :, 0, 0]
    for b in range(2):
        pooled = np_avgpool(_np(x[b]), cells)  # (C, L1, L2)
        f = pooled.reshape(c, -1).T  # (L, C)
        s = np.tanh(f @ wf.T + wh @ _np(h[b]) + bh) @ wa  # (L,)
        al = np_softmax(s)
        np.testing.assert_allclose(_np(alpha[b]).ravel(), al, rtol=1e-5, atol=1e-7)
        assert _np(alpha[b]).sum() == pytest.approx(1.0, abs=1e-5)
        np.testing.assert_allclose(_np(a[b]), al @ f, rtol=1e-5, atol=1e-6)


def _lstm_reference(cell: LayerNormLSTMCell, x, h, c, g_transform=None):
    """TF LayerNormBasicLSTMCell by hand: q = [x; h] W; chunks (i, j, f, o), each LN'd (eps 1e-12)."""
    u = cell.units
    q = np.concatenate([_np(x), _np(h)], axis=-1) @ _np(cell.weight.weight).T  # (B, 4U)
    chunks = [q[:, k * u : (k + 1) * u] for k in range(4)]
    ln = [np_layernorm(ch, _np(m.weight), _np(m.bias), 1e-12) for ch, m in zip(chunks, cell.ln)]
    i, j, f, o = ln
    g = np.tanh(j)
    if g_transform is not None:
        g = g_transform(g)
    c_new = _np(c) * np_sigmoid(f + 1.0) + np_sigmoid(i) * g
    c_new = np_layernorm(c_new, _np(cell.ln_c.weight), _np(cell.ln_c.bias), 1e-12)
    return np.tanh(c_new) * np_sigmoid(o), c_new, g


def _random_lstm(seed: int) -> LayerNormLSTMCell:
    torch.manual_seed(seed)
    cell = LayerNormLSTMCell(6, 9, keep_prob=0.8)
    with torch.no_grad():  # distinct, non-trivial LN parameters per chunk
        for m in [*cell.ln, cell.ln_c]:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
    return cell


def test_lstm_structure():
    cell = LayerNormLSTMCell(256, 512)
    assert cell.weight.bias is None and tuple(cell.weight.weight.shape) == (2048, 768)
    assert len(cell.ln) == 4
    for m in [*cell.ln, cell.ln_c]:
        assert m.eps == 1e-12 and tuple(m.normalized_shape) == (512,)
        assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    # five LayerNorms with their own parameters
    assert len({id(m.weight) for m in [*cell.ln, cell.ln_c]}) == 5


def test_lstm_eval_matches_hand_computation():
    cell = _random_lstm(11).eval()
    x, h, c = torch.randn(3, 6), torch.randn(3, 9), torch.randn(3, 9)
    h1, c1 = cell(x, h, c)
    h_ref, c_ref, _ = _lstm_reference(cell, x, h, c)
    np.testing.assert_allclose(_np(c1), c_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(h1), h_ref, rtol=1e-4, atol=1e-5)
    # eval is deterministic: no dropout
    h2, c2 = cell(x, h, c)
    assert torch.equal(h1, h2) and torch.equal(c1, c2)


def test_lstm_forget_bias_and_gate_order():
    """Permuting the (i, j, f, o) blocks of W changes the result: the order is not symmetric, and
    the reference with chunk order (i, j, f, o) and forget bias +1 is the one that matches."""
    cell = _random_lstm(12).eval()
    x, h, c = torch.randn(2, 6), torch.randn(2, 9), torch.randn(2, 9)
    h1, c1 = cell(x, h, c)
    u = cell.units
    q = np.concatenate([_np(x), _np(h)], -1) @ _np(cell.weight.weight).T
    i, j, f, o = (np_layernorm(q[:, k * u : (k + 1) * u], _np(m.weight), _np(m.bias), 1e-12)
                  for k, m in enumerate(cell.ln))
    # forget bias 0 instead of 1 gives a different cell state
    c_no_bias = np_layernorm(_np(c) * np_sigmoid(f) + np_sigmoid(i) * np.tanh(j), _np(cell.ln_c.weight),
                             _np(cell.ln_c.bias), 1e-12)
    assert np.abs(c_no_bias - _np(c1)).max() > 1e-3
    # swapping f and o gives a different cell state too
    c_swapped = np_layernorm(_np(c) * np_sigmoid(o + 1) + np_sigmoid(i) * np.tanh(j), _np(cell.ln_c.weight),
                             _np(cell.ln_c.bias), 1e-12)
    assert np.abs(c_swapped - _np(c1)).max() > 1e-3


def test_lstm_layernorm_on_cell_state():
    """The carried cell state is the LN_c output: zero mean, unit variance before gain and shift."""
    torch.manual_seed(13)
    cell = LayerNormLSTMCell(6, 9).eval()
    _, c1 = cell(torch.randn(4, 6), torch.randn(4, 9), torch.randn(4, 9) * 5)
    np.testing.assert_allclose(_np(c1).mean(-1), 0, atol=1e-6)
    np.testing.assert_allclose(_np(c1).var(-1), 1, atol=1e-5)


def test_lstm_dropout_only_on_g_in_training(monkeypatch):
    """Training: dropout with keep 0.8 (inverted scaling) acts on g only, exactly once."""
    cell = _random_lstm(14).train()
    calls = []
    real_dropout = controller_module.F.dropout

    def spy(t, p=0.5, training=True, inplace=False):
        out = real_dropout(t, p=p, training=training, inplace=inplace)
        calls.append((t.detach().clone(), out.detach().clone(), p, training))
        return out

    monkeypatch.setattr(controller_module.F, "dropout", spy)
    torch.manual_seed(15)
    x, h, c = torch.randn(64, 6), torch.randn(64, 9), torch.randn(64, 9)
    h1, c1 = cell(x, h, c)
    assert len(calls) == 1
    g_in, g_out, p, training = calls[0]
    assert p == pytest.approx(0.2) and training
    # what was dropped is g = tanh(LN_j(q_j))
    _, _, g_ref = _lstm_reference(cell, x, h, c)
    np.testing.assert_allclose(_np(g_in), g_ref, rtol=1e-4, atol=1e-6)
    # inverted dropout: every element is either 0 or g / 0.8, and about 20 % are zero
    kept = g_out != 0
    np.testing.assert_allclose(_np(g_out[kept]), _np(g_in[kept]) / 0.8, rtol=1e-5)
    assert 0.1 < 1 - kept.float().mean().item() < 0.3
    # the rest of the cell uses the dropped g and nothing else is dropped
    h_ref, c_ref, _ = _lstm_reference(cell, x, h, c, g_transform=lambda g: _np(g_out))
    np.testing.assert_allclose(_np(c1), c_ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(h1), h_ref, rtol=1e-4, atol=1e-5)
    # eval: no dropout call at all
    calls.clear()
    cell.eval()
    cell(x, h, c)
    assert calls == []


def test_initial_state_matches_hand_computation():
    """k0 = 6x6 mean of T0; c0 = tanh(Dense_c k0), h0 = tanh(Dense_h k0), separate layers with bias."""
    torch.manual_seed(16)
    init = InitialState(channels=8, units=5)
    assert init.dense_c is not init.dense_h
    assert init.dense_c.bias is not None and init.dense_h.bias is not None
    with torch.no_grad():
        init.dense_c.bias.normal_()
        init.dense_h.bias.normal_()
    t0 = torch.randn(2, 8, 6, 6)
    h0, c0 = init(t0)
    k0 = _np(t0).mean(axis=(2, 3))
    np.testing.assert_allclose(_np(h0), np.tanh(k0 @ _np(init.dense_h.weight).T + _np(init.dense_h.bias)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(c0), np.tanh(k0 @ _np(init.dense_c.weight).T + _np(init.dense_c.bias)),
                               rtol=1e-5, atol=1e-6)


def test_control_heads_initialisation():
    heads = ControlHeads(units=16, channels=8, residual_gate_bias=-4.6)
    assert torch.all(heads.strength.bias == 1.0)  # beta_hat bias starts at 1.0
    for m in (heads.gates, heads.decay, heads.key):
        assert torch.count_nonzero(m.bias) == 0
    # residual gate starts near zero for every input: r = sigmoid(-4.6) ~ 0.01
    r = heads(torch.randn(5, 16)).residual
    np.testing.assert_allclose(_np(r), 1 / (1 + np.exp(4.6)), rtol=1e-5)


def test_control_heads_match_hand_computation():
    torch.manual_seed(17)
    heads = ControlHeads(units=16, channels=8, residual_gate_bias=-4.6)
    with torch.no_grad():
        for m in (heads.gates, heads.decay, heads.residual, heads.key, heads.strength):
            m.weight.normal_(0, 0.5)
            m.bias.normal_(0, 0.5)
    h = torch.randn(4, 16)
    ctl = heads(h)

    def dense(m):
        return _np(h) @ _np(m.weight).T + _np(m.bias)

    assert ctl.gates.shape == (4, 3) and ctl.decay.shape == (4, 1) and ctl.strength.shape == (4, 1)
    assert ctl.residual.shape == (4, 8) and ctl.key.shape == (4, 8)
    np.testing.assert_allclose(_np(ctl.gates), np_softmax(dense(heads.gates)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(ctl.gates).sum(-1), 1, atol=1e-6)
    np.testing.assert_allclose(_np(ctl.decay), np_sigmoid(dense(heads.decay)), rtol=1e-5)
    np.testing.assert_allclose(_np(ctl.residual), np_sigmoid(dense(heads.residual)), rtol=1e-5)
    np.testing.assert_allclose(_np(ctl.key), dense(heads.key), rtol=1e-5, atol=1e-6)
    # beta = softplus(beta_hat), no "+1" (code, not paper)
    np.testing.assert_allclose(_np(ctl.strength), np_softplus(dense(heads.strength)), rtol=1e-5)
