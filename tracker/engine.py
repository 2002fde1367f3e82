"""MemTracker: the tracking loop around MemTrackNet (docs/model.md §3), for one or many targets.

All targets of a frame go through the network in one batch: K scales per target, each scale forking
the target's memory state, and only the chosen scale's state survives (docs/model.md §3, step 12).
"""
from __future__ import annotations

import contextlib
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .backbone import fuse_conv_bn
from .config import TrackerConfig
from .correction import CORRECTION_STRATEGIES, CorrectionStrategy, keyframe_slot_cap, strategy
from .geometry import context_side, crop_cpu, crop_torch, peak_displacement
from . import memory as memory_ops
from .memory import MemoryState
from .model import MemTrackNet, NetState
from .result import RowLayout, TrackResult
from .scoring import ResponseScorer
from .search_geometry import ResponseGeometry
from .types import Box, BoxError

__all__ = ["MemTracker", "TrackerSnapshot", "RESEED_MODES", "resolve_device"]

RESEED_MODES = tuple(CORRECTION_STRATEGIES)  # see tracker.correction


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; ``cuda`` without a GPU is an error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but no CUDA GPU is available")
    return dev


@dataclass
class _Target:
    """One target's geometry (host floats) and memory-network state (device tensors, batch 1)."""

    cx: float
    cy: float
    w: float
    h: float
    state: NetState
    pending: torch.Tensor  # (1, C, K, K) template of the last frame, written at the next step
    pending_crop: np.ndarray | None = None  # (127, 127, 3) uint8 image of that template, for diagnostics
    slot_sources: list = field(default_factory=list)  # per slot: (frame index, crop) last written, or None
    writes_frozen: bool = False
    frame_index: int = 0
    keyframe_slots: list = field(default_factory=list)  # slots pinned by corrections, oldest first

    @property
    def box(self) -> Box:
        return Box.from_center(self.cx, self.cy, self.w, self.h)


@dataclass(frozen=True)
class TrackerSnapshot:
    """Complete tracker state at one moment; ``MemTracker.restore`` resumes from it bit-exactly."""

    targets: tuple  # ((target_id, _Target copy), ...)

    @property
    def nbytes(self) -> int:
        total = 0
        for _, t in self.targets:
            total += sum(v.numel() * v.element_size() for v in t.state.tensors().values())
            total += t.pending.numel() * t.pending.element_size()
        return total


def _copy_target(t: _Target) -> _Target:
    return _Target(t.cx, t.cy, t.w, t.h, t.state.map(torch.clone), t.pending.clone(), t.pending_crop,
                   list(t.slot_sources), t.writes_frozen, t.frame_index, list(t.keyframe_slots))


