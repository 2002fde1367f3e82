"""The MemTrack trainer (docs/model.md §8): BPTT over whole clips, balanced logistic loss, Adam with the
learning-rate staircase, L2 on every trainable tensor, global-norm gradient clipping.

Two modes:
- frozen backbone (default, practical on a CPU): the features of a fixed pool of clips are computed
  once (``feature_cache.pt`` in the run folder) and the memory network, attention, controller, heads
  and bn_response train on them;
- end to end (``freeze_backbone=False``, for a GPU): every clip goes through the backbone, with mixed
  precision on CUDA.

A run folder holds ``log.csv`` (one row per logged step), ``last.safetensors`` + ``train_state.pt``
(resume point: optimizer, step), ``step_NNNNNN.safetensors`` checkpoints and ``final.safetensors``.
Every random draw depends only on (seed, step), so a resumed run continues exactly as if it had
never stopped (the resume point also carries the RNG state).

Under ``torchrun`` (``distributed``, see ``tracker.training.distributed``) each process trains on its
rows of the same global batch inside DistributedDataParallel, with batch statistics and dropout masks
of the global batch, so N processes follow the loss curve of one; rank 0 alone logs and checkpoints.
"""
from __future__ import annotations

import csv
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence as SequenceType

import torch
from torch.nn.utils import clip_grad_norm_

from ..atomic import atomic_write_bytes
from ..backbone import BackboneStem, backbone_tail, fuse_conv_bn, pad_free_template
from ..checkpoint import load_checkpoint, save_checkpoint
from ..config import TrackerConfig
from ..model import MemTrackNet
from .config import TrainConfig
from .distributed import DistributedContext, sync_batch_norms
from .data.clips import ClipConfig, ClipDataset, ValidationClipDataset, clip_loader
from .data.sequences import Sequence
from .losses import attention_target_loss, balanced_logistic_loss, iou_labels, target_cells

__all__ = ["Trainer", "TrainSummary"]

LOG_FIELDS = ["step", "lr", "loss", "attention_loss", "l2", "grad_norm", "val_loss", "val_attention_peak",
              "val_attention_in_box", "val_gate_spread", "clips_per_s", "elapsed_s"]
CACHE_VERSION = 2


@dataclass(frozen=True)
class TrainSummary:
    steps: int
    final_loss: float
    final_val_loss: float | None
    wall_seconds: float
    clips_per_second: float
    checkpoint: Path


