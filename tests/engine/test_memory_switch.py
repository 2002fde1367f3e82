"""use_memory=False scores with T0 alone: the same as a model whose residual gate is exactly zero."""
from __future__ import annotations

import dataclasses

import torch

from tests.conftest import moving_square_frames
from tracker import Box, MemTracker, TrackerConfig, load_checkpoint


def _run(tracker: MemTracker, frames, box):
    tracker.initialize(frames[0], box)
    return [tracker.track(f) for f in frames[1:]]


def test_memory_off_equals_a_zero_residual_gate_and_on_differs():
    frames, boxes = moving_square_frames(n=6)
    box = Box(*boxes[0])
    net, config, _ = load_checkpoint()
    off = _run(MemTracker(net, TrackerConfig(config.model, dataclasses.replace(config.tracking, use_memory=False)), "cpu"), frames, box)
    net_zero, _, _ = load_checkpoint()
    with torch.no_grad():
        net_zero.heads.residual.bias.fill_(-1e4)  # sigmoid -> exactly 0
    zero = _run(MemTracker(net_zero, config, "cpu"), frames, box)
    net_on, _, _ = load_checkpoint()
    with torch.no_grad():
        net_on.heads.residual.bias.fill_(3.0)  # a memory that matters: r ~ 0.95
    on = _run(MemTracker(net_on, config, "cpu"), frames, box)
    for a, b in zip(off, zero):
        assert a.box == b.box and abs(a.score - b.score) < 1e-6
        # the memory is still read and written while switched off
        assert a.diagnostics.read_weights.sum() > 0.99
    assert any(abs(a.score - c.score) > 1e-3 for a, c in zip(off, on))


def test_fast_paths_equal_the_reference_operations():
    import torch.nn.functional as F

    from tracker.controller import SeparableAvgPool2d
    from tracker.scoring import bicubic_matrix as _bicubic_matrix

    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 20, 20, generator=g)
    assert torch.allclose(SeparableAvgPool2d(7)(x), F.avg_pool2d(x, 7, stride=1), atol=1e-6)
    r = torch.randn(3, 26, 26, generator=g)
    a = _bicubic_matrix(26, 416)
    ref = F.interpolate(r[:, None], size=(416, 416), mode="bicubic", align_corners=True)[:, 0]
    assert torch.allclose(a @ r @ a.T, ref, atol=1e-5)
