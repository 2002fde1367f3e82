"""The optional neck: a 1x1 convolution on the frozen backbone's features that training can adapt."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from tests.conftest import moving_square_frames
from tracker.checkpoint import load_checkpoint, save_checkpoint
from tracker.config import ModelConfig, TrackerConfig
from tracker.engine import MemTracker
from tracker.model import MemTrackNet, with_model_config
from tracker.training.config import TrainConfig
from tracker.training.data.sequences import Sequence
from tracker.training.trainer import Trainer
from tracker.types import Box

SMALL = ModelConfig(lstm_units=64, attention_dim=32)


def _pretrained_small(neck: bool) -> MemTrackNet:
    torch.manual_seed(0)
    net = MemTrackNet(dataclasses.replace(SMALL, neck=neck))
    pretrained, _, _ = load_checkpoint()
    net.backbone.load_state_dict(pretrained.backbone.state_dict())
    return net.eval()


def _track(net: MemTrackNet, frames, box) -> list[Box]:
    tracker = MemTracker(net, TrackerConfig(model=net.config), device="cpu")
    tracker.initialize(frames[0], Box(*box))
    return [tracker.track(f).box for f in frames[1:]]


def test_adding_the_neck_leaves_the_tracker_unchanged():
    frames, boxes = moving_square_frames(n=6, height=180, width=240, size=40, seed=3)
    plain = _pretrained_small(neck=False)
    grown = with_model_config(plain, dataclasses.replace(plain.config, neck=True))
    assert isinstance(grown.neck, torch.nn.Conv2d) and grown.config.neck
    # the engine folds the neck into the optimised CPU backbone rather than falling back to eager mode
    assert isinstance(MemTracker(grown, TrackerConfig(model=grown.config), device="cpu")._backbone,
                      torch.jit.ScriptModule)
    for a, b in zip(_track(plain, frames, boxes[0]), _track(grown, frames, boxes[0])):
        assert np.allclose(a.as_tuple(), b.as_tuple(), atol=1e-3)


def test_with_model_config_refuses_a_change_that_drops_or_reshapes_weights():
    plain = _pretrained_small(neck=False)
    with pytest.raises(ValueError, match="cannot change the model"):
        with_model_config(plain, dataclasses.replace(plain.config, lstm_units=32))
    necked = _pretrained_small(neck=True)
    with pytest.raises(ValueError, match="unexpected"):
        with_model_config(necked, dataclasses.replace(necked.config, neck=False))


def test_the_neck_trains_on_cached_features_and_changes_the_tracker(tmp_path):
    frames, boxes = moving_square_frames(n=24, height=200, width=260, size=40, seed=0)
    sequences = [Sequence("sq", tuple(Box(*b) for b in boxes), reader=frames.__getitem__)]
    net = _pretrained_small(neck=True)
    config = TrackerConfig(model=net.config)
    train = TrainConfig(steps=3, batch_size=2, clip_steps=3, cache_clips=2, validate_every=100,
                        checkpoint_every=100, log_every=1, learning_rate=1e-2)
    before = net.neck.weight.detach().clone()
    Trainer(net, config, train, sequences, [], tmp_path, device="cpu").run()
    assert not torch.equal(net.neck.weight, before)  # trained through the feature cache
    # the checkpoint carries the neck, loads strictly, and the engine applies it
    trained, loaded_config, _ = load_checkpoint(tmp_path / "final.safetensors")
    assert loaded_config.model.neck and torch.equal(trained.neck.weight, net.neck.weight)
    identity = with_model_config(_pretrained_small(neck=False), loaded_config.model)
    identity.load_state_dict({**trained.state_dict(), "neck.weight": identity.neck.weight,
                              "neck.bias": identity.neck.bias})
    moved = [b.as_tuple() for b in _track(trained, frames[:8], boxes[0])]
    still = [b.as_tuple() for b in _track(identity, frames[:8], boxes[0])]
    assert not np.allclose(moved, still)


def test_a_checkpoint_with_a_neck_does_not_load_into_a_model_without_one(tmp_path):
    net = _pretrained_small(neck=True)
    path = tmp_path / "n.safetensors"
    save_checkpoint(path, net, TrackerConfig(model=net.config))
    _, config, _ = load_checkpoint(path)
    assert config.model.neck
    from tracker.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="model config differs"):
        load_checkpoint(path, config_override=TrackerConfig(model=SMALL))


def test_train_command_adds_the_neck_and_carries_the_start_points_provenance(tmp_path):
    import cv2

    from app.cli import main
    from tracker import UNTRAINED_WEIGHTS

    frames, boxes = moving_square_frames(n=8, height=180, width=240, size=40, seed=1)
    seq = tmp_path / "data" / "Square"
    (seq / "img").mkdir(parents=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.jpg"), frame[:, :, ::-1])
    (seq / "groundtruth_rect.txt").write_text("".join(f"{x + 1},{y + 1},{w},{h}\n" for x, y, w, h in boxes))
    # a start point without a neck, with a training stage and a tracking tuning behind it
    start_net, start_config, _ = load_checkpoint(UNTRAINED_WEIGHTS)
    start = tmp_path / "start.safetensors"
    save_checkpoint(start, start_net, start_config, {"trained_steps": 7, "tracking_tuned": {"variant": "v"}})
    out = tmp_path / "run"
    rc = main(["train", "--out", str(out), "--data", f"otb:{tmp_path / 'data'}", "--neck", "--steps", "1",
               "--weights", str(start), "--device", "cpu", "--set", "batch_size=1", "--set", "clip_steps=2",
               "--set", "cache_clips=1", "--set", "validate_every=100", "--set", "checkpoint_every=100"])
    assert rc == 0
    net, config, extra = load_checkpoint(out / "final.safetensors")
    assert config.model.neck and not start_config.model.neck
    assert config.tracking == start_config.tracking  # carried over, and so is the note of its tuning
    assert extra["tracking_tuned"] == {"variant": "v"}
    assert extra["start_point"] == {"weights": "start.safetensors", "trained_steps": 7,
                                    "tracking_tuned": {"variant": "v"}}
    assert extra["trained_steps"] == 1
    assert torch.equal(net.backbone.features[0][0].weight, start_net.backbone.features[0][0].weight)
