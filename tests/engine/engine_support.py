"""Shared helpers for the engine tests: independent numpy re-derivations of the spec's equations,
the default network loaded once, small tracker builders and the synthetic clip.

Not a conftest (a second conftest.py would shadow ``tests/conftest.py`` for ``from conftest import``).
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch

from tracker import load_tracker
from tracker.config import ModelConfig, TrackerConfig, TrackingConfig
from tracker.engine import MemTracker
from tracker.model import MemTrackNet

TESTS = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def _root_conftest():
    spec = importlib.util.spec_from_file_location("_engine_root_conftest", TESTS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def moving_square_frames(*args, **kwargs):
    """``moving_square_frames`` of tests/conftest.py: (frames, boxes as (x, y, w, h))."""
    return _root_conftest().moving_square_frames(*args, **kwargs)


# ---------------------------------------------------------------- networks and trackers


@functools.lru_cache(maxsize=1)
def _shared_tracker() -> MemTracker:
    # built once: constructing a CPU tracker traces and optimises the backbone, and every new input
    # shape warms up again, which costs seconds on a 2-core machine
    return load_tracker(device="cpu")


def default_tracker() -> MemTracker:
    """The session's CPU MemTracker on the default checkpoint, emptied of targets.

    Tests that need other tracking parameters swap ``config`` with monkeypatch (only values read
    per frame), and patch instance attributes with monkeypatch so they are restored afterwards.
    """
    trk = _shared_tracker()
    for tid in trk.target_ids:
        trk.remove(tid)
    trk.diagnostics = True
    return trk


def default_net() -> tuple[MemTrackNet, TrackerConfig]:
    """The default checkpoint's network (eval mode, no gradients; never mutate it) and config."""
    trk = _shared_tracker()
    return trk.net, trk.config


@functools.lru_cache(maxsize=2)
def small_net(backbone: str = "alexnet", seed: int = 0) -> MemTrackNet:
    """A randomly initialised network (eval mode) with the spec's sizes."""
    torch.manual_seed(seed)
    return MemTrackNet(ModelConfig(backbone=backbone)).eval()


def alexnet_tracker(**tracking) -> MemTracker:
    """A CPU MemTracker on a random AlexNet network: a 17x17 response as in the paper."""
    net = small_net("alexnet")
    config = TrackerConfig(model=net.config, tracking=TrackingConfig(**tracking))
    return MemTracker(net, config, device="cpu", diagnostics=True)


# ---------------------------------------------------------------- numpy references


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(x))


def np_layernorm(x: np.ndarray, gain: np.ndarray, shift: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gain + shift


def np_avgpool(x: np.ndarray, k: int) -> np.ndarray:
    """(C, H, W) -> (C, H-k+1, W-k+1): mean over every k x k window, stride 1."""
    c, h, w = x.shape
    out = np.zeros((c, h - k + 1, w - k + 1))
    for i in range(h - k + 1):
        for j in range(w - k + 1):
            out[:, i, j] = x[:, i : i + k, j : j + k].mean(axis=(1, 2))
    return out


def np_xcorr(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Valid cross-correlation (no kernel flip): (C, H, W) x (C, k, k) -> (H-k+1, W-k+1)."""
    k = z.shape[-1]
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            out[i, j] = (x[:, i : i + k, j : j + k] * z).sum()
    return out


def _keys_cubic(t: float, a: float = -0.75) -> np.ndarray:
    """Weights of the 4 taps at offsets -1, 0, 1, 2 for fractional position t (Keys kernel)."""

    def k(d: float) -> float:
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        if d < 2:
            return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
        return 0.0

    return np.array([k(t + 1), k(t), k(1 - t), k(2 - t)])


def np_bicubic_align_corners(x: np.ndarray, out: int, a: float = -0.75) -> np.ndarray:
    """TF1 resize_images(BICUBIC, align_corners=True) of an (n, n) map, clamped borders."""
    n = x.shape[0]
    m = np.zeros((out, n))  # separable interpolation matrix
    for o in range(out):
        pos = o * (n - 1) / (out - 1)
        i0 = int(np.floor(pos))
        w = _keys_cubic(pos - i0, a)
        for tap, off in enumerate((-1, 0, 1, 2)):
            m[o, min(max(i0 + off, 0), n - 1)] += w[tap]
    return m @ x @ m.T


def hann_window(n: int) -> np.ndarray:
    """Spec 3 step 8: outer(numpy.hanning(n)) normalised to sum 1."""
    h = np.outer(np.hanning(n), np.hanning(n))
    return h / h.sum()
