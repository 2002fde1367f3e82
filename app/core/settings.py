"""The window's settings as a frozen dataclass, validated (Qt-free; QSettings I/O is in qt_settings).

`from_mapping` rejects unknown keys and bad values with a message naming the key; the QSettings
loader reads only known keys and falls back to the default for a value it cannot use, so a
damaged settings store never keeps the window from opening.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

from tracker import CORRECTION_STRATEGIES, DEFAULT_CORRECTION_STRATEGY
from tracker.drift import DEFAULT_JUMP_LIMIT, DEFAULT_PAUSE_THRESHOLD
from tracker.threads import threads_problem

__all__ = ["AppSettings", "SettingsError", "DEFAULT_JUMP_LIMIT", "DEFAULT_PAUSE_THRESHOLD", "DEVICES", "TRACK_SCOPES",
           "TRACK_RANGES"]

# Auto-pause defaults (confidence threshold, box-jump limit): calibrated on the validation split, see
# tracker.drift. Re-check them whenever the default weights change. (The correction strategy's default
# lives in tracker.correction.DEFAULT_CORRECTION_STRATEGY.)

DEVICES = ("auto", "cpu", "cuda")
TRACK_SCOPES = ("selected", "all")
TRACK_RANGES = ("end", "next_keyframe", "frames")


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class AppSettings:
    """Attributes:
        confidence_threshold: a run pauses and flags the frame when a score falls below it.
        auto_pause: whether runs pause at all (on low confidence or a box jump).
        jump_limit: a run also pauses when a box's centre moves more than this many box sizes in one
            frame (tracker.drift); 0 turns that off.
        device: tracker device, one of DEVICES.
        weights: tracker checkpoint path; empty means the bundled default.
        last_folder: where File > Open starts.
        playback_speed: multiple of the video's frame rate.
        follow: show frames as they are tracked.
        track_scope / track_range / track_frames: what T and Shift+T track.
        cache_mb: memory for decoded frames.
        moved_iou: after a re-track, a box whose overlap with its old box is below this counts as moved.
        two_sided_fill: runs to the next keyframe also track back from that keyframe and merge the passes.
        correction_strategy: what a corrected box (a keyframe a run passes or starts from) does to the
            tracker's memory, one of tracker.CORRECTION_STRATEGIES.
        shortcuts: action id -> key sequence text, overriding the defaults.
        attention_opacity: how opaque the attention overlay is at its strongest (0..1).
        label_picker: after a new object is drawn, ask for its label (a small picker, the last
            chosen label as its default); off: new objects get the last chosen label silently.
        threads: CPU threads for the tracker, "auto" (tracker.threads: the usable cores less one for
            the window and less what other processes keep busy) or a number as text.
    """

    confidence_threshold: float = DEFAULT_PAUSE_THRESHOLD
    auto_pause: bool = True
    jump_limit: float = DEFAULT_JUMP_LIMIT
    device: str = "auto"
    weights: str = ""
    last_folder: str = ""
    playback_speed: float = 1.0
    follow: bool = True
    track_scope: str = "selected"
    track_range: str = "end"
    track_frames: int = 50
    cache_mb: int = 512
    moved_iou: float = 0.9
    correction_strategy: str = DEFAULT_CORRECTION_STRATEGY
    two_sided_fill: bool = True
    shortcuts: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    threads: str = "auto"
    label_picker: bool = True
    attention_opacity: float = 0.55

    def __post_init__(self) -> None:
        def need(ok: bool, key: str, what: str) -> None:
            if not ok:
                raise SettingsError(f"setting {key}={getattr(self, key)!r}: {what}")

        need(0.0 <= self.confidence_threshold <= 1.0, "confidence_threshold", "must be in 0..1")
        need(0.0 <= self.jump_limit <= 20.0, "jump_limit", "must be in 0..20 box sizes (0: off)")
        need(self.device in DEVICES, "device", f"must be one of {', '.join(DEVICES)}")
        need(0.05 <= self.playback_speed <= 16.0, "playback_speed", "must be in 0.05..16")
        need(self.track_scope in TRACK_SCOPES, "track_scope", f"must be one of {', '.join(TRACK_SCOPES)}")
        need(self.track_range in TRACK_RANGES, "track_range", f"must be one of {', '.join(TRACK_RANGES)}")
        need(1 <= self.track_frames <= 1_000_000, "track_frames", "must be a positive frame count")
        need(16 <= self.cache_mb <= 65536, "cache_mb", "must be in 16..65536")
        need(0.0 <= self.attention_opacity <= 1.0, "attention_opacity", "must be in 0..1")
        need(0.0 < self.moved_iou <= 1.0, "moved_iou", "must be in (0, 1]")
        need(self.correction_strategy in CORRECTION_STRATEGIES, "correction_strategy",
             f"must be one of {', '.join(CORRECTION_STRATEGIES)}")
        need(threads_problem(self.threads) is None and isinstance(self.threads, str), "threads",
             "must be 'auto' or a whole number of threads from 1")
        need(isinstance(self.shortcuts, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in self.shortcuts.items()),
             "shortcuts", "must map action ids to key sequences")

    def with_changes(self, **changes: Any) -> "AppSettings":
        return replace(self, **changes)

    def to_mapping(self) -> dict[str, Any]:
        data = asdict(self)
        data["shortcuts"] = json.dumps(self.shortcuts, sort_keys=True)
        return data

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """Turn a stored value (QSettings may hand back strings) into the field's type."""
        default = getattr(cls(), key)
        if key == "shortcuts":
            value = json.loads(value) if isinstance(value, str) else value
            if not isinstance(value, dict):
                raise SettingsError("setting shortcuts: not a mapping")
            return {str(k): str(v) for k, v in value.items()}
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    raise SettingsError(f"setting {key}={value!r}: not true/false")
                return value.lower() in ("true", "1")
            return bool(value)
        try:
            return type(default)(value)
        except (TypeError, ValueError) as e:
            raise SettingsError(f"setting {key}={value!r}: not a {type(default).__name__}") from e

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "AppSettings":
        """Strict: unknown keys and unusable values raise SettingsError naming the key."""
        unknown = sorted(set(data) - set(cls.keys()))
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**{k: cls.coerce(k, v) for k, v in data.items()})
