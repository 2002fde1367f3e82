"""Spec section 3, steps 1 and 6-12: scale pyramid, upsampling, scale choice, window, peak, position and
scale update, and the forking of the memory state over scales (MemTracker internals)."""
from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from engine_support import (alexnet_tracker, default_tracker, hann_window, moving_square_frames,
                            np_bicubic_align_corners)
from tracker import Box
from tracker.geometry import context_side


def _np_choose(maps: np.ndarray, penalty: float, window_influence: float = 0.15):
    """maps: (S, n, n) responses of one target. Returns (best scale index, u, v) per spec 3 steps 6-9."""
    s, n, _ = maps.shape
    n_up = 16 * n
    ups = [np_bicubic_align_corners(m, n_up) for m in maps]
    pen = [1.0 if k == s // 2 else penalty for k in range(s)]
    best, best_peak = 0, -np.inf
    for k in range(s):  # strict ">" in order: ties go to the earlier scale
        peak = (ups[k] * pen[k]).max()
        if peak > best_peak:
            best, best_peak = k, peak
    r = ups[best] - ups[best].min()
    r = r / r.sum()
    r = (1 - window_influence) * r + window_influence * hann_window(n_up)
    v, u = np.unravel_index(np.argmax(r), r.shape)
    return best, int(u), int(v)


def _call_choose(trk, maps: np.ndarray):
    """Run the engine's scorer (ResponseScorer.choose) on crafted (T, S, 17, 17) response maps."""
    t, s = maps.shape[:2]
    resp = torch.from_numpy(maps.reshape(t * s, 17, 17)).float()
    out = SimpleNamespace(response=resp, raw_response=resp, template=torch.ones(t * s, 256, 6, 6))
    search = torch.ones(t * s, 256, 22, 22)
    picked, rows = trk._scorer.choose(out, None, search, torch.zeros(t, 8), t, s, diagnostics=False)
    return picked.tolist(), rows.numpy()


@pytest.fixture(scope="module")
def trk17():
    return alexnet_tracker()


def _bump_maps(rng, t: int, s: int) -> np.ndarray:
    maps = np.empty((t, s, 17, 17))
    yy, xx = np.mgrid[0:17, 0:17]
    for i in range(t):
        for k in range(s):
            cy, cx = rng.uniform(3, 13, size=2)
            amp = rng.uniform(1, 3)
            bump = amp * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 6)
            maps[i, k] = bump + 0.05 * rng.normal(size=(17, 17)) - 0.5
    return maps


def test_choose_matches_numpy_pipeline(trk17):
    """Bicubic x16, penalty on non-centre scales, argmax, min-normalise, Hann blend, argmax."""
    assert trk17._cells == 17 and trk17._zero_cell == 8
    np.testing.assert_array_equal(trk17._window.numpy(), hann_window(272).astype(np.float32))
    rng = np.random.default_rng(50)
    for _ in range(3):
        maps = _bump_maps(rng, 2, 3)
        picked, rows = _call_choose(trk17, maps)
        for i in range(2):
            best, u, v = _np_choose(maps[i], 0.97)
            assert (int(rows[i, 0]), int(rows[i, 1]), int(rows[i, 2])) == (best, u, v)
            assert picked[i] == 3 * i + best


def test_scale_penalty_multiplies_the_whole_map(trk17):
    """Negative maps: 0.97 x map is larger, so with three identical negative maps a side scale wins,
    and the tie between the two side scales goes to the earlier one (k = -1)."""
    base = -3 + 0.2 * np.random.default_rng(51).normal(size=(17, 17))  # negative even after upsampling
    _, rows = _call_choose(trk17, np.stack([base, base, base])[None])
    assert int(rows[0, 0]) == 0
    # identical positive maps: the unpenalised centre scale wins
    _, rows = _call_choose(trk17, np.stack([-base, -base, -base])[None])
    assert int(rows[0, 0]) == 1
    # a side scale wins only if its peak beats the centre's by more than the 3 % penalty
    _, rows = _call_choose(trk17, np.stack([-base, -base, -base * 1.02])[None])
    assert int(rows[0, 0]) == 1
    _, rows = _call_choose(trk17, np.stack([-base, -base, -base * 1.04])[None])
    assert int(rows[0, 0]) == 2


