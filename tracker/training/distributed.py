"""Training on several processes with ``torchrun``: one process per GPU (NCCL) or per CPU share (gloo).

``torchrun --nproc-per-node N main.py train ...`` starts N copies of the trainer and tells each its
RANK, WORLD_SIZE and LOCAL_RANK in the environment; ``DistributedContext.from_env`` reads them and
joins the process group. Without those variables the context is the one-process default and nothing
here changes the trainer.

The rule that makes N processes train exactly like one: every step draws the same *global* batch as a
single process would, and rank r takes its rows r, r + N, r + 2N, ... (``shard``; ``DistributedSampler``'s
order). Then

- the loss is a mean over equally many maps per rank, so DDP's average of the ranks' gradients is the
  single-process gradient;
- batch normalisation in training mode uses the statistics of the global batch (``SyncedBatchNorm2d``,
  all-reduced with autograd, for gloo and NCCL alike), not each rank's own;
- dropout draws the mask of the global batch from the same seed and keeps its rows of it
  (``controller.LayerNormLSTMCell.shard``, ``controller.dropout_rows``), so each rank drops what one process would have dropped.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.nn as nn

__all__ = ["DistributedContext", "SyncedBatchNorm2d", "launched_by_torchrun", "sync_batch_norms"]


def launched_by_torchrun() -> bool:
    return all(k in os.environ for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs and checkpoints."""
        return self.rank == 0

    @classmethod
    def from_env(cls, device_type: str) -> "DistributedContext":
        """Join the process group torchrun set up (NCCL for CUDA, gloo for the CPU); the one-process
        context when not launched by torchrun."""
        if not launched_by_torchrun():
            return cls()
        import torch.distributed as dist

        rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        backend = "nccl" if device_type == "cuda" else "gloo"
        if not dist.is_available():
            raise RuntimeError("this torch build has no torch.distributed: cannot train under torchrun")
        if not dist.is_initialized():
            dist.init_process_group(backend, timeout=timedelta(hours=2))
        return cls(rank, world, local, backend)

    def device(self, device: torch.device) -> torch.device:
        """This rank's device: its own GPU (LOCAL_RANK) on CUDA."""
        if self.active and device.type == "cuda":
            torch.cuda.set_device(self.local_rank)
            return torch.device("cuda", self.local_rank)
        return device

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch (dimension 0)."""
        return batch[self.rank :: self.world_size] if self.active else batch

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a (detached) tensor over the ranks."""
        if not self.active:
            return value
        import torch.distributed as dist

        total = value.detach().clone()
        dist.all_reduce(total)
        return total / self.world_size

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def close(self) -> None:
        """Leave the process group joined by ``from_env`` (nothing to do in a one-process run)."""
        if self.backend:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


class _AllReduceSum(torch.autograd.Function):
    """Sum over the ranks. Each rank's share enters every rank's result, so its gradient is the sum of
    the gradients all ranks hold for the result: the backward is the same all-reduce."""

    @staticmethod
    def forward(ctx, t: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        out = t.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        out = grad.contiguous().clone()
        dist.all_reduce(out)
        return out


def _all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    return _AllReduceSum.apply(t)


class SyncedBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training-mode statistics are those of the batch of all ranks together
    (two all-reduces: the sums and counts, then the squared deviations). In eval mode, and in a
    one-process run, it is BatchNorm2d. Same parameters and buffers, so checkpoints do not change."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        xf = x.to(torch.promote_types(x.dtype, torch.float32))  # (N, C, H, W); half precision sums in float32
        dims = (0, 2, 3)
        count = torch.tensor([xf.numel() / xf.shape[1]], device=x.device, dtype=xf.dtype)
        sums = _all_reduce_sum(torch.cat([xf.sum(dims), count]))  # (C + 1,)
        n = sums[-1]
        mean = sums[:-1] / n  # (C,)
        centred = xf - mean[None, :, None, None]
        var = _all_reduce_sum(centred.pow(2).sum(dims)) / n  # (C,) biased, as batch norm normalises
        if self.track_running_stats and self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * (n / (n - 1).clamp_min(1)))
        y = centred * torch.rsqrt(var + self.eps)[None, :, None, None]
        if self.affine:
            y = y * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return y.to(x.dtype)


def sync_batch_norms(module: nn.Module) -> nn.Module:
    """Make every BatchNorm2d inside ``module`` a SyncedBatchNorm2d, in place (the same parameter and
    buffer objects, so an optimizer built before or after sees the same tensors)."""
    for child in module.modules():
        if type(child) is nn.BatchNorm2d:
            child.__class__ = SyncedBatchNorm2d
    return module
