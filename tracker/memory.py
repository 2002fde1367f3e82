"""External template memory: content-based read, allocation by least usage, gated write (docs/model.md §6),
and the edits applied to it from outside the network (a correction's scheduled write, a keyframe stored in a
pinned slot, a reset that keeps some slots, pinning, eviction, frozen writes).

This module is the only place that computes on `MemoryState`: every function here is pure (it returns a new
state and never changes a tensor it was given), so the engine and the training code share one definition of
each equation (docs/model.md lists them with the paper's numbers).

Shapes: B sequences (targets x scales), N slots, each slot a template (C, K, K).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F

__all__ = [
    "MemoryState",
    "address_next_write",
    "allocation",
    "cosine_similarity",
    "effective_write",
    "erase_amount",
    "evict",
    "freeze_writes",
    "initial_memory",
    "keep_slots",
    "least_used_unpinned",
    "pin",
    "read",
    "schedule_correction_write",
    "store_pinned",
    "write",
]


@dataclass(frozen=True)
class MemoryState:
    """Everything the memory carries from one step to the next (all tensors, batch first)."""

    memory: torch.Tensor  # (B, N, C, K, K) slot templates M
    read_weights: torch.Tensor  # (B, N) w^r of the last step
    write_weights: torch.Tensor  # (B, N) pending w^w, applied at the start of the next step
    gates: torch.Tensor  # (B, 3) pending [g_w, g_r, g_a]
    decay: torch.Tensor  # (B, 1) pending d_r
    usage: torch.Tensor  # (B, N) u
    pinned: torch.Tensor  # (B, N) bool: pinned slots are never written nor allocated

    def map(self, fn) -> "MemoryState":
        return MemoryState(**{f.name: fn(getattr(self, f.name)) for f in fields(self)})

    def replace(self, **changes) -> "MemoryState":
        return replace(self, **changes)


def initial_memory(batch: int, slots: int, template_shape: tuple[int, int, int], device, dtype) -> MemoryState:
    """docs/model.md §6.5: M = 0, w^r = 0, w^w = one-hot(0), G = (0, 0, 1), D = 0, u = one-hot(0).

    The first write then puts the initial template fully into slot 0 and the first allocation picks slot 1.
    """
    one_hot0 = torch.zeros(batch, slots, device=device, dtype=dtype)  # (B, N)
    one_hot0[:, 0] = 1
    gates = torch.zeros(batch, 3, device=device, dtype=dtype)  # (B, 3)
    gates[:, 2] = 1
    return MemoryState(
        memory=torch.zeros(batch, slots, *template_shape, device=device, dtype=dtype),  # (B, N, C, K, K)
        read_weights=torch.zeros(batch, slots, device=device, dtype=dtype),
        write_weights=one_hot0.clone(),
        gates=gates,
        decay=torch.zeros(batch, 1, device=device, dtype=dtype),
        usage=one_hot0.clone(),
        pinned=torch.zeros(batch, slots, device=device, dtype=torch.bool),
    )


def erase_amount(state: MemoryState) -> torch.Tensor:
    """docs/model.md §6.2: e = D g_r + g_a, how much of the addressed slots the next write replaces. -> (B, 1)"""
    return state.decay * state.gates[:, 1:2] + state.gates[:, 2:3]  # (B, 1)


def effective_write(state: MemoryState, frozen: torch.Tensor | None = None) -> torch.Tensor:
    """Per slot, the fraction of the pending template the next write puts in: w^w(j) e, zero for pinned
    slots and for the sequences whose writes are ``frozen`` ((B,) bool). -> (B, N)"""
    w = (state.write_weights * erase_amount(state)).masked_fill(state.pinned, 0.0)  # (B, N) pinned keep content
    return w if frozen is None else w.masked_fill(frozen[:, None], 0.0)  # (B, N)


def write(state: MemoryState, template: torch.Tensor) -> MemoryState:
    """docs/model.md §6.2: e = D g_r + g_a;  M(j) <- M(j) (1 - w^w(j) e) + w^w(j) e T^new.

    template: (B, C, K, K), the template of the previous frame.
    """
    w = effective_write(state)[:, :, None, None, None]  # (B, N, 1, 1, 1)
    memory = state.memory * (1 - w) + w * template[:, None]  # (B, N, C, K, K)
    return state.replace(memory=memory)


def freeze_writes(state: MemoryState, frozen: torch.Tensor) -> MemoryState:
    """The state whose next write skips the ``frozen`` sequences ((B,) bool): zero write weights for them."""
    return state.replace(write_weights=state.write_weights.masked_fill(frozen[:, None], 0.0))  # (B, N)


def allocation(usage: torch.Tensor, pinned: torch.Tensor) -> torch.Tensor:
    """docs/model.md §6.4: w^a = one-hot(argmin u), pinned slots never chosen, ties to the lowest index.

    usage: (B, N), pinned: (B, N) bool -> (B, N) one-hot in usage's dtype
    """
    u = usage.masked_fill(pinned, float("inf"))  # (B, N)
    return F.one_hot(u.argmin(dim=-1), u.shape[-1]).to(usage.dtype)  # (B, N)


def cosine_similarity(key: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """docs/model.md §6.3: C_j = k.kappa_j / (sqrt(|k|^2 + 1e-6) sqrt(|kappa_j|^2 + 1e-6) + 1e-6).

    key: (B, C), keys: (B, N, C) -> (B, N)
    """
    dot = torch.einsum("bc,bnc->bn", key, keys)  # (B, N)
    norm_k = torch.sqrt((key * key).sum(-1, keepdim=True) + 1e-6)  # (B, 1)
    norm_m = torch.sqrt((keys * keys).sum(-1) + 1e-6)  # (B, N)
    return dot / (norm_k * norm_m + 1e-6)  # (B, N)


def read(state: MemoryState, key: torch.Tensor, strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """docs/model.md §6.3: w^r = softmax_j(beta C_j) over all N slots (empty ones included); T^retr = sum_j w^r(j) M(j).

    key: (B, C), strength: (B, 1) -> (retrieved (B, C, K, K), read weights (B, N))
    """
    slot_keys = state.memory.mean(dim=(-2, -1))  # (B, N, C) kappa_j: K x K average of each slot
    sim = cosine_similarity(key, slot_keys)  # (B, N)
    weights = F.softmax(strength * sim, dim=-1)  # (B, N)
    retrieved = torch.einsum("bn,bnckl->bckl", weights, state.memory)  # (B, C, K, K)
    return retrieved, weights


def address_next_write(state: MemoryState, read_weights: torch.Tensor, gates: torch.Tensor,
                       decay: torch.Tensor, usage_decay: float) -> MemoryState:
    """docs/model.md §6.4: w^a = one-hot(argmin u_{t-1}); w^w_next = g_r w^r + g_a w^a; u_t = lambda u + w^r + w^w_next.

    read_weights: (B, N), gates: (B, 3) [g_w, g_r, g_a], decay: (B, 1).
    """
    alloc = allocation(state.usage.detach(), state.pinned).to(read_weights.dtype)  # (B, N) stop-grad
    write_w = gates[:, 1:2] * read_weights + gates[:, 2:3] * alloc  # (B, N)
    new_usage = usage_decay * state.usage + read_weights + write_w  # (B, N)
    return state.replace(read_weights=read_weights, write_weights=write_w, gates=gates, decay=decay, usage=new_usage)


# ----------------------------------------------------------------------------- edits from outside the network


def schedule_correction_write(state: MemoryState) -> MemoryState:
    """A user correction: the next step writes the corrected appearance in full (g_a = 1) into the
    least-used unpinned slot, and that write counts as usage at once (as every step does, docs/model.md §6.4:
    u += w^w_next), so the slot holding the correction is not the next one allocated."""
    alloc = allocation(state.usage, state.pinned)  # (B, N)
    gates = torch.zeros_like(state.gates)  # (B, 3)
    gates[:, 2] = 1.0  # [g_w, g_r, g_a] = (0, 0, 1)
    return state.replace(write_weights=alloc, gates=gates, usage=state.usage + alloc)


def keep_slots(fresh: MemoryState, old: MemoryState, keep: torch.Tensor) -> MemoryState:
    """A reset that keeps some slots: ``fresh`` (a new initial memory) with the templates, usage and
    pins of ``old`` in the slots ``keep`` ((B, N) bool); the other slots start empty (usage 0)."""
    kept = keep[:, :, None, None, None]  # (B, N, 1, 1, 1)
    return fresh.replace(memory=torch.where(kept, old.memory, fresh.memory),  # (B, N, C, K, K)
                         usage=torch.where(keep, old.usage, torch.zeros_like(fresh.usage)),  # (B, N)
                         pinned=keep.clone())  # (B, N)


def store_pinned(state: MemoryState, slot: int, template: torch.Tensor) -> MemoryState:
    """A keyframe: ``template`` (B, C, K, K) goes at once into ``slot``, pinned, with usage 1; the next
    step writes nothing (no pending write weights, zero gates)."""
    memory = state.memory.clone()  # (B, N, C, K, K)
    memory[:, slot] = template  # (B, C, K, K) into slot
    pinned = state.pinned.clone()  # (B, N)
    pinned[:, slot] = True  # (B,)
    usage = state.usage.clone()  # (B, N)
    usage[:, slot] = 1.0  # (B,)
    return state.replace(memory=memory, pinned=pinned, usage=usage,
                         write_weights=torch.zeros_like(state.write_weights), gates=torch.zeros_like(state.gates))


def pin(state: MemoryState, slot: int, pinned: bool = True) -> MemoryState:
    """A pinned slot is never overwritten nor chosen for allocation; it is still read."""
    flags = state.pinned.clone()  # (B, N)
    flags[:, slot] = pinned  # (B,)
    return state.replace(pinned=flags)


def evict(state: MemoryState, slot: int) -> MemoryState:
    """Empty a slot (zero template, zero usage, unpinned): it is the next to be allocated."""
    memory = state.memory.clone()  # (B, N, C, K, K)
    memory[:, slot] = 0  # (B, C, K, K)
    usage = state.usage.clone()  # (B, N)
    usage[:, slot] = 0  # (B,)
    pinned = state.pinned.clone()  # (B, N)
    pinned[:, slot] = False  # (B,)
    return state.replace(memory=memory, usage=usage, pinned=pinned)


def least_used_unpinned(state: MemoryState, row: int = 0) -> int | None:
    """The least-used unpinned slot of sequence ``row`` (ties to the lowest index); None when every
    slot is pinned."""
    usage = state.usage[row].masked_fill(state.pinned[row], float("inf"))  # (N,)
    if bool(torch.isinf(usage).all()):
        return None
    return int(usage.argmin())
