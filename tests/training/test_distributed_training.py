"""Training under torchrun: two gloo processes on the CPU, each on half of every batch, follow the loss
curve of one process on the same global batch; the pieces that make that true (batch statistics and
dropout masks of the global batch) are checked on their own first."""
from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import torch
import torch.nn.functional as F

from tests.conftest import moving_square_frames
from tracker.checkpoint import load_checkpoint, save_checkpoint
from tracker.config import ModelConfig, TrackerConfig
from tracker.controller import dropout_rows
from tracker.model import MemTrackNet
from tracker.project import BoxEntry, Project, Provenance, VideoRef, save_project
from tracker.types import Box

REPO = Path(__file__).resolve().parents[2]


def _gloo_available() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_gloo_available()


needs_gloo = pytest.mark.skipif(not _gloo_available(), reason="torch.distributed with gloo is not available")


def test_each_rank_drops_what_one_process_drops_on_its_rows():
    g = torch.randn(8, 32)
    torch.manual_seed(7)
    whole = F.dropout(g, p=0.2)
    for rank in range(2):
        torch.manual_seed(7)
        assert torch.equal(dropout_rows(g[rank::2], 0.2, rank, 2), whole[rank::2])


def _project(root: Path) -> Path:
    frames, boxes = moving_square_frames(n=12, height=200, width=260, size=40, seed=4)
    clip = root / "clip"
    clip.mkdir(parents=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(clip / f"{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    project = Project(VideoRef(str(clip), len(frames), 260, 200, 30.0))
    obj = project.new_object("square")
    for i, b in enumerate(boxes):
        obj.entries[i] = BoxEntry(Box(*b), Provenance.KEYFRAME)
    save_project(root / "clip.json", project)
    return root / "clip.json"


def _small_weights(root: Path) -> Path:
    torch.manual_seed(0)
    config = TrackerConfig(model=ModelConfig(backbone="mobilenetv2", lstm_units=32, attention_dim=16))
    net = MemTrackNet(config.model)
    pretrained, _, _ = load_checkpoint()
    net.backbone.load_state_dict(pretrained.backbone.state_dict())
    save_checkpoint(root / "small.safetensors", net, config)
    return root / "small.safetensors"


def _train_args(data: Path, weights: Path, out: Path, steps: int) -> list[str]:
    return ["train", "--out", str(out), "--data", f"project:{data}", "--weights", str(weights), "--device", "cpu",
            "--steps", str(steps), "--threads", "1", "--set", "batch_size=4", "--set", "clip_steps=3",
            "--set", "cache_clips=4", "--set", "log_every=1", "--set", "validate_every=1000",
            "--set", "checkpoint_every=2", "--set", "learning_rate=0.003", "--set", "lr_decay_every=2",
            # foreign frames are drawn within each process's share of the batch (see the trainer), so only
            # a run without them follows one process step for step
            "--set", "foreign_frame_rate=0"]


def _losses(out: Path) -> list[tuple[int, float, float]]:
    with open(out / "log.csv") as f:
        return [(int(r["step"]), float(r["loss"]), float(r["grad_norm"])) for r in csv.DictReader(f)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(args: list[str], timeout: float = 150) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
           "--master-port", str(_free_port()), str(REPO / "main.py"), *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


@needs_gloo
def test_torchrun_with_two_gloo_processes_follows_the_one_process_loss_curve(tmp_path):
    from app.cli import main

    data, weights = _project(tmp_path / "data"), _small_weights(tmp_path)
    assert main(_train_args(data, weights, tmp_path / "one", 4)) == 0
    # two processes: 3 steps, then a resumed session for the 4th (optimizer, step and RNG from rank 0's files)
    first = _torchrun(_train_args(data, weights, tmp_path / "two", 4) + ["--stop-after", "3"])
    assert first.returncode == 0, first.stderr[-3000:]
    resumed = _torchrun(_train_args(data, weights, tmp_path / "two", 4))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "2 processes (gloo), global batch 4" in resumed.stderr
    assert resumed.stderr.count("resuming") == 1  # rank 0 alone reports
    one, two = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert [s for s, _, _ in two] == [1, 2, 3, 4] == [s for s, _, _ in one]
    for (_, loss_1, grad_1), (_, loss_2, grad_2) in zip(one, two):
        assert loss_2 == pytest.approx(loss_1, rel=1e-4, abs=1e-6)
        assert grad_2 == pytest.approx(grad_1, rel=1e-3, abs=1e-4)
    net_1, _, _ = load_checkpoint(tmp_path / "one" / "final.safetensors")
    net_2, _, _ = load_checkpoint(tmp_path / "two" / "final.safetensors")
    for (name, a), b in zip(net_1.state_dict().items(), net_2.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), rtol=1e-3, atol=1e-5), name


def test_each_rank_loads_its_rows_of_every_global_batch_and_resumes_at_a_batch():
    from torch.utils.data import Dataset

    from tracker.training.data.clips import clip_loader

    class Numbers(Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            return {"i": torch.tensor(i)}

    whole = [b["i"] for b in clip_loader(Numbers(), 4, start_batch=1)]
    for rank in range(2):
        mine = [b["i"] for b in clip_loader(Numbers(), 2, start_batch=1, rank=rank, world_size=2)]
        assert [m.tolist() for m in mine] == [w[rank::2].tolist() for w in whole]
    assert [w.tolist() for w in whole][0] == [4, 5, 6, 7]


_BN_CHECK = """
import sys, torch, torch.distributed as dist
sys.path.insert(0, {repo!r})
from tracker.training.distributed import DistributedContext, sync_batch_norms

ctx = DistributedContext.from_env("cpu")
torch.manual_seed(0)
x = torch.randn(4, 3, 5, 5, dtype=torch.float64) * 3 + 1
w = torch.randn(4, 3, 5, 5, dtype=torch.float64)
def model():
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU()).double()
def loss(net, xs, ws):
    return (net(xs) * ws[:, :, 1:4, 1:4]).sum() / len(xs)
whole = model()
loss(whole, x, w).backward()
mine = sync_batch_norms(model())
loss(mine, ctx.shard(x), ctx.shard(w)).backward()
for p in mine.parameters():
    dist.all_reduce(p.grad)
    p.grad /= ctx.world_size
for (name, a), b in zip(whole.named_parameters(), mine.parameters()):
    assert torch.allclose(a.grad, b.grad, rtol=1e-12, atol=1e-12), name
assert torch.allclose(whole[1].running_var, mine[1].running_var, rtol=1e-12)
ctx.close()
import os
open(os.path.join(os.environ["BN_CHECK_OUT"], "ok " + str(ctx.rank)), "w").close()  # one file per rank
"""


@needs_gloo
def test_synced_batch_norm_gives_each_rank_the_gradient_of_the_whole_batch(tmp_path):
    script = tmp_path / "bn_check.py"
    script.write_text(_BN_CHECK.format(repo=str(REPO)))
    out = tmp_path / "ranks"
    out.mkdir()
    # each rank reports in its own file: two ranks printing to one pipe interleave ("okok 0")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "BN_CHECK_OUT": str(out)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
           "--master-port", str(_free_port()), str(script)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("ok")) == ["ok 0", "ok 1"]
