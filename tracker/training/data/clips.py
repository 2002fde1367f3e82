"""Training clips (docs/model.md §8.1 and 8.2): 17 frames of one sequence cropped into exemplars and searches.

Geometry, per frame with ground-truth box (cx, cy, w, h) in 0-based continuous pixels:

- Z = sqrt((w + p)(h + p)), p = 0.5 (w + h); the 271 patch covers a square of side Z * 271 / 127
  centred on the box, so one patch pixel is Z / 127 frame pixels; outside the frame the patch is
  the frame's integer mean colour.
- Frame #0's exemplar is the central 127 x 127 of the patch (no augmentation).
- Exemplars #1..#15: a crop of the patch of side round(127 (1 + 0.1 U(-1, 1))), drawn
  independently for width and height, centre moved by up to min(8, (271 - side) / 2) px per axis,
  resized to 127.
- Searches #1..#16: the same with stretch 5 %, shift <= 4 px, resized to 255. The target box is
  carried into the 255 crop (its size w', h' and its true, off-centre position).

The patch is never materialised: each augmented crop is composed with the patch transform and
resampled straight from the frame (the same pixels up to resampling, half the work); regions at
least as large as the output are snapped to whole pixels and resized, and the label is computed
from the region actually cut, so it stays exact. Large frames are decoded at 1/2, 1/4 or 1/8 size when every crop of that frame shrinks by
at least that factor (JPEG decodes much faster so, and bilinear sampling then does not alias).

Batches for training come from :class:`ClipDataset` (deterministic: clip ``i`` depends only on the
seed and ``i``, so a run resumes exactly from any batch) through :func:`clip_loader`.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import Any, Sequence as SequenceType

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler

from ...geometry import context_side
from ...types import Box
from .sequences import DatasetError, Sequence

__all__ = [
    "ClipConfig",
    "Clip",
    "CropSpec",
    "context_side",
    "sample_frame_indices",
    "evenly_spaced_indices",
    "make_clip",
    "sample_clip",
    "sample_validation_clip",
    "ClipDataset",
    "ValidationClipDataset",
    "clip_loader",
]


@dataclass(frozen=True)
class ClipConfig:
    """Clip sampling constants; the defaults are the paper's (docs/model.md §8.1, 8.2, 9)."""

    steps: int = 16  # time steps per clip: steps + 1 frames
    exemplar_size: int = 127
    search_size: int = 255
    patch_size: int = 271  # 255 + 2 * 8
    context_amount: float = 0.5
    exemplar_stretch: float = 0.10  # side = round(127 (1 + stretch U(-1, 1))) per axis
    exemplar_shift: float = 8.0  # max centre shift per axis, also <= (271 - side) / 2
    search_stretch: float = 0.05
    search_shift: float = 4.0
    skip_last_frame: bool = True  # docs/model.md §8.2 draws from 0 .. L-2 (the reference code's off-by-one)
    validation_frames: int = 49  # docs/model.md §8.4: 48 steps, 49 evenly spaced frames

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps={self.steps} must be >= 1")
        if not self.exemplar_size < self.search_size <= self.patch_size:
            raise ValueError("sizes must satisfy exemplar_size < search_size <= patch_size")
        if self.validation_frames < 2:
            raise ValueError(f"validation_frames={self.validation_frames} must be >= 2")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClipConfig":
        """Build from a mapping; unknown keys are an error naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown clip config keys: {', '.join(unknown)}")
        return cls(**data)


@dataclass
class Clip:
    """One training clip of ``T`` steps (``T = 16`` for training).

    exemplars: (T, 3, 127, 127) float32 in [0, 1] RGB, index t = exemplar of frame #t (t = 0..T-1).
    searches: (T, 3, 255, 255) float32 in [0, 1] RGB, index t = search crop of frame #t+1.
    search_boxes: (T, 4) float32, the target in each search crop, 0-based x, y, w, h in crop pixels.
    frame_indices: (T + 1,) int64, the frames of the sequence used, ascending.
    (With ``uint8=True`` the images are uint8 0..255 instead: a quarter of the memory.)
    """

    exemplars: np.ndarray
    searches: np.ndarray
    search_boxes: np.ndarray
    frame_indices: np.ndarray
    name: str = ""

    @property
    def search_sizes(self) -> np.ndarray:
        """(T, 2) target (w', h') in search-crop pixels: what the labels use (docs/model.md §8.3)."""
        return self.search_boxes[:, 2:4]

    @property
    def search_offsets(self) -> np.ndarray:
        """(T, 2) true target centre minus the crop centre, in search-crop pixels (the translation
        augmentation, which the paper's labels ignore)."""
        size = self.searches.shape[-1]
        return self.search_boxes[:, 0:2] + self.search_boxes[:, 2:4] / 2 - size / 2

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {
            "exemplars": torch.from_numpy(self.exemplars),
            "searches": torch.from_numpy(self.searches),
            "search_boxes": torch.from_numpy(self.search_boxes),
            "frame_indices": torch.from_numpy(self.frame_indices),
        }


@dataclass(frozen=True)
class CropSpec:
    """One augmented crop of a frame's patch: side (w, h) and centre shift (dx, dy) in patch pixels,
    resized to ``out`` x ``out``."""

    side_w: float
    side_h: float
    dx: float
    dy: float
    out: int


def _augment(rng: np.random.Generator, base: int, stretch: float, shift: float, patch: int, out: int) -> CropSpec:
    """docs/model.md §8.2 step 3/4: independent per-axis stretch, then a uniform shift within the patch."""
    side_w = float(round(base * (1 + stretch * rng.uniform(-1, 1))))
    side_h = float(round(base * (1 + stretch * rng.uniform(-1, 1))))
    max_dx = max(0.0, min(shift, (patch - side_w) / 2))
    max_dy = max(0.0, min(shift, (patch - side_h) / 2))
    dx = float(rng.uniform(-max_dx, max_dx))
    dy = float(rng.uniform(-max_dy, max_dy))
    return CropSpec(side_w, side_h, dx, dy, out)


def _region(box: Box, spec: CropSpec, cfg: ClipConfig) -> tuple[float, float, float, float]:
    """The crop's region in frame pixels (x, y, w, h, continuous edge coordinates): the patch is
    centred on the box with 127 / Z patch pixels per frame pixel; the crop is ``spec`` within it."""
    cx, cy = box.center
    k = cfg.exemplar_size / context_side(box.w, box.h, cfg.context_amount)  # patch px per frame px
    w, h = spec.side_w / k, spec.side_h / k
    return (cx + spec.dx / k - w / 2, cy + spec.dy / k - h / 2, w, h)


def _cut(image: np.ndarray, factor: float, region: tuple[float, float, float, float], out: int,
         mean: tuple[float, ...]) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Resample ``region`` (original-frame pixels) of ``image`` (decoded 1/``factor`` size) to out x out.

    A region at least ``out`` pixels wide is snapped to whole pixels and resized (an order of magnitude
    faster than a general warp; the snap moves each edge by at most half an input pixel, i.e. half an
    output pixel); smaller regions are sampled exactly with a bilinear warp. Outside the frame is the
    mean colour. Returns the crop and the region it really covers, from which labels are computed.
    """
    x, y, w, h = (v / factor for v in region)
    ih, iw = image.shape[:2]
    if w >= out and h >= out:
        x0, y0, x1, y1 = round(x), round(y), round(x + w), round(y + h)
        if x0 >= 0 and y0 >= 0 and x1 <= iw and y1 <= ih:
            src = image[y0:y1, x0:x1]
        else:
            src = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
            src[:] = np.array(mean, np.float64).round().astype(np.uint8)
            ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x1, iw), min(y1, ih)
            if ix1 > ix0 and iy1 > iy0:
                src[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = image[iy0:iy1, ix0:ix1]
        crop = cv2.resize(src, (out, out), interpolation=cv2.INTER_LINEAR)
        return crop, (x0 * factor, y0 * factor, (x1 - x0) * factor, (y1 - y0) * factor)
    sx, sy = w / out, h / out
    # edge coordinate x + u sx; pixel index = edge - 0.5 on both sides
    mat = np.array([[sx, 0.0, x + 0.5 * sx - 0.5], [0.0, sy, y + 0.5 * sy - 0.5]])
    crop = cv2.warpAffine(image, mat, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=mean)
    return crop, region


def _box_in_region(box: Box, region: tuple[float, float, float, float], out: int) -> tuple[float, ...]:
    """The frame's box in the pixels of a crop of ``region`` resized to out x out (x, y, w, h)."""
    rx, ry, rw, rh = region
    return ((box.x - rx) * out / rw, (box.y - ry) * out / rh, box.w * out / rw, box.h * out / rh)


def _read_frame(seq: Sequence, index: int, shrink: float) -> tuple[np.ndarray, float]:
    """The frame, decoded or downsampled (area filter) by a power of two <= shrink (<= 8) when every
    crop of it shrinks by that much; returns (image, factor)."""
    want = 1
    while want * 2 <= min(shrink, 8.0):
        want *= 2
    image, factor = seq.read(index, reduce=want)
    factor = float(factor)
    if factor < want:
        h, w = image.shape[:2]
        extra = want / factor
        image = cv2.resize(image, (max(1, round(w / extra)), max(1, round(h / extra))),
                           interpolation=cv2.INTER_AREA)
        factor = want
    return image, factor


def _crop_frame(seq: Sequence, index: int, specs: list[CropSpec], cfg: ClipConfig
                ) -> list[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """All crops of one frame: (RGB uint8 (out, out, 3), region covered in frame pixels) each."""
    box = seq.boxes[index]
    if box is None:
        raise ValueError(f"sequence {seq.name}: frame {index} has no box")
    regions = [_region(box, spec, cfg) for spec in specs]
    shrink = min(min(r[2], r[3]) / spec.out for r, spec in zip(regions, specs))
    image, factor = _read_frame(seq, index, shrink)
    mean = tuple(float(round(m)) for m in cv2.mean(image)[:3])  # docs/model.md §8.1: integer mean RGB
    return [_cut(image, factor, r, spec.out, mean) for r, spec in zip(regions, specs)]


def _present_candidates(seq: Sequence, cfg: ClipConfig) -> np.ndarray:
    present = seq.present
    return present[:-1] if cfg.skip_last_frame else present


def sample_frame_indices(seq: Sequence, rng: np.random.Generator, count: int = 17,
                         config: ClipConfig | None = None) -> np.ndarray:
    """``count`` distinct frame indices, drawn uniformly from the frames where the target is present
    (without the last such frame when ``config.skip_last_frame``), sorted ascending."""
    cfg = config or ClipConfig()
    candidates = _present_candidates(seq, cfg)
    if len(candidates) < count:
        raise ValueError(f"sequence {seq.name}: {len(candidates)} usable frames, a clip needs {count}")
    return np.sort(rng.choice(candidates, size=count, replace=False)).astype(np.int64)


def evenly_spaced_indices(seq: Sequence, count: int) -> np.ndarray:
    """``count`` distinct present frames evenly spaced from the first to the last (validation)."""
    present = seq.present
    if len(present) < count:
        raise ValueError(f"sequence {seq.name}: {len(present)} frames with a box, need {count}")
    positions = np.round(np.linspace(0, len(present) - 1, count)).astype(np.int64)
    return present[positions]


def make_clip(seq: Sequence, indices: SequenceType[int], rng: np.random.Generator,
              config: ClipConfig | None = None, uint8: bool = False) -> Clip:
    """Crop the given frames (ascending) into a clip of ``len(indices) - 1`` steps (module docstring)."""
    cfg = config or ClipConfig()
    indices = np.asarray(indices, dtype=np.int64)
    n = len(indices)
    if n < 2 or np.any(np.diff(indices) <= 0):
        raise ValueError("a clip needs at least 2 distinct ascending frame indices")
    steps = n - 1
    ex_size, se_size, patch = cfg.exemplar_size, cfg.search_size, cfg.patch_size
    exemplars = np.empty((steps, ex_size, ex_size, 3), np.uint8)
    searches = np.empty((steps, se_size, se_size, 3), np.uint8)
    boxes = np.empty((steps, 4), np.float32)
    for j, frame in enumerate(indices):
        specs = []
        if j < steps:  # exemplar of frame #j
            if j == 0:
                specs.append(CropSpec(ex_size, ex_size, 0.0, 0.0, ex_size))
            else:
                specs.append(_augment(rng, ex_size, cfg.exemplar_stretch, cfg.exemplar_shift, patch, ex_size))
        if j > 0:  # search of frame #j
            specs.append(_augment(rng, se_size, cfg.search_stretch, cfg.search_shift, patch, se_size))
        crops = _crop_frame(seq, int(frame), specs, cfg)
        if j < steps:
            exemplars[j] = crops[0][0]
        if j > 0:
            searches[j - 1] = crops[-1][0]
            boxes[j - 1] = _box_in_region(seq.boxes[int(frame)], crops[-1][1], se_size)
    ex = exemplars.transpose(0, 3, 1, 2)
    se = searches.transpose(0, 3, 1, 2)
    if uint8:
        ex, se = np.ascontiguousarray(ex), np.ascontiguousarray(se)
    else:
        ex = ex.astype(np.float32) * np.float32(1 / 255)
        se = se.astype(np.float32) * np.float32(1 / 255)
    return Clip(ex, se, boxes, indices, seq.name)


def sample_clip(seq: Sequence, rng: np.random.Generator, config: ClipConfig | None = None,
                uint8: bool = False) -> Clip:
    """A training clip: ``steps + 1`` random present frames (docs/model.md §8.2), cropped and augmented."""
    cfg = config or ClipConfig()
    return make_clip(seq, sample_frame_indices(seq, rng, cfg.steps + 1, cfg), rng, cfg, uint8)


def sample_validation_clip(seq: Sequence, rng: np.random.Generator, config: ClipConfig | None = None,
                           uint8: bool = False) -> Clip:
    """A validation clip: ``config.validation_frames`` evenly spaced present frames (augmented too, as
    in the reference code)."""
    cfg = config or ClipConfig()
    return make_clip(seq, evenly_spaced_indices(seq, cfg.validation_frames), rng, cfg, uint8)


# ----------------------------------------------------------------------------- torch wrappers


def _usable(sequences: SequenceType[Sequence], need: int, cfg: ClipConfig, what: str) -> list[Sequence]:
    usable = [s for s in sequences if len(_present_candidates(s, cfg) if what == "training" else s.present) >= need]
    if not usable:
        raise DatasetError(f"none of the {len(sequences)} sequences has the {need} annotated frames a "
                           f"{what} clip needs")
    return usable


class ClipDataset(Dataset):
    """Training clips as a map-style dataset: item ``i`` is a clip of a sequence drawn uniformly, with
    everything random seeded by ``(seed, i)``, so any item can be rebuilt on its own (exact resume,
    any number of workers). ``length`` is the number of clips (e.g. steps x batch size).

    Items are dicts of tensors (see :meth:`Clip.to_tensors`) plus ``"sequence"`` (the index into
    :attr:`sequences`).
    """

    def __init__(self, sequences: SequenceType[Sequence], length: int, seed: int = 0,
                 config: ClipConfig | None = None, uint8: bool = False):
        self.config = config or ClipConfig()
        self.sequences = _usable(sequences, self.config.steps + 1, self.config, "training")
        self.length = int(length)
        self.seed = int(seed)
        self.uint8 = uint8

    def __len__(self) -> int:
        return self.length

    def clip(self, index: int) -> tuple[Clip, int]:
        """Clip ``index`` and the index of the sequence it came from."""
        if not 0 <= index < self.length:
            raise IndexError(f"clip {index} out of range 0..{self.length - 1}")
        rng = np.random.default_rng([self.seed, index])
        seq_index = int(rng.integers(len(self.sequences)))
        return sample_clip(self.sequences[seq_index], rng, self.config, self.uint8), seq_index

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        clip, seq_index = self.clip(index)
        item = clip.to_tensors()
        item["sequence"] = torch.tensor(seq_index)
        return item


class ValidationClipDataset(Dataset):
    """One validation clip per sequence with at least ``config.validation_frames`` annotated frames,
    evenly spaced frames, augmentation seeded by ``(seed, i)``."""

    def __init__(self, sequences: SequenceType[Sequence], seed: int = 0, config: ClipConfig | None = None,
                 uint8: bool = False):
        self.config = config or ClipConfig()
        self.sequences = _usable(sequences, self.config.validation_frames, self.config, "validation")
        self.seed = int(seed)
        self.uint8 = uint8

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, 1_000_003, index])
        item = sample_validation_clip(self.sequences[index], rng, self.config, self.uint8).to_tensors()
        item["sequence"] = torch.tensor(index)
        return item


