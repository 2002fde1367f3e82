"""Spec sections 3 (steps 1, 6, 8, 9, 13) and 9: context side, crops, upsampling, window, displacement."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine_support import default_net, hann_window, moving_square_frames, np_bicubic_align_corners
from tracker.backbone import xcorr
from tracker.geometry import context_side, cosine_window, crop_cpu, crop_torch, peak_displacement


def test_context_side_formula():
    """Z = sqrt((w + 0.5(w+h)) (h + 0.5(w+h))), the same in both axes; X = Z * 255/127."""
    for w, h in [(24.0, 24.0), (40.0, 10.0), (3.5, 77.25)]:
        p = 0.5 * (w + h)
        assert context_side(w, h) == pytest.approx(math.sqrt((w + p) * (h + p)), rel=1e-12)
    assert context_side(24, 24) == pytest.approx(48.0)  # square: w + w = 2w
    assert context_side(40, 10, 0.0) == pytest.approx(20.0)  # no context: sqrt(w h)


def _frame(h: int = 80, w: int = 100, seed: int = 40) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _torch_frame(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame).permute(2, 0, 1).float() / 255.0


def test_crop_puts_known_pixels_where_expected_with_mean_padding():
    """Side == output size and a half-integer centre: a pure integer shift, so every in-frame output
    pixel is exactly a frame pixel, and every out-of-frame one is the frame's mean colour."""
    frame = _frame()
    cx, cy, side = 60.5, 40.5, 127  # output (k, l) samples frame pixel (x = k - 3, y = l - 23)
    cpu = crop_cpu(frame, [(cx, cy)], [float(side)], 127)[0]  # (3, 127, 127)
    tor = crop_torch(_torch_frame(frame), torch.tensor([[cx, cy]]), torch.tensor([float(side)]), 127)[0]
    expected = np.empty((3, 127, 127), np.float64)
    mean = frame.reshape(-1, 3).mean(0) / 255.0
    for ch in range(3):
        expected[ch] = mean[ch]
    ys, xs = np.arange(127) - 23, np.arange(127) - 3
    vy, vx = (ys >= 0) & (ys < 80), (xs >= 0) & (xs < 100)
    expected[:, np.ix_(vy, vx)[0], np.ix_(vy, vx)[1]] = (
        frame[ys[vy]][:, xs[vx]].transpose(2, 0, 1) / 255.0)
    # a single known pixel: frame (x=50, y=30) lands on output (53, 53)
    assert cpu[:, 53, 53] == pytest.approx(frame[30, 50] / 255.0)
    np.testing.assert_allclose(tor.numpy(), expected, atol=1e-4)  # float32 grid_sample
    np.testing.assert_allclose(cpu, expected, atol=0.5 / 255 + 1e-6)  # CPU path rounds the mean to uint8
    # in-frame pixels are exact on the CPU path
    inside = np.ix_(range(3), np.flatnonzero(vy), np.flatnonzero(vx))
    np.testing.assert_array_equal(np.round(cpu[inside] * 255).astype(np.uint8),
                                  frame[ys[vy]][:, xs[vx]].transpose(2, 0, 1))


def test_crop_inclusive_end_points_on_a_linear_ramp():
    """Bilinear sampling of an out x out grid whose first and last samples sit on the region's end
    points: output k samples index c - 0.5 - (S-1)/2 + k (S-1)/(out-1). Bilinear reproduces a ramp."""
    h, w = 180, 220
    frame = np.zeros((h, w, 3), np.uint8)
    frame[..., 0] = np.arange(w)[None, :]  # R = x
    frame[..., 1] = np.arange(h)[:, None]  # G = y
    frame[..., 2] = 77
    cx, cy, side, out = 101.3, 88.9, 150.6, 61
    k = np.arange(out)
    xs = cx - 0.5 - (side - 1) / 2 + k * (side - 1) / (out - 1)
    ys = cy - 0.5 - (side - 1) / 2 + k * (side - 1) / (out - 1)
    assert xs.min() > 0 and xs.max() < w - 1 and ys.min() > 0 and ys.max() < h - 1
    cpu = crop_cpu(frame, [(cx, cy)], [side], out)[0] * 255
    tor = crop_torch(_torch_frame(frame), torch.tensor([[cx, cy]]), torch.tensor([side]), out)[0].numpy()
    tor = tor * 255
    for crop, tol in ((tor, 2e-3), (cpu, 0.55)):
        np.testing.assert_allclose(crop[0], np.broadcast_to(xs[None, :], (out, out)), atol=tol)
        np.testing.assert_allclose(crop[1], np.broadcast_to(ys[:, None], (out, out)), atol=tol)
        np.testing.assert_allclose(crop[2], 77, atol=tol)


def test_crop_cpu_and_crop_torch_agree():
    frames, _ = moving_square_frames(n=1)
    frame = frames[0]  # smooth texture plus a sharp-edged square
    centers = [(30.0, 40.0), (80.7, 60.2), (5.0, 110.0), (150.0, 3.3)]
    sides = [40.0, 101.4, 255.0, 60.0]  # the last two reach far out of the frame
    for out in (127, 255):
        cpu = crop_cpu(frame, centers, sides, out)
        tor = crop_torch(_torch_frame(frame), torch.tensor(centers), torch.tensor(sides), out).numpy()
        assert cpu.shape == tor.shape == (4, 3, out, out)
        assert np.abs(cpu - tor).max() <= 2 / 255


