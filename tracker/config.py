"""Configuration: frozen dataclasses with the paper's defaults. Unknown keys are errors.

``TrackerConfig`` is stored inside every checkpoint, so a checkpoint rebuilds its own model.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

__all__ = ["ConfigError", "ModelConfig", "TrackingConfig", "TrackerConfig", "from_dict", "to_dict"]

BACKBONES = ("alexnet", "mobilenetv2")
MAX_MEMORY_SLOTS = 256
MAX_UNITS = 4096  # attention_dim, lstm_units (the paper: 256 and 512)
MIN_EXEMPLAR = 64  # px: below this the backbones leave no template cells
MAX_CROP = 1024  # px: exemplar and search crops
MAX_SCALES = 15
SCALE_CHOICES = ("response", "cosine")


class ConfigError(ValueError):
    """A config with an unknown key, a wrong type or an impossible value."""


def _in_range(where: str, value: float, low: float, high: float, low_open: bool = False) -> None:
    """ConfigError naming the field unless ``low <= value <= high`` (``low < value`` when
    ``low_open``). NaN and infinities fail every comparison, so they are refused too."""
    inside = (low < value if low_open else low <= value) and value <= high
    if not inside or not math.isfinite(value):
        opening = "(" if low_open else "["
        raise ConfigError(f"{where} must be in {opening}{low:g}, {high:g}], not {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    backbone: str = "mobilenetv2"  # "alexnet" (docs/model.md §2) or "mobilenetv2" (ImageNet-pretrained, stride 8)
    memory_slots: int = 8  # N
    attention_dim: int = 256  # hidden size of the attention MLP (W_f, W_h)
    lstm_units: int = 512  # controller hidden and cell size
    lstm_keep_prob: float = 0.8  # recurrent dropout keep probability on g, training only
    usage_decay: float = 0.99  # lambda
    # Initial bias of the residual gate r = sigmoid(.): very negative makes an untrained memory
    # contribute nothing, so the tracker starts as a plain Siamese tracker.
    residual_gate_bias: float = -4.6  # r = 0.01
    # A trainable 1x1 convolution on the backbone's features, initialised to the identity: with a frozen
    # backbone it lets training adapt the features that the correlation compares (off in the paper).
    neck: bool = False

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ConfigError(f"model.backbone must be one of {BACKBONES}, not {self.backbone!r}")
        # Upper bounds keep a hostile checkpoint from allocating without limit (100000 memory slots
        # ran a machine out of memory); they are far above anything the model has been built with.
        _in_range("model.memory_slots", self.memory_slots, 2, MAX_MEMORY_SLOTS)
        _in_range("model.attention_dim", self.attention_dim, 1, MAX_UNITS)
        _in_range("model.lstm_units", self.lstm_units, 1, MAX_UNITS)
        _in_range("model.lstm_keep_prob", self.lstm_keep_prob, 0, 1, low_open=True)
        _in_range("model.usage_decay", self.usage_decay, 0, 1, low_open=True)
        _in_range("model.residual_gate_bias", self.residual_gate_bias, -50, 50)


@dataclass(frozen=True)
class TrackingConfig:
    exemplar_size: int = 127
    search_size: int = 255
    context_amount: float = 0.5
    num_scales: int = 3
    scale_step: float = 1.05
    scale_penalty: float = 0.97  # multiplies the whole map of a non-centre scale
    scale_damping: float = 0.6  # weight on the new size
    # How the scales compete (docs/model.md §3, step 7). "response": the peak of the BN response map (the paper).
    # "cosine": the peak of the normalised cross-correlation (the raw correlation divided by the template
    # norm and the search window's feature energy), which takes away the bias of an unnormalised
    # correlation towards the crop whose features carry the most energy.
    scale_choice: str = "response"
    window_influence: float = 0.15
    upscale: int = 16  # response upsampling factor (bicubic, align-corners)
    # True copies the reference code's displacement arithmetic (1/16 cell per upsampled pixel and
    # centre 136 for a 17x17 map); False maps peaks with exact geometry.
    legacy_displacement: bool = False
    min_size: float = 4.0  # px; the box is never allowed to collapse below this
    # False switches the memory off: the final template is T0 alone (a plain Siamese tracker with the
    # same weights), to measure what the memory contributes.
    use_memory: bool = True
    # Half precision for the backbone on CUDA (accuracy checked in tests on a GPU machine).
    cuda_half: bool = True

    def __post_init__(self) -> None:
        _in_range("tracking.exemplar_size", self.exemplar_size, MIN_EXEMPLAR, MAX_CROP)
        _in_range("tracking.search_size", self.search_size, self.exemplar_size, MAX_CROP)
        _in_range("tracking.context_amount", self.context_amount, 0, 10, low_open=True)
        _in_range("tracking.num_scales", self.num_scales, 1, MAX_SCALES)
        if self.num_scales % 2 == 0:
            raise ConfigError(f"tracking.num_scales must be a positive odd number, not {self.num_scales}")
        _in_range("tracking.scale_step", self.scale_step, 1, 2)
        _in_range("tracking.scale_penalty", self.scale_penalty, 0, 1, low_open=True)
        _in_range("tracking.window_influence", self.window_influence, 0, 1)
        _in_range("tracking.upscale", self.upscale, 1, 64)
        _in_range("tracking.min_size", self.min_size, 0, MAX_CROP, low_open=True)
        if self.scale_choice not in SCALE_CHOICES:
            raise ConfigError(f"tracking.scale_choice must be one of {SCALE_CHOICES}, not {self.scale_choice!r}")
        _in_range("tracking.scale_damping", self.scale_damping, 0, 1, low_open=True)


@dataclass(frozen=True)
class TrackerConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


T = TypeVar("T")


def from_dict(cls: type[T], data: Any, where: str = "config") -> T:
    """Build a (nested) frozen config dataclass from a dict; unknown keys and wrong types raise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    kwargs = {}
    for name, value in data.items():
        f = known[name]
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        if dataclasses.is_dataclass(default):
            kwargs[name] = from_dict(type(default), value, f"{where}.{name}")
            continue
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                raise ConfigError(f"{where}.{name}: {str(value)[:20]}... is too large") from None
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{where}.{name}: expected {expected.__name__}, got {value!r}")
        kwargs[name] = value
    return cls(**kwargs)


def to_dict(config: Any) -> dict:
    return dataclasses.asdict(config)
