"""Training the last backbone blocks on a frozen backbone's cache (``train.backbone_blocks_trained``)."""
from __future__ import annotations

import pytest
import torch

from tests.training.test_trainer import _trainer
from tracker.backbone import BackboneStem, MobileNetV2Backbone, backbone_tail
from tracker.checkpoint import load_checkpoint
from tracker.config import ConfigError
from tracker.training.config import TrainConfig


def test_stem_then_tail_is_the_whole_backbone():
    bb = MobileNetV2Backbone().eval()
    x = torch.rand(2, 3, 63, 63)
    with torch.no_grad():
        whole = bb(x)  # (2, 96, 8, 8)
        split = backbone_tail(bb, 2)(BackboneStem(bb, 2)(x))
    assert torch.allclose(whole, split, atol=1e-6)
    assert len(backbone_tail(bb, 0)) == 0
    with pytest.raises(ValueError, match="cannot train its last"):
        BackboneStem(bb, len(bb.features))


def test_only_the_tail_blocks_train_and_the_cache_holds_their_input(tmp_path):
    t = _trainer(tmp_path, 3, backbone_blocks_trained=1, backbone_learning_rate_scale=0.5)
    bb = t.net.backbone
    before = {k: v.clone() for k, v in bb.state_dict().items()}
    t.run()
    after = bb.state_dict()
    last = f"features.{len(bb.features) - 1}."
    changed = {k for k in before if not torch.equal(before[k], after[k]) and "running" not in k}
    assert changed and all(k.startswith(last) for k in changed)
    # BN statistics stay the pretrained ones (the tail runs in eval mode, like the cached stem)
    assert all(torch.equal(before[k], after[k]) for k in before if "running" in k)
    cache = t._feature_cache()
    assert cache["z"].shape[-1] == 16  # the whole 16x16 exemplar map; the 7x7 template is cut after the tail
    assert [g["lr"] for g in t.optimizer.param_groups] == pytest.approx([t.learning_rate(2), 0.5 * t.learning_rate(2)])
    # the checkpoint carries the trained block, and the tracker loads it strictly
    net, _, _ = load_checkpoint(tmp_path / "final.safetensors")
    assert torch.equal(net.backbone.state_dict()[last + "conv.0.weight"], after[last + "conv.0.weight"])


def test_the_cache_of_a_tail_run_is_not_the_frozen_one(tmp_path):
    frozen = _trainer(tmp_path / "a", 1)
    tail = _trainer(tmp_path / "b", 1, backbone_blocks_trained=1)
    assert frozen._cache_signature() != tail._cache_signature()
    before = tail._cache_signature()
    with torch.no_grad():
        next(iter(backbone_tail(tail.net.backbone, 1).parameters())).add_(1.0)
    assert tail._cache_signature() == before  # the trained tail does not invalidate its own input


def test_tail_blocks_need_the_frozen_path():
    with pytest.raises(ConfigError, match="frozen backbone"):
        TrainConfig(freeze_backbone=False, backbone_blocks_trained=1)
    with pytest.raises(ConfigError):
        TrainConfig(backbone_blocks_trained=-1)
