"""CPU and CUDA agreement (skipped without a CUDA GPU): GPU crops, tracking boxes, exact resume."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_support import moving_square_frames
from tracker import Box, load_tracker
from tracker.geometry import crop_cpu, crop_torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


def test_crop_torch_on_cuda_matches_crop_cpu():
    frames, _ = moving_square_frames(n=1)
    frame = frames[0]
    centers = [(30.0, 40.0), (80.7, 60.2), (5.0, 110.0)]
    sides = [40.0, 101.4, 255.0]
    gpu = torch.from_numpy(frame).cuda().permute(2, 0, 1).float() / 255
    got = crop_torch(gpu, torch.tensor(centers, device="cuda"), torch.tensor(sides, device="cuda"), 255)
    assert np.abs(got.cpu().numpy() - crop_cpu(frame, centers, sides, 255)).max() <= 2 / 255


def test_cuda_tracker_agrees_with_cpu_and_resumes_exactly():
    frames, boxes = moving_square_frames(n=10)
    cpu, gpu = load_tracker(device="cpu"), load_tracker(device="cuda")
    for trk in (cpu, gpu):
        trk.initialize(frames[0], Box(*boxes[0]))
    snap = None
    gpu_results = []
    for i in range(1, 10):
        a, b = cpu.track(frames[i]), gpu.track(frames[i])
        gpu_results.append(b)
        assert a.box.iou(b.box) > 0.9
        assert np.hypot(a.box.center[0] - b.box.center[0], a.box.center[1] - b.box.center[1]) < 2.0
        if i == 5:
            snap = gpu.snapshot()
    gpu.restore(snap)
    for i in range(6, 10):
        res = gpu.track(frames[i])
        assert res.box == gpu_results[i - 1].box and res.score == gpu_results[i - 1].score