def _save_torch(path: Path, obj) -> None:
    import io

    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def cached_to_backbone_features(net: MemTrackNet, tail: torch.nn.Module, z: torch.Tensor, x: torch.Tensor
                                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached features -> the backbone's output: through the trained tail blocks when there are any.

    Without a tail, z (B, T, C, K, K) and x (B, T, C, Hx, Wx) are returned as they are. With one, z is the
    whole exemplar map entering the tail (B, T, C', Hz, Wz) and x the search map entering it (B, T, C', Hx, Wx).
    """
    if len(tail) == 0:
        return z, x
    bb = net.backbone
    zf = tail(z.flatten(0, 1))  # (B*T, C, Hz, Wz)
    zf = pad_free_template(zf, bb.template_cells, bb.template_offset).unflatten(0, z.shape[:2])  # (B, T, C, K, K)
    xf = tail(x.flatten(0, 1)).unflatten(0, x.shape[:2])  # (B, T, C, Hx, Wx)
    return zf, xf


class _TrainStep(torch.nn.Module):
    """The training forward as a module's ``forward``, which DistributedDataParallel wraps."""

    def __init__(self, net: MemTrackNet, frozen_backbone: bool, tail: torch.nn.Sequential) -> None:
        super().__init__()
        self.net = net
        self.frozen_backbone = frozen_backbone
        self.tail = tail  # the backbone's trained last blocks (the net's own modules), or empty

    def forward(self, z: torch.Tensor, x: torch.Tensor, with_attention: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        # z, x: (B, T, ...) -> responses (B, T, Hr, Wr) and, when asked, attention maps (B, T, Hr, Wr)
        attentions: list | None = [] if with_attention else None
        if self.frozen_backbone:
            z, x = cached_to_backbone_features(self.net, self.tail, z, x)  # (B, T, C, K, K), (B, T, C, Hx, Wx)
            responses = self.net.forward_features(z, x, attentions=attentions)  # (B, T, Hr, Wr)
        else:
            responses = self.net.forward_clip(z, x, attentions=attentions)  # (B, T, Hr, Wr)
        return responses, torch.stack(attentions, dim=1) if attentions is not None else None  # (B, T, Hr, Wr)


class Trainer:
    def __init__(self, net: MemTrackNet, config: TrackerConfig, train: TrainConfig,
                 train_sequences: SequenceType[Sequence], val_sequences: SequenceType[Sequence],
                 out_dir: str | os.PathLike, device: str | torch.device = "cpu",
                 progress: Callable[[int, int, dict], None] | None = None, extra: dict | None = None,
                 distributed: DistributedContext | None = None) -> None:
        self.dist = distributed or DistributedContext()
        if train.batch_size % self.dist.world_size:
            raise ValueError(f"the batch size ({train.batch_size}) must be a multiple of the number of processes "
                             f"({self.dist.world_size}): each trains on an equal share of every batch")
        self.net = net.to(device)
        self.config = config
        self.train = train
        self.device = torch.device(device)
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.progress = progress
        self.extra = dict(extra or {})
        clip_cfg = ClipConfig(steps=train.clip_steps, exemplar_size=config.tracking.exemplar_size,
                              search_size=config.tracking.search_size,
                              context_amount=config.tracking.context_amount,
                              exemplar_stretch=train.write_stretch, exemplar_shift=train.write_shift)
        self.clip_config = clip_cfg
        length = train.cache_clips if train.freeze_backbone else train.steps * train.batch_size
        self.dataset = ClipDataset(train_sequences, length=length, seed=train.seed, config=clip_cfg)
        self.val_dataset = None
        if val_sequences:
            self.val_dataset = ValidationClipDataset(val_sequences, seed=train.seed + 1, config=clip_cfg)
        self.cells, self.zero_cell = net.response_geometry(clip_cfg.exemplar_size, clip_cfg.search_size)
        self.stride = net.backbone.stride
        self.tail_blocks = train.backbone_blocks_trained
        tail = backbone_tail(net.backbone, self.tail_blocks)  # refuses a tail longer than the backbone
        if train.freeze_backbone:
            for p in net.backbone.parameters():
                p.requires_grad_(False)
            for p in tail.parameters():
                p.requires_grad_(True)
        if train.start_residual_gate > 0:  # a fresh run; resume() loads the saved weights over this
            with torch.no_grad():
                net.heads.residual.bias.fill_(math.log(train.start_residual_gate / (1 - train.start_residual_gate)))
        if self.dist.active:
            sync_batch_norms(net)
            net.lstm.shard = (self.dist.rank, self.dist.world_size)
        self.params = [p for p in net.parameters() if p.requires_grad]
        tail_ids = {id(p) for p in tail.parameters()}
        # parameter groups with their learning rate relative to train.learning_rate
        groups = [{"params": [p for p in self.params if id(p) not in tail_ids], "scale": 1.0}]
        if tail_ids:
            groups.append({"params": [p for p in self.params if id(p) in tail_ids],
                           "scale": train.backbone_learning_rate_scale})
        self._step = _TrainStep(net, train.freeze_backbone, tail)
        self._ddp = None
        if train.foreign_frame_rate > 0 and train.batch_size // self.dist.world_size < 2:
            import warnings

            warnings.warn("foreign frames are off: they come from the other clips of a process's batch, and each "
                          "process trains on one clip", stacklevel=2)
        if self.dist.active:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self._ddp = DistributedDataParallel(self._step, device_ids=ids,
                                                broadcast_buffers=False)
        if train.weight_decay_mode == "decoupled":
            self.optimizer = torch.optim.AdamW(groups, lr=train.learning_rate, betas=(0.9, 0.999), eps=1e-8,
                                               weight_decay=train.weight_decay)
        else:
            self.optimizer = torch.optim.Adam(groups, lr=train.learning_rate, betas=(0.9, 0.999), eps=1e-8)
        self.val_stats: dict[str, float] = {}
        self.use_amp = train.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.step = 0
        self._cache: dict[str, torch.Tensor] | None = None
        self._val_cache: dict[str, torch.Tensor] | None = None

    # ------------------------------------------------------------------ resume

    def resume(self) -> bool:
        """Continue from ``last.safetensors`` + ``train_state.pt`` when both exist."""
        state_path, weights = self.out / "train_state.pt", self.out / "last.safetensors"
        if not (state_path.is_file() and weights.is_file()):
            return False
        net, config, _ = load_checkpoint(weights)
        if config.model != self.config.model:
            raise ValueError(f"{weights}: the run folder holds a different model; use another --out")
        self.net.load_state_dict(net.state_dict(), strict=True)
        state = torch.load(state_path, map_location=self.device, weights_only=True)
        if state["train_config"] != asdict(self.train):
            raise ValueError(f"{state_path}: the run was started with other training settings")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        if "rng" in state:  # written by versions that save it; the draws depend on (seed, step) anyway
            torch.set_rng_state(state["rng"].cpu())
        return True

    def _save_resume_point(self) -> None:
        save_checkpoint(self.out / "last.safetensors", self.net, self.config, self._metadata())
        _save_torch(self.out / "train_state.pt", {
            "step": self.step, "optimizer": self.optimizer.state_dict(), "scaler": self.scaler.state_dict(),
            "train_config": asdict(self.train), "rng": torch.get_rng_state(),
        })

    def _metadata(self) -> dict:
        return {**self.extra, "trained_steps": self.step, "train_config": asdict(self.train)}

    # ------------------------------------------------------------------ data

    def _embed_items(self, items: list[dict]) -> dict[str, torch.Tensor]:
        zs, xs, sizes, offsets = [], [], [], []
        bb = self.net.backbone.eval()
        # BN folded and channels-last: the same features, about twice as fast on a CPU
        # with trained tail blocks: the features that enter them, and the whole exemplar map
        fast = fuse_conv_bn(BackboneStem(bb, self.tail_blocks)).to(memory_format=torch.channels_last)
        cells, offset = bb.template_cells, bb.template_offset
        if self.tail_blocks:
            cells, offset = None, 0

        def embed(images: torch.Tensor) -> torch.Tensor:
            return fast(images.to(self.device).contiguous(memory_format=torch.channels_last)).contiguous()

        with torch.no_grad():
            for item in items:
                z = embed(item["exemplars"])  # (T, C', Hz, Wz)
                z = z if cells is None else pad_free_template(z, cells, offset)  # (T, C, K, K)
                x = torch.cat([embed(chunk) for chunk in item["searches"].split(4)])  # (T, C, Hx, Wx)
                zs.append(z.half().cpu())
                xs.append(x.half().cpu())
                boxes = item["search_boxes"]  # (T, 4) x, y, w, h in crop pixels
                sizes.append(boxes[:, 2:4].float())
                centre = (item["searches"].shape[-1]) / 2
                offsets.append((boxes[:, 0:2] + boxes[:, 2:4] / 2 - centre).float())
        bb.train(not self.train.freeze_backbone)
        return {"z": torch.stack(zs), "x": torch.stack(xs), "sizes": torch.stack(sizes),
                "offsets": torch.stack(offsets)}

    def _feature_cache(self) -> dict[str, torch.Tensor]:
        """Features of clips 0..cache_clips-1, computed once and kept in the run folder."""
        if self._cache is not None:
            return self._cache
        path = self.out / "feature_cache.pt"
        signature = self._cache_signature()
        if path.is_file():
            cache = torch.load(path, weights_only=True)
            if cache.get("signature") == signature:
                self._cache = cache
                return cache
        parts = []
        total = len(self.dataset)
        for k in range(total):
            parts.append(self._embed_items([self.dataset[k]]))
            if self.progress:
                self.progress(k + 1, total, {"phase": "caching features"})
        cache = {key: torch.cat([p[key] for p in parts]) for key in parts[0]}
        cache["signature"] = signature
        if self.dist.is_main:  # every rank computes the same features; one writes them
            _save_torch(path, cache)
        self._cache = cache
        return cache

    def _cache_signature(self) -> str:
        """What the cached features depend on: clips (settings, seed, sequences) and the frozen backbone.
        A cache whose signature differs is rebuilt rather than silently reused."""
        import hashlib
        import json

        backbone = hashlib.sha256()
        for tensor in BackboneStem(self.net.backbone, self.tail_blocks).head.state_dict().values():  # not the tail
            backbone.update(tensor.detach().float().cpu().numpy().tobytes())
        fields = {"version": CACHE_VERSION, "clips": asdict(self.clip_config), "seed": self.train.seed,
                  "count": len(self.dataset), "backbone": backbone.hexdigest(),
                  "sequences": [[s.name, len(s)] for s in self.dataset.sequences]}
        if self.tail_blocks:  # absent when 0, so the caches of earlier runs stay valid
            fields["tail"] = self.tail_blocks
        text = json.dumps(fields, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def _validation_cache(self) -> dict[str, torch.Tensor] | None:
        if self.val_dataset is None:
            return None
        if self._val_cache is None:
            n = min(self.train.validation_clips, len(self.val_dataset))
            self._val_cache = self._embed_items([self.val_dataset[i] for i in range(n)])
        return self._val_cache

    # ------------------------------------------------------------------ loss

    def _loss(self, responses: torch.Tensor, sizes: torch.Tensor, offsets: torch.Tensor,
              valid: torch.Tensor | None = None) -> torch.Tensor:
        # responses: (B, T, Hr, Wr); sizes, offsets: (B, T, 2); valid: (B, T) bool or None
        labels, weights = iou_labels(sizes.flatten(0, 1).to(responses.device), self.cells, self.zero_cell,
                                     self.stride, self.train.label_threshold,
                                     offsets.flatten(0, 1).to(responses.device) if self.train.label_true_centre
                                     else None)
        return balanced_logistic_loss(responses.flatten(0, 1).float(), labels, weights,
                                      None if valid is None else valid.flatten().to(responses.device))

    def _attention_loss(self, attention: torch.Tensor, sizes: torch.Tensor, offsets: torch.Tensor,
                        valid: torch.Tensor) -> torch.Tensor:
        # attention: (B, T, Hr, Wr); sizes, offsets: (B, T, 2); valid: (B, T) bool
        alpha = attention.flatten(0, 1).float()  # (B*T, Hr, Wr)
        inside = target_cells(sizes.flatten(0, 1).to(alpha.device), offsets.flatten(0, 1).to(alpha.device),
                              alpha.shape[-1], self.zero_cell, self.stride)  # (B*T, Hr, Wr)
        return attention_target_loss(alpha, inside, valid.flatten().to(alpha.device))

    def _foreign_frames(self, z: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Replace some steps (t >= 1) of each clip by a step of another clip of the batch.

        Under torchrun the batch is this process's share, so the draws differ from one process's: a run
        with foreign frames does not follow the one-process run step for step (one without them does).

        z: (B, T, ...) exemplars, x: (B, T, ...) searches -> (z, x, valid (B, T) bool); deterministic per
        (seed, step). Valid is False where a foreign frame stands.
        """
        b, t = z.shape[:2]
        valid = torch.ones(b, t, dtype=torch.bool)
        rate = self.train.foreign_frame_rate
        if rate <= 0 or b < 2:
            return z, x, valid
        g = torch.Generator().manual_seed(self.train.seed * 4_999_963 + self.step)
        swap = torch.rand(b, t, generator=g) < rate  # (B, T)
        swap[:, 0] = False  # step 0 is T0, the annotator's box
        other = (torch.arange(b)[:, None] + torch.randint(1, b, (b, t), generator=g)) % b  # (B, T) another clip
        at = torch.randint(t, (b, t), generator=g)  # (B, T) and one of its steps
        if not swap.any():
            return z, x, valid
        z, x = z.clone(), x.clone()
        rows, steps = swap.nonzero(as_tuple=True)
        z[rows, steps] = z[other[rows, steps], at[rows, steps]]
        x[rows, steps] = x[other[rows, steps], at[rows, steps]]
        return z, x, ~swap

    def _l2(self) -> torch.Tensor:
        """The paper's L2 term added to the loss; zero in decoupled mode (AdamW applies the decay)."""
        if self.train.weight_decay_mode != "l2":
            return torch.zeros((), device=self.device)
        return 0.5 * self.train.l2 * sum(p.float().pow(2).sum() for p in self.params)

    def learning_rate(self, step: int) -> float:
        return self.train.learning_rate * self.train.lr_decay ** (step // self.train.lr_decay_every)

    @torch.no_grad()
    def validate(self) -> float | None:
        cache = self._validation_cache()
        if cache is None:
            return None
        self.net.eval()
        losses, attentions, gates, inside = [], [], [], []
        for i in range(len(cache["z"])):
            z = cache["z"][i : i + 1].float().to(self.device)
            x = cache["x"][i : i + 1].float().to(self.device)
            z, x = cached_to_backbone_features(self.net, self._step.tail, z, x)  # (1, T, C, K, K), (1, T, C, Hx, Wx)
            record: list = []
            responses = self.net.forward_features(z, x, record)
            losses.append(float(self._loss(responses, cache["sizes"][i : i + 1], cache["offsets"][i : i + 1])))
            attentions += [a.flatten(1) for a, _ in record[1:]]  # the first step's query is h0, not h_{t-1}
            gates += [g for _, g in record]
            inside.append(target_cells(cache["sizes"][i, 1:].float(), cache["offsets"][i, 1:].float(),
                                       record[0][0].shape[-1], self.zero_cell, self.stride).flatten(1))
        in_box = torch.cat(inside).to(self.device)  # (M, L)
        self._train_mode()
        alpha = torch.cat(attentions)  # (M, L)
        g = torch.cat(gates)  # (M, 3) [write, read, allocate]
        spread = torch.quantile(g.float(), 0.95, dim=0) - torch.quantile(g.float(), 0.05, dim=0)  # (3,)
        peak = alpha.argmax(1)  # (M,)
        self.val_stats = {"attention_peak": float((alpha.max(1).values * alpha.shape[1]).mean()),
                          "attention_in_box": float(in_box[torch.arange(len(peak)), peak].float().mean()),
                          "gate_spread": "/".join(f"{v:.3f}" for v in spread.tolist())}
        return sum(losses) / len(losses)

    def _train_mode(self) -> None:
        self.net.train()
        if self.train.freeze_backbone:
            self.net.backbone.eval()  # frozen BN statistics

    # ------------------------------------------------------------------ loop

    def _batches(self):
        """Yields (z, x, sizes, offsets) per step from self.step on; deterministic per (seed, step)."""
        t = self.train
        if t.freeze_backbone:
            cache = self._feature_cache()
            while True:
                g = torch.Generator().manual_seed(t.seed * 1_000_003 + self.step)
                idx = self.dist.shard(torch.randint(len(cache["z"]), (t.batch_size,), generator=g))
                yield (cache["z"][idx].float().to(self.device), cache["x"][idx].float().to(self.device),
                       cache["sizes"][idx], cache["offsets"][idx])
        else:
            loader = clip_loader(self.dataset, t.batch_size // self.dist.world_size, workers=t.workers,
                                 start_batch=self.step, pin_memory=self.device.type == "cuda",
                                 rank=self.dist.rank, world_size=self.dist.world_size)
            for batch in loader:
                boxes = batch["search_boxes"]
                centre = batch["searches"].shape[-1] / 2
                yield (batch["exemplars"].to(self.device, non_blocking=True),
                       batch["searches"].to(self.device, non_blocking=True),
                       boxes[..., 2:4], boxes[..., 0:2] + boxes[..., 2:4] / 2 - centre)

    def _forward(self, z: torch.Tensor, x: torch.Tensor, with_attention: bool = False
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(responses (B, T, Hr, Wr), attention maps (B, T, Hr, Wr) with their gradient, or None)."""
        amp = self.use_amp and not self.train.freeze_backbone
        step = self._ddp if self._ddp is not None else self._step
        with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
            return step(z, x, with_attention)

    def run(self, stop: Callable[[], bool] | None = None) -> TrainSummary:
        """Train from self.step to train.steps (or until ``stop()`` says so); returns a summary."""
        t = self.train
        self._train_mode()
        main = self.dist.is_main
        log_path = self.out / "log.csv"
        new_log = not log_path.is_file() or self.step == 0
        log = open(log_path if main else os.devnull, "w" if new_log or not main else "a", newline="")
        writer = csv.DictWriter(log, fieldnames=LOG_FIELDS)
        if new_log:
            writer.writeheader()
        start_time, start_step = time.perf_counter(), self.step
        loss_value, val_loss = math.nan, None
        batches = self._batches()
        try:
            while self.step < t.steps:
                if stop is not None and stop():
                    break
                z, x, sizes, offsets = next(batches)
                z, x, valid = self._foreign_frames(z, x)
                torch.manual_seed(t.seed * 7_919 + self.step)  # dropout masks depend only on the step
                lr = self.learning_rate(self.step)
                for group in self.optimizer.param_groups:
                    group["lr"] = lr * group.get("scale", 1.0)  # resume points of older runs have no "scale"
                responses, attention = self._forward(z, x, with_attention=t.attention_loss_weight > 0)
                loss = self._loss(responses, sizes, offsets, valid)
                attention_loss = (self._attention_loss(attention, sizes, offsets, valid) if attention is not None
                                  else torch.zeros((), device=self.device))
                l2 = self._l2()
                total = loss + t.attention_loss_weight * attention_loss + l2
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.scale(total).backward()
                self.scaler.unscale_(self.optimizer)
                grad_norm = clip_grad_norm_(self.params, t.clip_norm)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.step += 1
                loss_value = self.dist.mean(loss.detach()).item()  # the global batch's loss
                if main and (self.step % t.validate_every == 0 or self.step == t.steps):
                    val_loss = self.validate()
                if main and (self.step % t.log_every == 0 or self.step == t.steps):
                    elapsed = time.perf_counter() - start_time
                    rate = (self.step - start_step) * t.batch_size / max(elapsed, 1e-9)
                    row = {"step": self.step, "lr": lr, "loss": round(loss_value, 6),
                           "attention_loss": round(attention_loss.item(), 6), "l2": round(l2.item(), 6),
                           "grad_norm": round(float(grad_norm), 4),
                           "val_loss": "" if val_loss is None else round(val_loss, 6),
                           "val_attention_peak": round(self.val_stats["attention_peak"], 4) if self.val_stats else "",
                           "val_attention_in_box": round(self.val_stats["attention_in_box"], 4)
                           if self.val_stats else "",
                           "val_gate_spread": self.val_stats.get("gate_spread", ""),
                           "clips_per_s": round(rate, 3), "elapsed_s": round(elapsed, 1)}
                    writer.writerow(row)
                    log.flush()
                    if self.progress:
                        self.progress(self.step, t.steps, row)
                if main and self.step % t.checkpoint_every == 0:
                    save_checkpoint(self.out / f"step_{self.step:06d}.safetensors", self.net, self.config,
                                    self._metadata())
                    self._save_resume_point()
        finally:
            log.close()
        wall = time.perf_counter() - start_time
        final = self.out / "final.safetensors"
        if main:
            self._save_resume_point()
            save_checkpoint(final, self.net, self.config,
                            {**self._metadata(), "wall_seconds_last_session": round(wall, 1)})
        self.dist.barrier()  # every rank returns once the checkpoints exist
        done = self.step - start_step
        return TrainSummary(self.step, loss_value, val_loss, wall, done * t.batch_size / max(wall, 1e-9), final)
