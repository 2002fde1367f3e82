"""Checkpoints (one safetensors file: format, version, config, weights; strict loading) and the frozen
config dataclasses (spec defaults, unknown keys and wrong types rejected)."""
from __future__ import annotations

import dataclasses
from pathlib import Path
import json

import pytest
import torch
from safetensors.torch import save_file

from tracker import CheckpointError, load_tracker
from tracker.checkpoint import FORMAT_VERSION, load_checkpoint, read_metadata, save_checkpoint
from tracker.config import ConfigError, ModelConfig, TrackerConfig, TrackingConfig, from_dict, to_dict
from tracker.model import MemTrackNet

SMALL = TrackerConfig(model=ModelConfig(backbone="mobilenetv2", lstm_units=16, attention_dim=8,
                                        memory_slots=3),
                      tracking=TrackingConfig(window_influence=0.2))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(60)
    net = MemTrackNet(SMALL.model)
    with torch.no_grad():
        net.bn_response.running_mean.fill_(0.25)
    path = tmp_path_factory.mktemp("ckpt") / "small.safetensors"
    save_checkpoint(path, net, SMALL, extra={"note": "unit test", "steps": 3})
    return path, net


def test_round_trip(saved):
    path, net = saved
    loaded, config, extra = load_checkpoint(path)
    assert config == SMALL
    assert extra == {"note": "unit test", "steps": 3}
    ref, got = net.state_dict(), loaded.state_dict()
    assert ref.keys() == got.keys()
    for k in ref:
        assert torch.equal(ref[k], got[k]), k
    meta = read_metadata(path)
    assert meta["format"] == "memtrack-checkpoint" and meta["version"] == str(FORMAT_VERSION)
    # the config travels with the weights: the file alone rebuilds the right network
    assert loaded.config == SMALL.model
    assert loaded.attention.w_h.out_features == 8 and loaded.lstm.units == 16


def test_save_refuses_a_config_that_does_not_describe_the_net(saved, tmp_path):
    _, net = saved
    with pytest.raises(ValueError):
        save_checkpoint(tmp_path / "x.safetensors", net, TrackerConfig())


def _tensors_and_meta(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def _expect_error(path, match: str | None = None):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)
    if match:
        assert match in str(err.value).lower()
    with pytest.raises(CheckpointError):
        load_tracker(path, device="cpu")


def test_strict_missing_tensor(saved, tmp_path):
    tensors, meta = _tensors_and_meta(saved[0])
    del tensors["heads.key.weight"]
    bad = tmp_path / "missing.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    _expect_error(bad, "heads.key.weight")


def test_strict_extra_tensor(saved, tmp_path):
    tensors, meta = _tensors_and_meta(saved[0])
    tensors["heads.bogus.weight"] = torch.zeros(2)
    bad = tmp_path / "extra.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    _expect_error(bad, "heads.bogus.weight")


def test_strict_wrong_shape(saved, tmp_path):
    tensors, meta = _tensors_and_meta(saved[0])
    tensors["heads.gates.bias"] = torch.zeros(4)
    bad = tmp_path / "shape.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    _expect_error(bad, "heads.gates.bias")


def test_unknown_config_key(saved, tmp_path):
    tensors, meta = _tensors_and_meta(saved[0])
    config = json.loads(meta["config"])
    config["model"]["memory_slotz"] = 8
    bad = tmp_path / "config.safetensors"
    save_file(tensors, str(bad), metadata={**meta, "config": json.dumps(config)})
    _expect_error(bad, "memory_slotz")


def test_wrong_format_version_and_name(saved, tmp_path):
    tensors, meta = _tensors_and_meta(saved[0])
    bad = tmp_path / "version.safetensors"
    save_file(tensors, str(bad), metadata={**meta, "version": str(FORMAT_VERSION + 1)})
    _expect_error(bad, "version")
    other = tmp_path / "other.safetensors"
    save_file(tensors, str(other), metadata={**meta, "format": "something-else"})
    _expect_error(other)
    no_meta = tmp_path / "nometa.safetensors"
    save_file(tensors, str(no_meta))
    _expect_error(no_meta)