class MemTracker:
    """Tracks targets through a video with MemTrack.

    Frames are (H, W, 3) uint8 RGB numpy arrays; boxes are ``Box`` (0-based float pixels).
    """

    def __init__(self, net: MemTrackNet, config: TrackerConfig, device: str | torch.device = "auto",
                 diagnostics: bool = True, name: str = "MemTrack", profile: bool = False) -> None:
        self.config = config
        # profile=True accumulates seconds per stage in self.stage_seconds (synchronising CUDA at
        # each stage boundary, so only for benchmarks)
        self.profile = profile
        self.stage_seconds: dict[str, float] = defaultdict(float)
        self.device = resolve_device(device)
        self.diagnostics = diagnostics
        self.name = name
        self.net = net.to(self.device).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        tc = config.tracking
        self._half = self.device.type == "cuda" and tc.cuda_half
        self._backbone = self._inference_backbone(tc)
        bb = self.net.backbone
        self._stride = bb.stride
        self._template_cells = bb.template_cells
        self._template_offset = bb.template_offset
        # response geometry: zero displacement where the template centre meets the search centre
        self._cells, self._zero_cell = self.net.response_geometry(tc.exemplar_size, tc.search_size)
        # where the maps' cells lie on the search region (travels in every Diagnostics)
        self.response_geometry = ResponseGeometry(float(self._zero_cell), int(self._stride), int(tc.search_size))
        k = tc.num_scales // 2
        self._scale_exponents = list(range(-k, k + 1))
        self._scorer = ResponseScorer(tc, self._cells, self._zero_cell, self._template_cells, self._scale_exponents,
                                      self.device)
        self._layout = RowLayout.of(config.model.memory_slots, self._cells, diagnostics)
        self._targets: dict[int, _Target] = {}
        self._uploaded: tuple[np.ndarray, torch.Tensor] | None = None  # CUDA: the frame on the GPU

    @property
    def _window(self) -> torch.Tensor:
        """The scorer's cosine window (U, U) (tests compare it with numpy's Hann window)."""
        return self._scorer.window

    # ------------------------------------------------------------------ public API

    @property
    def target_ids(self) -> list[int]:
        return list(self._targets)

    def describe(self) -> str:
        return f"{self.name} {self.config.model.backbone} on {self.device.type}"

    @torch.inference_mode()
    def initialize(self, frame: np.ndarray, box: Box, target_id: int = 0, frame_index: int = 0) -> None:
        """Start tracking ``box`` on ``frame`` (adds the target, or starts it over)."""
        frame = self._check_frame(frame)
        self._check_box(box, frame)
        cx, cy = box.center
        self._uploaded = None
        template, crop = self._exemplars(frame, [(cx, cy, box.w, box.h)])
        self._uploaded = None
        state = self.net.init_state(template)
        target = _Target(cx, cy, box.w, box.h, state, template, crop[0] if crop is not None else None,
                         [None] * self.config.model.memory_slots, frame_index=frame_index)
        self._targets[target_id] = target

    def remove(self, target_id: int) -> None:
        self._target(target_id)
        del self._targets[target_id]

    def track(self, frame: np.ndarray, frame_index: int | None = None) -> TrackResult:
        """Track the single target; raises if there is not exactly one."""
        if len(self._targets) != 1:
            raise RuntimeError(f"track() needs exactly one target, there are {len(self._targets)}; use track_all()")
        return next(iter(self.track_all(frame, frame_index).values()))

    def track_all(self, frame: np.ndarray, frame_index: int | None = None) -> dict[int, TrackResult]:
        """One tracking step for every target, batched. Returns {target_id: TrackResult}."""
        self._uploaded = None
        try:
            return self._track_all(frame, frame_index)
        finally:
            self._uploaded = None  # never reuse an upload: the caller may refill the same array

    @torch.inference_mode()
    def _track_all(self, frame: np.ndarray, frame_index: int | None) -> dict[int, TrackResult]:
        if not self._targets:
            raise RuntimeError("no target: call initialize() first")
        frame = self._check_frame(frame)
        ids = list(self._targets)
        targets = [self._targets[i] for i in ids]
        tc = self.config.tracking
        s = len(self._scale_exponents)
        # search sides per scale, rounded to integer pixels (docs/model.md §3, step 1)
        sides = []
        for t in targets:
            x = context_side(t.w, t.h, tc.context_amount) * tc.search_size / tc.exemplar_size
            sides.append([float(round(x * tc.scale_step**e)) for e in self._scale_exponents])
        # search crops centred on the previous position, all scales of all targets in one batch
        centers = [(t.cx, t.cy) for t in targets for _ in range(s)]
        flat_sides = [v for row in sides for v in row]
        with self._stage("crop"):
            crops = self._crop(frame, centers, flat_sides, tc.search_size)  # (T*S, 3, 255, 255)
        with self._stage("backbone"):
            search = self._features(crops)  # (T*S, C, Hx, Wx)
        # fork each target's state over its scales and run the memory network
        with self._stage("memory"):
            before = _cat_states([t.state for t in targets])
            frozen_flags = [t.writes_frozen for t in targets]
            frozen = torch.tensor(frozen_flags, device=self.device)  # (T,)
            applied = memory_ops.effective_write(before.memory, frozen)  # (T, N) what this step writes into each slot
            state = before.map(lambda v: v.repeat_interleave(s, dim=0))
            pending = torch.cat([t.pending for t in targets]).repeat_interleave(s, dim=0)  # (T*S, C, K, K)
            scale_frozen = frozen.repeat_interleave(s) if any(frozen_flags) else None
            state, out = self._step(state, pending, search, scale_frozen)
        with self._stage("post"):
            picked, packed = self._scorer.choose(out, state, search, applied, len(targets), s, self.diagnostics, tc)
            rows = packed.cpu().numpy()  # the one host transfer of the frame
            # keep only the chosen scale's state for each target (docs/model.md §3, step 12)
            state = state.map(lambda v: v.index_select(0, picked))
        results = {}
        new_geometry = []
        for n, (tid, t) in enumerate(zip(ids, targets)):
            row = rows[n]
            layout = self._layout
            k_idx = int(layout.get(row, "scale_index")[0])
            u, v = float(layout.get(row, "peak_u")[0]), float(layout.get(row, "peak_v")[0])
            score = float(layout.get(row, "score")[0])
            exponent = self._scale_exponents[k_idx]
            side = sides[n][k_idx]
            dx, dy = peak_displacement(u, v, self._cells, tc.upscale, self._zero_cell, self._stride,
                                       tc.legacy_displacement)
            # move by the peak offset, rescaled from crop to frame pixels; damp the size change
            cx = t.cx + dx * side / tc.search_size
            cy = t.cy + dy * side / tc.search_size
            factor = (1 - tc.scale_damping) + tc.scale_damping * tc.scale_step**exponent
            w, h = self._clamp_size(t.w * factor, t.h * factor, frame)
            cx = min(max(cx, 0.0), float(frame.shape[1]))
            cy = min(max(cy, 0.0), float(frame.shape[0]))
            new_geometry.append((cx, cy, w, h))
            search_box = Box.from_center(t.cx, t.cy, side, side)
            diag = layout.diagnostics(row, exponent, search_box, self.response_geometry) if self.diagnostics else None
            results[tid] = TrackResult(Box.from_center(cx, cy, w, h), max(0.0, min(1.0, score)), diag)
        # this frame's templates at the new boxes: the writes of the next step
        templates, crops = self._exemplars(frame, new_geometry)
        index = (targets[0].frame_index + 1) if frame_index is None else frame_index
        for n, t in enumerate(targets):
            # remember which frame's appearance each slot now holds (for the memory views)
            for j in np.flatnonzero(self._layout.get(rows[n], "applied_write") >= 0.5):
                t.slot_sources[j] = (t.frame_index, t.pending_crop)
            t.cx, t.cy, t.w, t.h = new_geometry[n]
            t.state = state.map(lambda v, n=n: v[n : n + 1])
            t.pending = templates[n : n + 1]
            t.pending_crop = crops[n] if crops is not None else None
            t.frame_index = index
        return results

    @torch.inference_mode()
    def reseed(self, frame: np.ndarray, box: Box, mode: str = "update", target_id: int = 0,
               frame_index: int | None = None) -> None:
        """Apply a user correction on ``frame`` with one of RESEED_MODES (``tracker.correction``).

        - ``reset``: start over from ``box`` (new initial template, empty memory, fresh controller).
        - ``update``: move the target to ``box`` and keep the initial template, the memory contents
          and the controller state; the corrected appearance is written in full into the least-used
          slot at the next step (allocation gate 1), so later reads can match it.
        - ``retemplate``: like ``update``, and the corrected appearance also replaces the initial
          template T0 (the part of the final template the memory cannot gate away).
        - ``restart``: new T0 and a fresh controller from the box, the memory kept (the box is written
          into it as in ``update``).
        - ``keyframe`` / ``restart-keyframe``: ``update`` / ``restart``, but the box goes at once into a
          pinned keyframe slot instead (the oldest keyframe slot is recycled past half the slots).
        - ``reset-keyframe``: start over, keeping only the pinned slots (earlier keyframes, user pins),
          and pin the box into a keyframe slot.
        """
        chosen = strategy(mode)
        if chosen.is_reset or target_id not in self._targets:
            index = 0 if frame_index is None else frame_index
            self.initialize(frame, box, target_id, index)
            if chosen.keyframe_slot:
                self.reseed(frame, box, mode, target_id, index)
            return
        frame = self._check_frame(frame)
        self._check_box(box, frame)
        t = self._targets[target_id]
        cx, cy = box.center
        self._uploaded = None
        template, crops = self._exemplars(frame, [(cx, cy, box.w, box.h)])
        self._uploaded = None
        crop = crops[0] if crops is not None else None
        index = t.frame_index if frame_index is None else frame_index
        template0 = template if chosen.template0 else t.state.template0  # (1, C, K, K)
        if chosen.controller:
            h, c = self.net.initial_state(template0)  # (1, U), (1, U)
        else:
            h, c = t.state.h, t.state.c
        mem = self._corrected_memory(t, chosen, template, crop, index)
        t.state = NetState(template0, h, c, mem)
        t.cx, t.cy, t.w, t.h = cx, cy, box.w, box.h
        t.pending = template
        t.pending_crop = crop
        t.frame_index = index

    def _corrected_memory(self, t: _Target, chosen: CorrectionStrategy, template: torch.Tensor,
                          crop: np.ndarray | None, index: int) -> MemoryState:
        """The memory after a correction whose appearance is ``template`` (1, C, K, K)."""
        mem = t.state.memory
        if chosen.memory != "keep":
            keep = mem.pinned if chosen.memory == "pinned" else torch.zeros_like(mem.pinned)  # (1, N)
            mem = memory_ops.keep_slots(self.net.init_state(template).memory, mem, keep)
            for j in range(mem.usage.shape[-1]):
                if not bool(keep[0, j]):
                    t.slot_sources[j] = None
            t.keyframe_slots = [j for j in t.keyframe_slots if bool(keep[0, j])]
        slot = self._keyframe_slot(t, mem) if chosen.keyframe_slot else None
        if slot is not None:
            # written now and pinned; the next step writes nothing (the box is already stored)
            t.keyframe_slots.append(slot)
            t.slot_sources[slot] = (index, crop)
            return memory_ops.store_pinned(mem, slot, template)
        return memory_ops.schedule_correction_write(mem)

    def _keyframe_slot(self, t: _Target, mem: MemoryState) -> int | None:
        """The slot a new keyframe goes into: the least-used unpinned one while fewer than the cap are
        keyframes, else the oldest keyframe slot (recycled). None when every slot is pinned by the user."""
        slots = self.config.model.memory_slots
        if len(t.keyframe_slots) >= keyframe_slot_cap(slots):
            return t.keyframe_slots.pop(0)
        slot = memory_ops.least_used_unpinned(mem)
        if slot is None:
            return t.keyframe_slots.pop(0) if t.keyframe_slots else None
        return slot

    def snapshot(self) -> TrackerSnapshot:
        """A copy of the complete state (all targets); cheap, stays on the tracker's device."""
        return TrackerSnapshot(tuple((tid, _copy_target(t)) for tid, t in self._targets.items()))

    def restore(self, snapshot: TrackerSnapshot) -> None:
        self._targets = {tid: _copy_target(t) for tid, t in snapshot.targets}

    # ------------------------------------------------------------------ memory editing

    def memory_slots(self, target_id: int = 0) -> list[dict]:
        """Per slot: usage, pinned flag, whether a correction pinned it (keyframe), and the frame index
        and image crop last written into it."""
        t = self._target(target_id)
        usage = t.state.memory.usage[0].float().cpu().numpy()
        pinned = t.state.memory.pinned[0].cpu().numpy()
        out = []
        for j in range(len(usage)):
            src = t.slot_sources[j]
            out.append({"usage": float(usage[j]), "pinned": bool(pinned[j]), "keyframe": j in t.keyframe_slots,
                        "frame": None if src is None else src[0], "crop": None if src is None else src[1]})
        return out

    def pin_slot(self, slot: int, pinned: bool = True, target_id: int = 0) -> None:
        """A pinned slot is never overwritten nor chosen for allocation; it is still read."""
        t = self._target(target_id)
        self._check_slot(slot)
        if not pinned and slot in t.keyframe_slots:
            t.keyframe_slots.remove(slot)  # an unpinned keyframe is an ordinary slot again
        t.state = t.state.with_memory(memory_ops.pin(t.state.memory, slot, pinned))

    def evict_slot(self, slot: int, target_id: int = 0) -> None:
        """Empty a slot (zero template, zero usage): it is the next to be allocated."""
        t = self._target(target_id)
        self._check_slot(slot)
        t.state = t.state.with_memory(memory_ops.evict(t.state.memory, slot))
        t.slot_sources[slot] = None
        if slot in t.keyframe_slots:
            t.keyframe_slots.remove(slot)

    def set_writes_frozen(self, frozen: bool, target_id: int = 0) -> None:
        """While frozen, no memory write happens (e.g. during an occlusion); reads go on."""
        self._target(target_id).writes_frozen = frozen

    # ------------------------------------------------------------------ internals

    def _inference_backbone(self, tc) -> torch.nn.Module:
        """BN folded into the convolutions; on the CPU also channels-last, traced, frozen and
        optimised for oneDNN (about 20 % faster); on CUDA half precision when configured."""
        backbone = fuse_conv_bn(self.net.backbone).to(self.device)
        if not isinstance(self.net.neck, torch.nn.Identity):
            backbone = torch.nn.Sequential(backbone, self.net.neck).eval()  # both already on the device
        if self.device.type != "cpu":
            return backbone.half() if self._half else backbone
        backbone = backbone.to(memory_format=torch.channels_last)
        example = torch.zeros(1, 3, tc.search_size, tc.search_size).contiguous(memory_format=torch.channels_last)
        try:
            with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                traced = torch.jit.trace(backbone, example, check_trace=False)
                return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        except Exception as e:  # noqa: BLE001 - TorchScript is an optimisation; eager mode is always correct
            warnings.warn(f"TorchScript could not optimise the backbone ({e}); running it eagerly (slower)",
                          RuntimeWarning, stacklevel=2)
            return backbone

    @contextlib.contextmanager
    def _stage(self, name: str):
        if not self.profile:
            yield
            return
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.stage_seconds[name] += time.perf_counter() - start

    def _target(self, target_id: int) -> _Target:
        try:
            return self._targets[target_id]
        except KeyError:
            raise KeyError(f"no target with id {target_id}") from None

    def _check_slot(self, slot: int) -> None:
        if not 0 <= slot < self.config.model.memory_slots:
            raise IndexError(f"slot {slot} out of range 0..{self.config.model.memory_slots - 1}")

    def _check_box(self, box: Box, frame: np.ndarray) -> None:
        """BoxError unless the box touches the frame and is at least the tracker's minimum size
        (a smaller one would give search crops of no pixels)."""
        box.check_inside(frame.shape[1], frame.shape[0])
        lo = self.config.tracking.min_size
        if box.w < lo or box.h < lo:
            raise BoxError(f"box {box.w:g}x{box.h:g} is smaller than the tracker's minimum of {lo:g}x{lo:g} px")

    @staticmethod
    def _check_frame(frame: np.ndarray) -> np.ndarray:
        if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("a frame must be an (H, W, 3) uint8 RGB array")
        if frame.shape[0] < 2 or frame.shape[1] < 2:
            raise ValueError(f"frame of {frame.shape[1]}x{frame.shape[0]} pixels is too small")
        return frame

    def _clamp_size(self, w: float, h: float, frame: np.ndarray) -> tuple[float, float]:
        lo = self.config.tracking.min_size
        return (min(max(w, lo), 4.0 * frame.shape[1]), min(max(h, lo), 4.0 * frame.shape[0]))

    def _crop(self, frame: np.ndarray, centers, sides, out: int) -> torch.Tensor:
        if self.device.type == "cpu":
            return torch.from_numpy(crop_cpu(frame, centers, sides, out)).contiguous(
                memory_format=torch.channels_last)
        # one upload per frame: search and exemplar crops of the same step share it
        if self._uploaded is None or self._uploaded[0] is not frame:
            gpu = torch.from_numpy(frame).to(self.device, non_blocking=True)
            self._uploaded = (frame, gpu.permute(2, 0, 1).float().div_(255.0))  # (3, H, W)
        image = self._uploaded[1]
        c = torch.tensor(centers, device=self.device, dtype=torch.float32)  # (K, 2)
        sz = torch.tensor(sides, device=self.device, dtype=torch.float32)  # (K,)
        return crop_torch(image, c, sz, out)

    def _features(self, crops: torch.Tensor) -> torch.Tensor:
        x = crops.half() if self._half else crops
        if self.device.type == "cpu" and len(x) > 4:
            # small batches keep a CPU's caches warm: many targets run faster in chunks
            return torch.cat([self._backbone(chunk) for chunk in x.split(3)]).float()  # (B, C, H, W)
        return self._backbone(x).float()  # (B, C, H, W)

    def _exemplars(self, frame: np.ndarray, boxes) -> tuple[torch.Tensor, np.ndarray | None]:
        tc = self.config.tracking
        centers = [(cx, cy) for cx, cy, _, _ in boxes]
        sides = [context_side(w, h, tc.context_amount) for _, _, w, h in boxes]
        with self._stage("crop"):
            crops = self._crop(frame, centers, sides, tc.exemplar_size)  # (T, 3, 127, 127)
        with self._stage("backbone"):
            feats = self._features(crops)  # (T, C, Hz, Wz)
        o, k = self._template_offset, self._template_cells
        templates = feats[:, :, o : o + k, o : o + k].contiguous()  # (T, C, K, K)
        images = None
        if self.diagnostics:
            small = F.interpolate(crops.float(), size=(64, 64), mode="bilinear", align_corners=False)
            images = (small.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()  # (T, 64, 64, 3)
        return templates, images

    def _step(self, state: NetState, pending: torch.Tensor, search: torch.Tensor, frozen: torch.Tensor | None):
        # frozen is None when no target is frozen (decided on the host: no device sync)
        if frozen is not None:
            # frozen targets skip the write: zero write weights for this step only
            state = state.with_memory(memory_ops.freeze_writes(state.memory, frozen))
        return self.net.step(state, pending, search, use_memory=self.config.tracking.use_memory)


def _cat_states(states: list[NetState]) -> NetState:
    if len(states) == 1:
        return states[0]
    mem_fields = {name: torch.cat([getattr(s.memory, name) for s in states]) for name in
                  ("memory", "read_weights", "write_weights", "gates", "decay", "usage", "pinned")}
    return NetState(torch.cat([s.template0 for s in states]), torch.cat([s.h for s in states]),
                    torch.cat([s.c for s in states]), MemoryState(**mem_fields))
