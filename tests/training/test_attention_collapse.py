"""Why the attention and the gates of earlier weights collapsed, as a regression test.

The paper's L2 term (added to the loss) passes through Adam, which divides every gradient by its running
RMS. A parameter whose loss gradient is much smaller than l2 * |w| (everything upstream of the memory
read while the residual gate is nearly shut) then moves by ~learning_rate per step towards zero, almost
every element at once. Decoupled weight decay with the residual gate opened keeps the loss in charge.
"""
from __future__ import annotations

import math

import torch

from tests.training.test_trainer import _trainer
from tracker.training.config import TrainConfig
from tracker.config import ConfigError

import pytest


def _attention_after(tmp_path, steps: int, **overrides) -> tuple[torch.Tensor, torch.Tensor, object]:
    t = _trainer(tmp_path, steps, validate_every=1000, checkpoint_every=1000, **overrides)
    before = t.net.attention.w_a.weight.detach().clone()
    t.run()
    return before, t.net.attention.w_a.weight.detach().clone(), t


def test_adam_normalised_l2_shrinks_a_gradient_starved_attention_by_the_learning_rate(tmp_path):
    # the old recipe: L2 in the loss, residual gate left at the checkpoint's 0.01 (start_residual_gate=0)
    before, after, t = _attention_after(tmp_path / "l2", 6, weight_decay_mode="l2", start_residual_gate=0.0,
                                        attention_loss_weight=0.0, foreign_frame_rate=0.0)
    shrunk = (after.abs() < before.abs()).float().mean()
    assert shrunk > 0.9  # nearly every element moves towards zero
    drop = float((before.abs() - after.abs()).mean())
    assert drop == pytest.approx(6 * t.train.learning_rate, rel=0.35)  # ~lr per step, whatever l2 is


def test_decoupled_decay_with_an_open_residual_gate_lets_the_loss_move_the_attention(tmp_path):
    # decoupled, residual gate 0.5, and only the response loss (no attention loss) moving the attention
    before, after, t = _attention_after(tmp_path / "dec", 6, attention_loss_weight=0.0)
    assert t.train.weight_decay_mode == "decoupled"
    moved = (after - before).abs()
    assert float(moved.mean()) > 0.3 * 6 * t.train.learning_rate  # training moves the attention parameters
    shrunk = float((after.abs() < before.abs()).float().mean())
    assert 0.2 < shrunk < 0.8  # moved by the loss in both directions, not pulled to zero


def test_a_fresh_run_opens_the_residual_gate_and_resume_keeps_the_trained_one(tmp_path):
    t = _trainer(tmp_path, 3, start_residual_gate=0.5)
    assert torch.allclose(torch.sigmoid(t.net.heads.residual.bias), torch.tensor(0.5))
    kept = _trainer(tmp_path / "keep", 3, start_residual_gate=0.0)
    assert float(torch.sigmoid(kept.net.heads.residual.bias.detach()).mean()) < 0.05  # the checkpoint's r = 0.01
    t.run()
    trained = t.net.heads.residual.bias.detach().clone()
    again = _trainer(tmp_path, 3, start_residual_gate=0.5)
    assert again.resume()
    assert torch.equal(again.net.heads.residual.bias, trained)


def test_validation_reports_attention_sharpness_and_gate_spread(tmp_path):
    t = _trainer(tmp_path, 3, validate_every=3)
    t.val_dataset = t.dataset  # any clips will do
    t._val_cache = t._embed_items([t.dataset[0]])
    loss = t.validate()
    assert math.isfinite(loss)
    assert t.val_stats["attention_peak"] >= 1.0
    assert len(t.val_stats["gate_spread"].split("/")) == 3
    with torch.no_grad():  # a flat attention (w_a = 0) reads exactly 1
        t.net.attention.w_a.weight.zero_()
    t.validate()
    assert t.val_stats["attention_peak"] == pytest.approx(1.0, abs=1e-5)


def test_regularisation_settings_are_checked():
    with pytest.raises(ConfigError):
        TrainConfig(weight_decay_mode="adamw")
    with pytest.raises(ConfigError):
        TrainConfig(start_residual_gate=1.0)
    with pytest.raises(ConfigError):
        TrainConfig(weight_decay=-1.0)
