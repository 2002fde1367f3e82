"""Checkpoints: one safetensors file holding the format version, the full config and the weights.

Loading is strict: a missing or unexpected tensor, a shape mismatch, an unknown config key or a
different format version is an error that names the file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file

from .atomic import atomic_write_bytes
from .config import ConfigError, TrackerConfig, from_dict, to_dict
from .model import MemTrackNet

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "DEFAULT_WEIGHTS", "UNTRAINED_WEIGHTS",
           "FORMAT_VERSION"]

FORMAT_NAME = "memtrack-checkpoint"
FORMAT_VERSION = 1
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "resources" / "weights"
# trained by `python main.py train` (see resources/weights/MODEL_CARD.md)
DEFAULT_WEIGHTS = WEIGHTS_DIR / "memtrack_default.safetensors"
# ImageNet backbone + freshly initialised memory network: where training starts
UNTRAINED_WEIGHTS = WEIGHTS_DIR / "memtrack_untrained.safetensors"


class CheckpointError(Exception):
    """A checkpoint that cannot be read, or that does not match the model it describes."""


def save_checkpoint(path: str | os.PathLike, net: MemTrackNet, config: TrackerConfig, extra: dict | None = None) -> None:
    """Write atomically. ``extra`` (JSON-serialisable) is stored as metadata, e.g. training provenance."""
    if net.config != config.model:
        raise ValueError("the network was not built from this config")
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    meta = {"format": FORMAT_NAME, "version": str(FORMAT_VERSION), "config": json.dumps(to_dict(config))}
    if extra:
        meta["extra"] = json.dumps(extra)
    from safetensors.torch import save

    atomic_write_bytes(path, save(tensors, metadata=meta))


def read_metadata(path: str | os.PathLike) -> dict:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable checkpoint ({e})") from e


def load_checkpoint(path: str | os.PathLike | None = None, config_override: TrackerConfig | None = None
                    ) -> tuple[MemTrackNet, TrackerConfig, dict]:
    """Rebuild the network a checkpoint describes. Returns (net, config, extra metadata).

    ``config_override`` may change tracking parameters only; the model part must match the file.
    """
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    meta = read_metadata(path)
    if meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: not a {FORMAT_NAME} file")
    if meta.get("version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{path}: checkpoint format version {meta.get('version')} is not {FORMAT_VERSION}")
    try:
        config = from_dict(TrackerConfig, json.loads(meta["config"]))
    except (KeyError, json.JSONDecodeError, ConfigError) as e:
        raise CheckpointError(f"{path}: bad config in checkpoint: {e}") from e
    if config_override is not None:
        if config_override.model != config.model:
            raise CheckpointError(f"{path}: the model config differs from the requested one")
        config = config_override
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint ({e})") from e
    net = MemTrackNet(config.model)
    try:
        net.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).splitlines()[0:3]
        raise CheckpointError(f"{path}: weights do not match the model: {' '.join(first)}") from e
    extra = json.loads(meta["extra"]) if "extra" in meta else {}
    net.eval()  # callers that train switch modes themselves; inference must never update BN statistics
    return net, config, extra
