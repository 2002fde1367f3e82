"""CPU and CUDA agree (runs only where a CUDA GPU is present; skipped otherwise)."""
from __future__ import annotations

import pytest
import torch

from tests.conftest import moving_square_frames
from tracker import Box, load_tracker

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


@pytest.mark.parametrize("half", [False, True])
def test_cuda_tracks_like_the_cpu(half):
    from tracker import TrackingConfig

    frames, boxes = moving_square_frames(n=10)
    results = {}
    for device in ("cpu", "cuda"):
        trk = load_tracker(device=device, tracking=TrackingConfig(cuda_half=half))
        trk.initialize(frames[0], Box(*boxes[0]))
        results[device] = [trk.track(f) for f in frames[1:]]
    for a, b in zip(results["cpu"], results["cuda"]):
        assert abs(a.box.x - b.box.x) < 1.0 and abs(a.box.y - b.box.y) < 1.0
        assert abs(a.box.w - b.box.w) < 1.0
        assert abs(a.score - b.score) < 0.02


def test_multi_target_batch_on_cuda_matches_single_targets():
    frames, boxes = moving_square_frames(n=6)
    trk = load_tracker(device="cuda", tracking=None)
    trk.initialize(frames[0], Box(*boxes[0]), target_id=0)
    trk.initialize(frames[0], Box(5, 5, 30, 30), target_id=1)
    together = [trk.track_all(f) for f in frames[1:]]
    alone = load_tracker(device="cuda")
    alone.initialize(frames[0], Box(*boxes[0]))
    for f, both in zip(frames[1:], together):
        r = alone.track(f)
        assert abs(r.box.x - both[0].box.x) < 1e-2 and abs(r.box.y - both[0].box.y) < 1e-2