def test_scale_ties_go_to_the_earlier_scale(trk17, monkeypatch):
    trk = trk17
    monkeypatch.setattr(trk._scorer, "penalty", torch.ones(3))  # scale_penalty 1.0
    m = np.random.default_rng(52).normal(size=(17, 17))
    _, rows = _call_choose(trk, np.stack([m, m, m])[None])
    assert int(rows[0, 0]) == 0
    _, rows = _call_choose(trk, np.stack([m - 1, m, m])[None])
    assert int(rows[0, 0]) == 1


def test_cosine_scale_choice_divides_out_the_feature_energy():
    """scale_choice="cosine": the scales compete on the normalised correlation, so a crop whose features
    carry more energy no longer wins by magnitude alone; the position still comes from the response."""
    yy, xx = np.mgrid[0:17, 0:17]
    bump = np.exp(-((yy - 8.0) ** 2 + (xx - 8.0) ** 2) / 6)
    maps = np.stack([2.0 * bump, 1.0 * bump, 1.2 * bump])  # raw peaks 2, 1, 1.2
    gain = torch.tensor([4.0, 1.0, 1.0])  # scale 0's search features are 4x stronger (16x energy)
    resp = torch.from_numpy(maps).float()
    out = SimpleNamespace(response=resp, raw_response=resp, template=torch.ones(3, 256, 6, 6))
    search = torch.ones(3, 256, 22, 22) * gain[:, None, None, None]
    chosen = {}
    for choice in ("response", "cosine"):
        trk = alexnet_tracker(scale_choice=choice, scale_penalty=1.0)
        _, rows = trk._scorer.choose(out, None, search, torch.zeros(1, 8), 1, 3, diagnostics=False)
        chosen[choice] = int(rows[0, 0])
        assert int(rows[0, 1]) in (135, 136) and int(rows[0, 2]) in (135, 136)  # centre cell 8 -> 8 * 271 / 16
    assert chosen == {"response": 0, "cosine": 2}


def test_unknown_scale_choice_is_a_config_error():
    from tracker.config import ConfigError, TrackingConfig

    with pytest.raises(ConfigError, match="scale_choice"):
        TrackingConfig(scale_choice="biggest")


def test_peak_on_the_unpenalised_map_with_window(trk17):
    """A flat map: the Hann window alone decides, so the peak is at the window's maximum (135/136)."""
    _, rows = _call_choose(trk17, np.zeros((1, 3, 17, 17)))
    assert int(rows[0, 0]) == 0  # all tied
    assert int(rows[0, 1]) in (135, 136) and int(rows[0, 2]) in (135, 136)


def _capture_choose(monkeypatch, trk):
    rows = []
    real = trk._scorer.choose

    def spy(*args, **kwargs):
        picked, packed = real(*args, **kwargs)
        rows.append(packed.cpu().numpy().copy())
        return picked, packed

    monkeypatch.setattr(trk._scorer, "choose", spy)
    return rows


@pytest.mark.parametrize("legacy", [False, True])
def test_position_update_and_scale_damping(monkeypatch, legacy):
    """p <- p + d X_k*/255 with d from the peak; s <- 0.4 s + 0.6 * 1.05^k s (default 26-cell map)."""
    trk = default_tracker()
    tc = dataclasses.replace(trk.config.tracking, legacy_displacement=legacy)
    monkeypatch.setattr(trk, "config", dataclasses.replace(trk.config, tracking=tc))
    rows = _capture_choose(monkeypatch, trk)
    frames, boxes = moving_square_frames(n=3)
    box = Box(*boxes[0])
    trk.initialize(frames[0], box)
    cx, cy, w, h = box.center + (box.w, box.h)
    for f in frames[1:]:
        res = trk.track(f)
        row = rows[-1][0]
        k_idx, u, v = int(row[0]), float(row[1]), float(row[2])
        k = k_idx - 1
        x_side = round(context_side(w, h) * 255 / 127 * 1.05**k)
        if legacy:
            dx, dy = (u - 208) * 8 / 16, (v - 208) * 8 / 16
        else:
            dx, dy = (u * 25 / 415 - 13) * 8, (v * 25 / 415 - 13) * 8
        cx, cy = cx + dx * x_side / 255, cy + dy * x_side / 255
        w, h = 0.4 * w + 0.6 * 1.05**k * w, 0.4 * h + 0.6 * 1.05**k * h
        assert res.diagnostics.scale == k
        assert res.box.center == pytest.approx((cx, cy), abs=1e-6)
        assert (res.box.w, res.box.h) == pytest.approx((w, h), rel=1e-9)
        assert res.diagnostics.search_box.w == x_side


