"""The trainer: labels, loss, staircase, L2, clipping, a loss that falls, exact resume, checkpoints."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import moving_square_frames
from tracker.checkpoint import load_checkpoint
from tracker.config import ModelConfig, TrackerConfig
from tracker.model import MemTrackNet
from tracker.training.config import TrainConfig
from tracker.training.data.sequences import Sequence
from tracker.training.losses import balanced_logistic_loss, iou_labels
from tracker.training.trainer import Trainer
from tracker.types import Box


def test_a_64px_target_gives_five_positive_cells_on_the_17_map():
    labels, weights = iou_labels(torch.tensor([[64.0, 64.0]]), cells=17, zero_cell=8, stride=8)
    assert labels.sum() == 5
    assert labels[0, 8, 8] == 1 and labels[0, 7, 8] == 1 and labels[0, 8, 9] == 1 and labels[0, 7, 7] == 0
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0, 8, 8] == pytest.approx(0.5 / 5)
    assert weights[0, 0, 0] == pytest.approx(0.5 / (289 - 5))


def test_iou_exactly_at_threshold_is_ignored():
    # w = 16, dx = 8 (one cell): IoU = 8*16 / (2*256 - 128) = 1/3
    labels, weights = iou_labels(torch.tensor([[16.0, 16.0]]), cells=5, zero_cell=2, stride=8, threshold=1 / 3)
    assert weights[0, 2, 3] == 0 and weights[0, 2, 2] > 0 and labels[0, 2, 2] == 1


def test_true_centre_labels_follow_the_offset():
    labels, _ = iou_labels(torch.tensor([[64.0, 64.0]]), 17, 8, 8, offsets=torch.tensor([[16.0, 0.0]]))
    assert labels[0, 8, 10] == 1 and labels[0, 8, 8] == 0


def test_balanced_loss_matches_a_hand_computation():
    r = torch.tensor([[[2.0, -1.0], [0.5, 0.0]]])
    y = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    w = torch.tensor([[[0.5, 0.5 / 3], [0.5 / 3, 0.5 / 3]]])
    bce = lambda x, t: -(t * np.log(1 / (1 + np.exp(-x))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x))))  # noqa
    expected = 0.5 * bce(2.0, 1) + 0.5 / 3 * (bce(-1.0, 0) + bce(0.5, 0) + bce(0.0, 0))
    assert float(balanced_logistic_loss(r, y, w)) == pytest.approx(expected, rel=1e-6)


def _sequences(n: int = 2, frames: int = 24) -> list[Sequence]:
    out = []
    for k in range(n):
        imgs, boxes = moving_square_frames(n=frames, height=200, width=260, size=40, seed=k)
        out.append(Sequence(f"square{k}", tuple(Box(*b) for b in boxes), reader=imgs.__getitem__))
    return out


def _trainer(tmp_path: Path, steps: int, **overrides) -> Trainer:
    torch.manual_seed(0)
    config = TrackerConfig(model=ModelConfig(backbone="mobilenetv2", lstm_units=64, attention_dim=32))
    net = MemTrackNet(config.model)
    # the bundled ImageNet backbone (a random MobileNetV2 gives near-zero features)
    pretrained, _, _ = load_checkpoint()
    net.backbone.load_state_dict(pretrained.backbone.state_dict())
    train = TrainConfig(**{"steps": steps, "batch_size": 2, "clip_steps": 3, "cache_clips": 4, "validate_every": 3,
                           "validation_clips": 1, "checkpoint_every": 3, "log_every": 1, "lr_decay_every": 2,
                           "learning_rate": 1e-3, **overrides})
    from tracker.training.data.clips import ClipConfig  # noqa: F401 - the trainer builds its own
    trainer = Trainer(net, config, train, _sequences(), [], tmp_path, device="cpu")
    return trainer


def test_staircase_learning_rate(tmp_path):
    t = _trainer(tmp_path, 1)
    assert t.learning_rate(0) == pytest.approx(1e-3)
    assert t.learning_rate(1) == pytest.approx(1e-3)
    assert t.learning_rate(2) == pytest.approx(8e-4)
    assert t.learning_rate(5) == pytest.approx(1e-3 * 0.8**2)


def test_frozen_backbone_training_logs_checkpoints_and_resumes_exactly(tmp_path):
    # one uninterrupted run of 6 steps ...
    full = _trainer(tmp_path / "full", 6)
    summary = full.run()
    assert summary.steps == 6 and summary.checkpoint.is_file()
    rows = list(csv.DictReader(open(tmp_path / "full" / "log.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert float(rows[1]["lr"]) == pytest.approx(1e-3) and float(rows[2]["lr"]) == pytest.approx(8e-4)
    assert all(float(r["grad_norm"]) >= 0 for r in rows)
    assert (tmp_path / "full" / "step_000003.safetensors").is_file()
    # ... equals a run stopped after 3 steps and resumed in a new trainer
    first = _trainer(tmp_path / "split", 6)
    first.run(stop=lambda: first.step >= 3)
    second = _trainer(tmp_path / "split", 6)
    assert second.resume() and second.step == 3
    second.run()
    a = full.net.state_dict()
    b = second.net.state_dict()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # the backbone did not move, the memory network did
    net, config, extra = load_checkpoint(summary.checkpoint)
    assert extra["trained_steps"] == 6
    init = _trainer(tmp_path / "init", 1).net.state_dict()
    assert torch.equal(net.state_dict()["backbone.features.0.0.weight"], init["backbone.features.0.0.weight"])
    assert torch.equal(net.state_dict()["backbone.features.13.conv.6.weight"],
                       init["backbone.features.13.conv.6.weight"])
    assert not torch.equal(net.state_dict()["heads.gates.weight"], init["heads.gates.weight"])


def test_training_lowers_the_loss_on_a_fixed_pool(tmp_path):
    t = _trainer(tmp_path, 25, cache_clips=2, batch_size=2, learning_rate=3e-2, lr_decay_every=1000,
                 log_every=1, checkpoint_every=1000, validate_every=1000)
    t.run()
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    first = np.mean([float(r["loss"]) for r in rows[:5]])
    last = np.mean([float(r["loss"]) for r in rows[-5:]])
    assert last < 0.8 * first


def test_gradient_clipping_bounds_the_update(tmp_path):
    t = _trainer(tmp_path, 1, clip_norm=1e-6, learning_rate=1.0)
    before = {k: v.clone() for k, v in t.net.state_dict().items()}
    t.run()
    # Adam normalises step sizes, so check the clipped gradient norm instead of the weights
    grads = [p.grad for p in t.params if p.grad is not None]
    total = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))
    assert float(total) <= 1e-6 * 1.01
    assert any(not torch.equal(before[k], v) for k, v in t.net.state_dict().items())


def test_l2_covers_every_trainable_tensor(tmp_path):
    t = _trainer(tmp_path, 1, l2=2.0, weight_decay_mode="l2")
    expected = 0.5 * 2.0 * sum(float((p.detach() ** 2).sum()) for p in t.net.parameters() if p.requires_grad)
    assert float(t._l2().detach()) == pytest.approx(expected, rel=1e-5)
    names = {n for n, p in t.net.named_parameters() if p.requires_grad}
    assert "bn_response.weight" in names and "lstm.ln_c.weight" in names
    assert not any(n.startswith("backbone.") for n in names)


def test_write_augmentation_reaches_the_written_exemplars(tmp_path):
    """write_stretch / write_shift set the augmentation of exemplars #1.. (the memory writes); #0 (T0)
    stays the clean centre crop, so the same clip index differs only in its written exemplars."""
    from tracker.config import ConfigError

    plain = _trainer(tmp_path / "a", 1)
    noisy = _trainer(tmp_path / "b", 1, write_stretch=0.3, write_shift=20.0)
    assert (noisy.clip_config.exemplar_stretch, noisy.clip_config.exemplar_shift) == (0.3, 20.0)
    assert (plain.clip_config.exemplar_stretch, plain.clip_config.exemplar_shift) == (0.10, 8.0)
    a, b = plain.dataset[0], noisy.dataset[0]
    assert torch.equal(a["exemplars"][0], b["exemplars"][0])
    assert not torch.equal(a["exemplars"][1:], b["exemplars"][1:])
    with pytest.raises(ConfigError, match="write_stretch"):
        TrainConfig(write_stretch=1.5)
