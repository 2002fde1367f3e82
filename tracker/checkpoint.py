"""Checkpoints: one safetensors file holding the format version, the full config and the weights.

Loading is strict: a missing or unexpected tensor, a shape mismatch, an unknown config key or a
different format version is an error that names the file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .atomic import atomic_write_bytes
from .config import ConfigError, TrackerConfig, TrackingConfig, from_dict, to_dict
from .json_input import JSONInputError, parse_json
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
    if "config" not in meta:
        raise CheckpointError(f"{path}: bad config in checkpoint: no config")
    try:
        config = from_dict(TrackerConfig, parse_json(meta["config"], allow_constants=True))
    except (JSONInputError, ConfigError) as e:
        raise CheckpointError(f"{path}: bad config in checkpoint: {e}") from e
    extra = _extra(path, meta)
    if config_override is not None:
        if config_override.model != config.model:
            raise CheckpointError(f"{path}: the model config differs from the requested one")
        config = config_override
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"{path}: corrupt checkpoint ({e})") from e
    net = MemTrackNet(config.model)
    _check_tensors(path, tensors, net.state_dict())
    try:
        net.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        first = str(e).splitlines()[0:3]
        raise CheckpointError(f"{path}: weights do not match the model: {' '.join(first)}") from e
    net.eval()  # callers that train switch modes themselves; inference must never update BN statistics
    _check_crop_geometry(path, net, config.tracking)
    return net, config, extra


def _extra(path: Path, meta: dict) -> dict:
    if "extra" not in meta:
        return {}
    try:
        extra = parse_json(meta["extra"])
    except JSONInputError as e:
        raise CheckpointError(f"{path}: metadata 'extra': {e}") from None
    if not isinstance(extra, dict):
        raise CheckpointError(f"{path}: metadata 'extra': expected a JSON object, got {type(extra).__name__}")
    return extra


def _check_tensors(path: Path, tensors: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Each tensor the model knows has the model's dtype and holds finite numbers (load_state_dict
    would silently convert an int32 tensor, and NaN weights make every box NaN)."""
    for name, want in expected.items():
        have = tensors.get(name)
        if have is None:
            continue  # reported by the strict load, with the other missing names
        if have.dtype != want.dtype:
            raise CheckpointError(f"{path}: tensor {name} is {str(have.dtype).removeprefix('torch.')}, "
                                  f"expected {str(want.dtype).removeprefix('torch.')}")
        if have.is_floating_point() and not bool(torch.isfinite(have).all()):
            raise CheckpointError(f"{path}: tensor {name} holds NaN or infinite values")


def _check_crop_geometry(path: Path, net: MemTrackNet, tracking: TrackingConfig) -> None:
    """The exemplar crop must give the backbone's template cells, and the search crop a response map."""
    bb = net.backbone
    ex, search = tracking.exemplar_size, tracking.search_size
    try:
        with torch.no_grad():
            cells = bb(torch.zeros(1, 3, ex, ex)).shape[-1]
            response = net.response_geometry(ex, search)[0]
    except RuntimeError:
        cells, response = 0, 0
    if cells < bb.template_offset + bb.template_cells:
        raise CheckpointError(f"{path}: config tracking.exemplar_size {ex} is too small for the "
                              f"{net.config.backbone} backbone's {bb.template_cells}-cell template")
    if response < 1:
        raise CheckpointError(f"{path}: config tracking.search_size {search} is too small for the "
                              f"{net.config.backbone} backbone")
