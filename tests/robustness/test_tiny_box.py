"""A start box below the tracker's minimum size is refused with one line (it crashed the engine)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.cli import main
from tests.robustness.support import write_frames
from tracker.config import ModelConfig, TrackerConfig
from tracker.engine import MemTracker
from tracker.model import MemTrackNet
from tracker.types import Box, BoxError


@pytest.fixture(scope="module")
def small_tracker() -> MemTracker:
    torch.manual_seed(0)
    config = TrackerConfig(model=ModelConfig(lstm_units=16, attention_dim=8, memory_slots=3))
    return MemTracker(MemTrackNet(config.model).eval(), config, device="cpu")


@pytest.mark.parametrize("w, h", [(0.1, 0.1), (3.9, 40.0), (40.0, 1.0)])
def test_initialize_and_reseed_refuse_a_box_below_the_minimum(small_tracker, w, h):
    frame = np.zeros((48, 64, 3), np.uint8)
    with pytest.raises(BoxError, match=r"smaller than the tracker's minimum of 4x4 px"):
        small_tracker.initialize(frame, Box(10.0, 10.0, w, h))
    small_tracker.initialize(frame, Box(10.0, 10.0, 4.0, 4.0))  # the minimum itself tracks
    assert small_tracker.track(frame).box.w >= 4.0
    with pytest.raises(BoxError, match="smaller than"):
        small_tracker.reseed(frame, Box(10.0, 10.0, w, h), "update")


def test_the_track_command_reports_it_in_one_line(tmp_path, capsys):
    frames = write_frames(tmp_path / "frames")
    assert main(["track", str(frames), "--init", "10,10,0.1,0.1", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {frames}: --init: box 0.1x0.1 is smaller than the tracker's minimum of 4x4 px"]