def test_scale_pyramid_sides(monkeypatch):
    """X_k = round(X 1.05^k), k = -1, 0, 1, all centred on the previous position; exemplar side Z."""
    trk = default_tracker()
    calls = []
    real = trk._crop

    def spy(frame, centers, sides, out):
        calls.append((list(centers), list(sides), out))
        return real(frame, centers, sides, out)

    monkeypatch.setattr(trk, "_crop", spy)
    frames, boxes = moving_square_frames(n=2)
    box = Box(10.0, 20.0, 30.0, 17.0)
    trk.initialize(frames[0], box)
    (centers, sides, out), = calls
    z = math.sqrt((30 + 23.5) * (17 + 23.5))
    assert out == 127 and sides == [pytest.approx(z)] and centers == [pytest.approx((25.0, 28.5))]
    calls.clear()
    res = trk.track(frames[1])
    (centers, sides, out), (_, ex_sides, ex_out) = calls
    x = z * 255 / 127
    assert out == 255 and sides == [float(round(x / 1.05)), float(round(x)), float(round(x * 1.05))]
    assert centers == [pytest.approx((25.0, 28.5))] * 3
    # the next exemplar: frame t at the new box, side Z from the new size
    assert ex_out == 127 and ex_sides == [pytest.approx(context_side(res.box.w, res.box.h))]


def _force_scale(monkeypatch, trk, scale_per_target: list[int]):
    """Wrap net.step: record the forked input and output states, and lift the response of one scale
    per target so that scale is chosen."""
    seen = {}
    real = trk.net.step

    def spy(state, *args, **kwargs):
        new_state, out = real(state, *args, **kwargs)
        resp = out.response.clone()
        for t, k in enumerate(scale_per_target):
            resp[3 * t + k] += 100.0
        seen["before"], seen["after"] = state, new_state
        return new_state, type(out)(resp, out.raw_response, out.attention, out.controls, out.read_weights,
                                    out.template)

    monkeypatch.setattr(trk.net, "step", spy)
    return seen


def test_scales_fork_the_state_and_only_the_chosen_survives(monkeypatch):
    trk = default_tracker()
    frames, boxes = moving_square_frames(n=3)
    trk.initialize(frames[0], Box(*boxes[0]), target_id=0)
    trk.initialize(frames[0], Box(60.0, 70.0, 20.0, 16.0), target_id=1)
    trk.track_all(frames[1])  # a normal step, so the memory is no longer in its initial state
    # the scales compete on the response, which _force_scale lifts
    response_choice = dataclasses.replace(trk.config.tracking, scale_choice="response")
    monkeypatch.setattr(trk, "config", dataclasses.replace(trk.config, tracking=response_choice))
    seen = _force_scale(monkeypatch, trk, [2, 0])
    w_before = [trk._targets[i].w for i in (0, 1)]
    results = trk.track_all(frames[2])
    before, after = seen["before"].tensors(), seen["after"].tensors()
    # every scale started from the same prior state (a fork, not a chain)
    for name, v in before.items():
        assert torch.equal(v[0], v[1]) and torch.equal(v[1], v[2]), name
        assert torch.equal(v[3], v[4]) and torch.equal(v[4], v[5]), name
    # the scales' states did diverge (different search crops) ...
    assert not torch.equal(after["h"][0], after["h"][1])
    assert not torch.equal(after["memory.read_weights"][3], after["memory.read_weights"][5])
    # ... and only the chosen scale's state survives
    for tid, row in ((0, 2), (1, 3)):
        kept = trk._targets[tid].state.tensors()
        for name, v in after.items():
            assert torch.equal(kept[name][0], v[row]), (tid, name)
    assert results[0].diagnostics.scale == 1 and results[1].diagnostics.scale == -1
    assert results[0].box.w == pytest.approx(w_before[0] * (0.4 + 0.6 * 1.05))
    assert results[1].box.w == pytest.approx(w_before[1] * (0.4 + 0.6 / 1.05))
    # the diagnostics are those of the chosen scale
    np.testing.assert_allclose(results[0].diagnostics.usage, after["memory.usage"][2].numpy(), rtol=1e-6)
    np.testing.assert_allclose(results[1].diagnostics.read_weights, after["memory.read_weights"][3].numpy(),
                               rtol=1e-6)
