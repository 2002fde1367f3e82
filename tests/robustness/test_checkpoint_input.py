"""A checkpoint is not trusted: every config field is range-checked, tensors must have the model's
dtype and finite values, and the metadata must be JSON; each problem is one line naming the file
and the field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from app.cli import main
from tracker.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from tracker.config import ConfigError, ModelConfig, TrackerConfig, TrackingConfig, from_dict, to_dict
from tracker.model import MemTrackNet

SMALL = TrackerConfig(model=ModelConfig(lstm_units=16, attention_dim=8, memory_slots=3))


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "small.safetensors"
    torch.manual_seed(0)
    save_checkpoint(path, MemTrackNet(SMALL.model), SMALL, extra={"note": "test"})
    return path


def rewrite(good: Path, out: Path, config_text: str | None = None, extra: str | None = None,
            change=None) -> Path:
    """A copy of ``good`` with the config JSON text, the extra metadata text or a tensor changed."""
    meta = read_metadata(good)
    tensors = load_file(str(good))
    if config_text is not None:
        meta["config"] = config_text
    if extra is not None:
        meta["extra"] = extra
    if change is not None:
        change(tensors)
    save_file(tensors, str(out), metadata=meta)
    return out


def config_with(section: str, key: str, value) -> str:
    data = to_dict(SMALL)
    data[section][key] = value
    return json.dumps(data)


def refused(path: Path, *parts: str) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message
    for part in (str(path), *parts):
        assert part in message, f"{part!r} not in {message!r}"
    return message


def test_the_untouched_small_checkpoint_loads(good):
    net, config, extra = load_checkpoint(good)
    assert config == SMALL and extra == {"note": "test"}


@pytest.mark.parametrize("section, key, value", [
    ("model", "memory_slots", 100000),  # ran the machine out of memory
    ("model", "memory_slots", 1),
    ("model", "lstm_units", 10**6),
    ("model", "attention_dim", 0),
    ("model", "usage_decay", 0.0),
    ("model", "usage_decay", float("nan")),
    ("model", "residual_gate_bias", float("inf")),
    ("model", "lstm_keep_prob", 1.5),
    ("tracking", "exemplar_size", 0),
    ("tracking", "search_size", 100),  # smaller than the exemplar
    ("tracking", "search_size", 10**5),
    ("tracking", "scale_step", float("nan")),
    ("tracking", "scale_step", 0.5),
    ("tracking", "num_scales", 999),
    ("tracking", "scale_penalty", -1.0),
    ("tracking", "scale_damping", float("nan")),
    ("tracking", "window_influence", float("nan")),
    ("tracking", "context_amount", 0.0),
    ("tracking", "upscale", 0),
    ("tracking", "min_size", float("-inf")),
])
def test_every_config_field_is_range_checked(good, tmp_path, section, key, value):
    bad = rewrite(good, tmp_path / "bad.safetensors", config_with(section, key, value))
    refused(bad, f"{section}.{key}")


def test_the_crop_sizes_must_fit_the_backbone(good, tmp_path):
    bad = rewrite(good, tmp_path / "bad.safetensors", config_with("tracking", "exemplar_size", 70))
    refused(bad, "tracking.exemplar_size 70 is too small", "mobilenetv2")


@pytest.mark.parametrize("text, problem", [
    ("[" * 100000, "nested too deeply"),
    ('{"model": {"memory_slots": ' + "9" * 5000 + "}}", "thousands of digits"),
    ('{"model": {"usage_decay": ' + "9" * 400 + "}}", "model.usage_decay"),
    ('{"model": ', "not valid JSON"),
])
def test_config_text_that_json_cannot_hold(good, tmp_path, text, problem):
    refused(rewrite(good, tmp_path / "bad.safetensors", text), "bad config", problem)


def test_a_tensor_of_another_dtype_is_refused(good, tmp_path):
    def to_int(tensors):
        name = next(k for k, v in tensors.items() if v.is_floating_point())
        tensors[name] = tensors[name].to(torch.int32)

    refused(rewrite(good, tmp_path / "bad.safetensors", change=to_int), "is int32, expected float32")


def test_a_tensor_holding_nan_is_refused(good, tmp_path):
    def poison(tensors):
        name = next(k for k, v in tensors.items() if v.is_floating_point())
        tensors[name] = tensors[name].clone()
        tensors[name].view(-1)[0] = float("nan")

    refused(rewrite(good, tmp_path / "bad.safetensors", change=poison), "NaN or infinite")


@pytest.mark.parametrize("extra, problem", [
    ("not json at all", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"a": ' * 50000, "nested too deeply"),
])
def test_extra_metadata_must_be_a_json_object(good, tmp_path, extra, problem):
    refused(rewrite(good, tmp_path / "bad.safetensors", extra=extra), "metadata 'extra'", problem)


def test_the_track_command_reports_a_bad_checkpoint_in_one_line(good, tmp_path, capsys):
    from tests.robustness.support import write_frames

    frames = write_frames(tmp_path / "frames")
    bad = rewrite(good, tmp_path / "bad.safetensors", config_with("tracking", "scale_step", float("nan")))
    assert main(["track", str(frames), "--init", "4,4,20,20", "--weights", str(bad), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}:") and "tracking.scale_step" in err[0]


def test_config_huge_integer_for_a_float_field_names_the_field():
    with pytest.raises(ConfigError, match="model.usage_decay"):
        from_dict(TrackerConfig, {"model": {"usage_decay": 10**400}})
    assert TrackingConfig() == from_dict(TrackingConfig, {})