def test_crop_entirely_outside_is_the_mean_colour():
    frame = _frame(40, 50, seed=41)
    mean = frame.reshape(-1, 3).mean(0) / 255.0
    cpu = crop_cpu(frame, [(-200.0, -200.0)], [30.0], 31)[0]
    tor = crop_torch(_torch_frame(frame), torch.tensor([[-200.0, -200.0]]), torch.tensor([30.0]), 31)
    tor = tor[0].numpy()
    np.testing.assert_allclose(tor, np.broadcast_to(mean[:, None, None], tor.shape), atol=1e-6)
    np.testing.assert_allclose(cpu, np.broadcast_to(mean[:, None, None], cpu.shape), atol=0.5 / 255 + 1e-6)


def test_bicubic_align_corners_is_keys_a_minus_075():
    """Spec 3 step 6: F.interpolate(bicubic, align_corners=True) == TF1 legacy bicubic (a = -0.75)."""
    rng = np.random.default_rng(42)
    r = rng.normal(size=(17, 17))
    got = F.interpolate(torch.from_numpy(r)[None, None], size=(272, 272), mode="bicubic",
                        align_corners=True)[0, 0].numpy()
    np.testing.assert_allclose(got, np_bicubic_align_corners(r, 272), rtol=1e-10, atol=1e-10)
    # align corners: the corner samples are the corner cells
    assert got[0, 0] == pytest.approx(r[0, 0]) and got[-1, -1] == pytest.approx(r[-1, -1])
    # and it is not a = -0.5
    assert np.abs(got - np_bicubic_align_corners(r, 272, a=-0.5)).max() > 1e-3


def test_hann_window_for_17_cells_is_numpy_hanning():
    win = cosine_window(17, 16, 8.0)
    ref = hann_window(272)
    assert win.shape == (272, 272) and win.dtype == np.float32
    np.testing.assert_allclose(win, ref.astype(np.float32), rtol=2e-6, atol=1e-12)
    np.testing.assert_array_equal(win, ref.astype(np.float32))  # bit-exact after the float32 cast
    assert win.sum() == pytest.approx(1.0, abs=1e-5)
    assert win[0, :].max() == 0 and win[:, -1].max() == 0  # end points of numpy.hanning are 0


def test_hann_window_off_centre_peaks_at_zero_cell():
    """For a map whose zero-displacement cell is not central (MobileNetV2: 26 cells, zero at 13) the
    window peaks at that cell and still sums to 1."""
    win = cosine_window(26, 16, 13.0)
    assert win.sum() == pytest.approx(1.0, abs=1e-5)
    v, u = np.unravel_index(win.argmax(), win.shape)
    assert abs(u * 25 / 415 - 13) < 0.04 and abs(v * 25 / 415 - 13) < 0.04


def test_peak_at_zero_point_gives_zero_displacement():
    # exact: upsampled u sits at cell u (n-1)/(n_up-1); zero cell 8 is u = 135.5 for 17 cells
    assert peak_displacement(135.5, 135.5, 17, 16, 8.0, 8) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert peak_displacement(0, 271, 17, 16, 8.0, 8) == pytest.approx((-64.0, 64.0))  # +-8 cells of 8 px
    # legacy (reference code): centre 136, 1/16 cell per upsampled pixel
    assert peak_displacement(136, 136, 17, 16, 8.0, 8, legacy=True) == (0.0, 0.0)
    for u, v in [(0, 271), (100, 150), (137, 135)]:
        assert peak_displacement(u, v, 17, 16, 8.0, 8, legacy=True) == pytest.approx(
            ((u - 136) * 8 / 16, (v - 136) * 8 / 16))
        assert peak_displacement(u, v, 17, 16, 8.0, 8) == pytest.approx(
            ((u * 16 / 271 - 8) * 8, (v * 16 / 271 - 8) * 8))
    # MobileNetV2 map: 26 cells, zero at 13
    u0 = 13 * 415 / 25
    assert peak_displacement(u0, u0, 26, 16, 13.0, 8) == pytest.approx((0.0, 0.0), abs=1e-9)


def test_zero_cell_of_the_default_backbone():
    """A target at the centre of both crops correlates best at the zero-displacement cell (13 for
    the 26x26 MobileNetV2 map), and one moved by 16 crop pixels two cells further."""
    net, _ = default_net()
    frames, boxes = moving_square_frames(n=1)
    frame = frames[0]
    x, y, w, h = boxes[0]
    cx, cy = x + w / 2, y + h / 2
    z_side = context_side(w, h)
    x_side = z_side * 255 / 127
    with torch.no_grad():
        t = net.embed_exemplar(torch.from_numpy(crop_cpu(frame, [(cx, cy)], [z_side], 127)))
        crops = crop_cpu(frame, [(cx, cy), (cx - 16 * x_side / 255, cy)], [x_side, x_side], 255)
        r = xcorr(net.embed_search(torch.from_numpy(crops)), t.expand(2, -1, -1, -1))[:, 0]
    assert r.shape == (2, 26, 26)
    assert np.unravel_index(int(r[0].argmax()), (26, 26)) == (13, 13)
    assert np.unravel_index(int(r[1].argmax()), (26, 26)) == (13, 15)
