"""Training configuration; the defaults are the paper's (docs/model.md §8) except where a field says otherwise
(decoupled weight decay, the opened residual gate, the attention loss and foreign frames: see the model card)."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import ConfigError

__all__ = ["TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 100_000  # iterations
    batch_size: int = 8  # clips per iteration
    clip_steps: int = 16  # time steps per clip (17 frames)
    learning_rate: float = 1e-4
    lr_decay: float = 0.8  # staircase: lr * decay ** floor(step / lr_decay_every)
    lr_decay_every: int = 10_000
    # Regularisation. "l2" is the paper's: l2 * 1/2 sum w^2 over every trainable tensor added to the
    # loss. Adam divides every gradient by its running RMS, so for a parameter whose loss gradient is
    # smaller than l2 * |w| (the attention, read key and LSTM of a memory whose residual gate starts
    # nearly shut) that term becomes a step of ~learning_rate per iteration towards 0, whatever l2 is:
    # it zeroed the attention of earlier weights. "decoupled" (AdamW) shrinks w by lr * weight_decay * w
    # per step instead, outside Adam's normalisation (see the model card).
    weight_decay_mode: str = "decoupled"
    l2: float = 1e-4  # "l2" mode
    weight_decay: float = 1e-2  # "decoupled" mode
    # Residual gate r = sigmoid(bias) at the start of a fresh run (0: keep the checkpoint's). The
    # untrained checkpoint keeps r = 0.01 so that it tracks as a plain Siamese tracker; trained from
    # there, everything upstream of the memory read gets ~1/100 of its gradient (the reference code: bias 0).
    start_residual_gate: float = 0.5
    # Not in the paper (0 = the paper's training): weight of -log(attention mass inside the target's
    # box), which teaches the attention to look at the target; the response loss alone leaves it free
    # (the paper's recipe left its peak in the box on 18 % of validation frames; see the model card).
    attention_loss_weight: float = 0.1
    # Not in the paper (0 = off): the chance that a step of a clip (after the first) shows a frame of
    # another clip instead, exemplar and search both, with no response or attention loss there. Writing
    # such a frame into the memory hurts the steps after it, as writing a drifted or occluded frame
    # does when tracking, so the write gates have something to decide. Off (with a warning) when a
    # process trains on fewer than 2 clips per batch: the frames come from the other clips.
    foreign_frame_rate: float = 0.1
    clip_norm: float = 20.0  # global gradient norm
    label_threshold: float = 0.7
    label_true_centre: bool = False  # paper: labels assume the target is centred
    seed: int = 1234
    # Augmentation of the exemplars written to memory (frames #1..#15 of a clip; docs/model.md §8.2): per-axis
    # stretch of the crop side and centre shift in 127-pixel exemplar units. The paper's 0.10 / 8 px;
    # larger values teach the memory to cope with the imprecise boxes it is written from when tracking.
    write_stretch: float = 0.10
    write_shift: float = 8.0
    # Frozen backbone: features of a fixed pool of clips are computed once and the memory network
    # and heads train on that cache (practical on a CPU). False trains everything end to end.
    freeze_backbone: bool = True
    cache_clips: int = 1024  # pool size for the frozen-backbone cache
    # With a frozen backbone: the last N entries of the backbone's ``features`` (MobileNetV2: its inverted-
    # residual blocks 13, 12, ...) train as well. The cache then holds the features that enter them, and
    # the exemplar map is kept whole (the template cells are cut after the tail). 0: the backbone is frozen.
    backbone_blocks_trained: int = 0
    # Learning rate of the trained backbone blocks relative to ``learning_rate`` (pretrained weights move slowly).
    backbone_learning_rate_scale: float = 0.1
    validate_every: int = 5000
    validation_clips: int = 16
    checkpoint_every: int = 5000
    log_every: int = 10
    amp: bool = True  # mixed precision, CUDA only
    workers: int = 0  # DataLoader workers for end-to-end training

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "clip_steps", "lr_decay_every", "validate_every",
                     "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1")
        if not 0 <= self.write_stretch < 1 or self.write_shift < 0:
            raise ConfigError("train.write_stretch must be in [0, 1) and train.write_shift >= 0")
        if self.weight_decay_mode not in ("l2", "decoupled"):
            raise ConfigError(f"train.weight_decay_mode must be 'l2' or 'decoupled', not {self.weight_decay_mode!r}")
        if not (self.l2 >= 0 and self.weight_decay >= 0):
            raise ConfigError("train.l2 and train.weight_decay must be >= 0")
        if not 0 <= self.start_residual_gate < 1:
            raise ConfigError("train.start_residual_gate must be in [0, 1) (0 keeps the checkpoint's)")
        if self.attention_loss_weight < 0:
            raise ConfigError("train.attention_loss_weight must be >= 0")
        if not 0 <= self.foreign_frame_rate < 1:
            raise ConfigError("train.foreign_frame_rate must be in [0, 1)")
        if self.backbone_blocks_trained < 0 or self.backbone_learning_rate_scale < 0:
            raise ConfigError("train.backbone_blocks_trained and train.backbone_learning_rate_scale must be >= 0")
        if self.backbone_blocks_trained and not self.freeze_backbone:
            raise ConfigError("train.backbone_blocks_trained applies to a frozen backbone (end to end trains every block)")
        if self.freeze_backbone and self.cache_clips < self.batch_size:
            raise ConfigError("train.cache_clips must be at least the batch size")
