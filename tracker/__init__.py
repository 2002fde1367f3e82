"""MemTrack engine: the public API used by the GUI, the command line, evaluation and training.

    from tracker import load_tracker, Box
    trk = load_tracker()                      # default weights in resources/, CUDA when present
    trk.initialize(frame, Box(x, y, w, h))    # frame: (H, W, 3) uint8 RGB
    result = trk.track(next_frame)            # TrackResult(box, score, diagnostics)

Never imports Qt. The torch-based names (the engine, checkpoints) load on first use, so headless
tools that only need boxes, projects or file formats start without importing torch.
"""
from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

from .config import ConfigError, ModelConfig, TrackerConfig, TrackingConfig
from .result import Diagnostics, TrackResult
from .types import Box, BoxError
from .video import FrameSource, VideoError, open_source

__all__ = [
    "Box", "BoxError", "CORRECTION_STRATEGIES", "CheckpointError", "DEFAULT_CORRECTION_STRATEGY", "ConfigError", "DEFAULT_WEIGHTS", "Diagnostics", "FrameSource",
    "MemTracker", "ModelConfig", "RESEED_MODES", "TrackResult", "TrackerConfig", "TrackerSnapshot",
    "TrackingConfig", "UNTRAINED_WEIGHTS", "VideoError", "load_checkpoint", "load_tracker", "open_source", "resolve_device",
    "save_checkpoint", "start_target",
]


# name -> submodule, imported when the name is first used (PEP 562)
_LAZY = {
    "CheckpointError": "checkpoint", "DEFAULT_WEIGHTS": "checkpoint", "UNTRAINED_WEIGHTS": "checkpoint",
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "CORRECTION_STRATEGIES": "correction", "DEFAULT_CORRECTION_STRATEGY": "correction",
    "start_target": "correction",
    "MemTracker": "engine", "RESEED_MODES": "engine", "TrackerSnapshot": "engine", "resolve_device": "engine",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .checkpoint import DEFAULT_WEIGHTS, UNTRAINED_WEIGHTS, CheckpointError, load_checkpoint, save_checkpoint
    from .correction import CORRECTION_STRATEGIES, DEFAULT_CORRECTION_STRATEGY, start_target
    from .engine import RESEED_MODES, MemTracker, TrackerSnapshot, resolve_device


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_tracker(weights: str | os.PathLike | None = None, device: str = "auto", diagnostics: bool = True,
                 tracking: TrackingConfig | None = None, profile: bool = False,
                 threads: int | str | None = None, reserve_gui: bool = False) -> "MemTracker":
    """Build a MemTracker from a checkpoint (the default one in resources/ when ``weights`` is None).

    ``tracking`` overrides the checkpoint's tracking parameters (window, scale step, ...);
    ``profile`` makes the tracker accumulate seconds per stage in ``stage_seconds`` (benchmarks).
    ``threads`` (``"auto"`` or a number; None leaves the libraries' own choice) sets the CPU threads
    of PyTorch and OpenCV (:mod:`tracker.threads`; ``reserve_gui`` leaves a core for a window).
    Raises CheckpointError naming the file when it is missing, corrupt or does not match its model.
    """
    from .checkpoint import load_checkpoint
    from .engine import MemTracker

    if threads is not None:
        from .threads import apply_threads

        apply_threads(threads, reserve_gui=reserve_gui)
    net, config, _ = load_checkpoint(weights)
    if tracking is not None:
        config = TrackerConfig(model=config.model, tracking=tracking)
    return MemTracker(net, config, device=device, diagnostics=diagnostics, profile=profile)
