"""A training run's resume file that is a pickle of other objects (or not a torch file at all) is one
line naming it, never torch's advice to load it with ``weights_only=False``."""
from __future__ import annotations

import pickle

import pytest
import torch

from app.cli import CommandError
from app.commands.train import resume
from tests.conftest import moving_square_frames
from tracker.checkpoint import save_checkpoint
from tracker.config import ModelConfig, TrackerConfig
from tracker.model import MemTrackNet
from tracker.training.config import TrainConfig
from tracker.training.data.sequences import Sequence
from tracker.training.trainer import Trainer
from tracker.types import Box


class Payload:
    """Stands for any object a hostile pickle would build (here harmless)."""

    def __reduce__(self):
        return (print, ("the resume file was unpickled",))


@pytest.mark.parametrize("content", [pickle.dumps({"step": 3, "x": Payload()}), b"\x80\x04garbage", b""])
def test_a_foreign_resume_file_is_one_line(tmp_path, capsys, content):
    torch.manual_seed(0)
    config = TrackerConfig(model=ModelConfig(lstm_units=16, attention_dim=8, memory_slots=3))
    net = MemTrackNet(config.model)
    imgs, boxes = moving_square_frames(n=24)
    sequence = Sequence("square", tuple(Box(*b) for b in boxes), reader=imgs.__getitem__)
    trainer = Trainer(net, config, TrainConfig(steps=1, batch_size=1), [sequence], [], tmp_path, device="cpu")
    save_checkpoint(tmp_path / "last.safetensors", net, config)
    (tmp_path / "train_state.pt").write_bytes(content)
    with pytest.raises(CommandError) as info:
        resume(trainer, tmp_path, CommandError)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "train_state.pt"))
    assert "--no-resume" in message and "weights_only" not in message
    assert "unpickled" not in capsys.readouterr().out