class _RangeSampler(Sampler[int]):
    def __init__(self, start: int, stop: int):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


class _SkipSampler(Sampler[int]):
    """The indices of ``sampler`` after its first ``skip`` (resuming a distributed run)."""

    def __init__(self, sampler: Sampler[int], skip: int):
        self.sampler, self.skip = sampler, skip

    def __iter__(self):
        return itertools.islice(iter(self.sampler), self.skip, None)

    def __len__(self) -> int:
        return max(0, len(self.sampler) - self.skip)


def clip_loader(dataset: Dataset, batch_size: int = 8, workers: int = 0, start_batch: int = 0,
                pin_memory: bool = False, rank: int = 0, world_size: int = 1) -> DataLoader:
    """Batches of ``batch_size`` clips in index order, starting at batch ``start_batch`` (to resume a run
    exactly); with ``world_size`` > 1 (torchrun), this rank's ``batch_size`` rows of each global batch of
    ``world_size * batch_size`` clips (``DistributedSampler`` order). Tensors gain a leading batch axis: exemplars (B, T, 3, 127, 127), searches
    (B, T, 3, 255, 255), search_boxes (B, T, 4), frame_indices (B, T + 1), sequence (B,).

    Workers are forked. Do not call ``cv2.setNumThreads`` inside them (a worker_init_fn): after a fork
    it can deadlock on OpenCV's inherited thread-pool state; PyTorch already runs workers with one
    torch thread."""
    if world_size > 1:
        # rank r of N holds clips r, r + N, r + 2N, ...: its rows of the global batches of N * batch_size
        ranks = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=False, drop_last=True)
        sampler: Sampler[int] = _SkipSampler(ranks, start_batch * batch_size)
    else:
        sampler = _RangeSampler(start_batch * batch_size, len(dataset))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      pin_memory=pin_memory, drop_last=False, persistent_workers=workers > 0,
                      prefetch_factor=2 if workers > 0 else None)