def test_truncated_corrupt_and_missing_files(saved, tmp_path):
    data = saved[0].read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[: len(data) // 2])
    _expect_error(truncated)
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\xff" * 64 + data[64:])
    _expect_error(corrupt)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"this is not a checkpoint")
    _expect_error(garbage)
    _expect_error(tmp_path / "absent.safetensors")


def test_default_checkpoint_loads_without_arguments():
    net, config, extra = load_checkpoint()
    assert config.model.backbone == "mobilenetv2"
    assert isinstance(net, MemTrackNet) and isinstance(extra, dict)


def test_shipped_checkpoints_differ_from_the_paper_only_where_the_model_card_says():
    """The default weights carry the tracking config tuned on the validation split (scale choice and its
    penalty) and say so in their metadata; the untrained start point keeps the paper's."""
    from tracker import UNTRAINED_WEIGHTS

    _, config, extra = load_checkpoint()
    paper = TrackingConfig()
    changed = {k for k, v in dataclasses.asdict(config.tracking).items() if v != getattr(paper, k)}
    assert changed == {"scale_choice", "scale_penalty"}
    variant = extra["tracking_tuned"]["variant"]
    assert variant == f"scale_choice={config.tracking.scale_choice},scale_penalty={config.tracking.scale_penalty:g}"
    card = (Path(__file__).resolve().parents[2] / "resources" / "weights" / "MODEL_CARD.md").read_text()
    assert f'`scale_choice="{config.tracking.scale_choice}"`, `scale_penalty={config.tracking.scale_penalty:g}`' in card
    assert load_checkpoint(UNTRAINED_WEIGHTS)[1].tracking == paper


def test_spec_defaults():
    m, t = ModelConfig(), TrackingConfig()
    assert (m.memory_slots, m.lstm_units, m.lstm_keep_prob, m.usage_decay) == (8, 512, 0.8, 0.99)
    assert (t.exemplar_size, t.search_size, t.context_amount) == (127, 255, 0.5)
    assert (t.num_scales, t.scale_step, t.scale_penalty, t.scale_damping) == (3, 1.05, 0.97, 0.6)
    assert (t.window_influence, t.upscale) == (0.15, 16)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.scale_step = 1.1  # type: ignore[misc]


def test_config_round_trip_through_dict():
    cfg = TrackerConfig(model=ModelConfig(backbone="alexnet", memory_slots=5),
                        tracking=TrackingConfig(legacy_displacement=True, scale_damping=0.5))
    assert from_dict(TrackerConfig, json.loads(json.dumps(to_dict(cfg)))) == cfg
    # an int is accepted for a float field
    assert from_dict(TrackingConfig, {"scale_step": 1}).scale_step == 1.0


@pytest.mark.parametrize("data, words", [
    ({"model": {"backbone": "alexnet", "colour": 1}}, "colour"),
    ({"modle": {}}, "modle"),
    ({"tracking": {"window": 0.2}}, "window"),
    ({"model": {"memory_slots": "8"}}, "memory_slots"),
    ({"model": {"memory_slots": 8.0}}, "memory_slots"),
    ({"model": {"memory_slots": True}}, "memory_slots"),
    ({"model": {"backbone": 3}}, "backbone"),
    ({"tracking": {"legacy_displacement": 1}}, "legacy_displacement"),
    ({"tracking": {"scale_step": "1.05"}}, "scale_step"),
    ({"tracking": {"window_influence": None}}, "window_influence"),
    ({"model": []}, "model"),
    ({"model": {"backbone": "vgg"}}, "backbone"),
    ({"tracking": {"num_scales": 2}}, "num_scales"),
])
def test_from_dict_rejects_unknown_keys_wrong_types_and_bad_values(data, words):
    with pytest.raises(ConfigError) as err:
        from_dict(TrackerConfig, data)
    assert words in str(err.value)
