"""The two training signals the paper does not have: an attention loss that points the attention at the
target, and foreign frames that make writing to the memory a decision (see the model card)."""
from __future__ import annotations

import csv

import pytest
import torch

from tests.training.test_trainer import _trainer
from tracker.config import ConfigError
from tracker.training.config import TrainConfig
from tracker.training.losses import attention_target_loss, balanced_logistic_loss, target_cells


def test_target_cells_cover_the_box_on_the_response_grid():
    # 17 cells, stride 8, zero cell 8: cell j stands for the offset 8 * (j - 8) crop pixels
    inside = target_cells(torch.tensor([[40.0, 24.0]]), torch.tensor([[16.0, 0.0]]), 17, 8.0, 8)[0]
    cols = inside.any(0).nonzero().flatten().tolist()
    rows = inside.any(1).nonzero().flatten().tolist()
    assert cols == [8, 9, 10, 11, 12]  # centre +16 px, half width 20: offsets -4..36 -> cells 8..12
    assert rows == [7, 8, 9]  # half height 12: offsets -12..12 -> cells 7..9
    assert int(inside.sum()) == 15


def test_a_target_smaller_than_a_cell_still_has_its_nearest_cell():
    inside = target_cells(torch.tensor([[2.0, 2.0]]), torch.tensor([[21.0, -3.0]]), 17, 8.0, 8)[0]
    assert inside.nonzero().tolist() == [[8, 11]]  # x 21 px -> nearest cell 8 + 21/8 = 10.6 -> 11; y -3 -> 8


def test_attention_loss_is_low_on_the_target_and_high_elsewhere():
    inside = target_cells(torch.tensor([[16.0, 16.0]]), torch.zeros(1, 2), 9, 4.0, 8)  # (1, 9, 9)
    on_target = inside.float() / inside.sum()
    uniform = torch.full((1, 9, 9), 1 / 81)
    off_target = torch.zeros(1, 9, 9)
    off_target[0, 0, 0] = 1
    losses = [float(attention_target_loss(a, inside)) for a in (on_target, uniform, off_target)]
    assert losses[0] == pytest.approx(0.0, abs=1e-4)
    assert losses[0] < losses[1] < losses[2]
    assert losses[1] == pytest.approx(-torch.log(inside.sum() / 81.0).item(), rel=1e-4)


def test_invalid_maps_are_left_out_of_both_losses():
    inside = target_cells(torch.tensor([[16.0, 16.0]] * 2), torch.zeros(2, 2), 9, 4.0, 8)
    good, bad = inside[0].float() / inside[0].sum(), torch.zeros(9, 9)
    bad[0, 0] = 1
    alpha = torch.stack([good, bad])
    assert float(attention_target_loss(alpha, inside, torch.tensor([True, False]))) == pytest.approx(0, abs=1e-4)
    responses = torch.randn(2, 9, 9)
    labels, weights = torch.zeros(2, 9, 9), torch.full((2, 9, 9), 1 / 81)
    first = balanced_logistic_loss(responses[:1], labels[:1], weights[:1])
    assert torch.allclose(balanced_logistic_loss(responses, labels, weights, torch.tensor([True, False])), first)


def test_foreign_frames_come_from_other_clips_never_at_step_zero_and_repeat_per_step(tmp_path):
    t = _trainer(tmp_path, 1, foreign_frame_rate=0.5, batch_size=3, cache_clips=4)
    z = torch.arange(3 * 3, dtype=torch.float32).view(3, 3, 1)  # (B, T, 1): value = clip * 3 + step
    x = z * 10
    swapped_z, swapped_x, valid = t._foreign_frames(z, x)
    assert valid[:, 0].all() and not valid.all()  # with 6 candidate steps at rate 0.5, this seed swaps some
    for b, s in (~valid).nonzero().tolist():
        source = int(swapped_z[b, s, 0])
        assert source // 3 != b  # another clip of the batch ...
        assert swapped_x[b, s, 0] == source * 10  # ... whose exemplar and search move together
    assert torch.equal(swapped_z[valid], z[valid])
    again = t._foreign_frames(z, x)
    assert torch.equal(again[0], swapped_z) and torch.equal(again[2], valid)  # same step, same frames
    t.step = 1
    assert not torch.equal(t._foreign_frames(z, x)[2], valid)  # the next step draws again


def test_the_attention_loss_moves_the_attention_onto_the_target(tmp_path):
    def in_box_mass(t) -> float:
        cache = t._feature_cache()
        attentions: list = []
        with torch.no_grad():
            t.net.eval()
            t.net.forward_features(cache["z"].float(), cache["x"].float(), attentions=attentions)
        alpha = torch.stack(attentions, 1).flatten(0, 1)  # (B*T, Hr, Wr)
        inside = target_cells(cache["sizes"].flatten(0, 1), cache["offsets"].flatten(0, 1), alpha.shape[-1],
                              t.zero_cell, t.stride)
        return float((alpha * inside).flatten(1).sum(1).mean())

    plain = _trainer(tmp_path / "plain", 8, validate_every=1000, checkpoint_every=1000, attention_loss_weight=0.0)
    taught = _trainer(tmp_path / "taught", 8, validate_every=1000, checkpoint_every=1000,
                      attention_loss_weight=1.0, learning_rate=1e-2)
    start = in_box_mass(taught)
    plain.run()
    taught.run()
    assert in_box_mass(taught) > 1.5 * start  # the attention gathers on the target's cells
    assert in_box_mass(taught) > in_box_mass(plain)
    rows = list(csv.DictReader(open(tmp_path / "taught" / "log.csv")))
    assert float(rows[-1]["attention_loss"]) < float(rows[0]["attention_loss"])


def test_new_training_settings_are_checked():
    with pytest.raises(ConfigError):
        TrainConfig(attention_loss_weight=-1)
    with pytest.raises(ConfigError):
        TrainConfig(foreign_frame_rate=1.0)



def test_with_one_clip_per_batch_foreign_frames_are_off_and_say_so(tmp_path):
    with pytest.warns(UserWarning, match="foreign frames are off"):
        t = _trainer(tmp_path, 1, foreign_frame_rate=0.5, batch_size=1, cache_clips=4)
    z = torch.zeros(1, 3, 1)
    assert t._foreign_frames(z, z)[2].all()
