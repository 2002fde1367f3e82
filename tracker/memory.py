"""External template memory: content-based read, allocation by least usage, gated write (spec section 6).

Shapes: B sequences (targets x scales), N slots, each slot a template (C, K, K).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
import torch.nn.functional as F

__all__ = ["MemoryState", "initial_memory", "write", "read", "address_next_write", "cosine_similarity"]


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
    """Spec 6.5: M = 0, w^r = 0, w^w = one-hot(0), G = (0, 0, 1), D = 0, u = one-hot(0).

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


def write(state: MemoryState, template: torch.Tensor) -> MemoryState:
    """Spec 6.2: e = D g_r + g_a;  M(j) <- M(j) (1 - w^w(j) e) + w^w(j) e T^new.

    template: (B, C, K, K), the template of the previous frame.
    """
    erase = state.decay * state.gates[:, 1:2] + state.gates[:, 2:3]  # (B, 1)
    w = state.write_weights * erase  # (B, N)
    w = w.masked_fill(state.pinned, 0.0)  # pinned slots keep their content
    w = w[:, :, None, None, None]  # (B, N, 1, 1, 1)
    memory = state.memory * (1 - w) + w * template[:, None]  # (B, N, C, K, K)
    return state.replace(memory=memory)


def cosine_similarity(key: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Spec 6.3: C_j = k.kappa_j / (sqrt(|k|^2 + 1e-6) sqrt(|kappa_j|^2 + 1e-6) + 1e-6).

    key: (B, C), keys: (B, N, C) -> (B, N)
    """
    dot = torch.einsum("bc,bnc->bn", key, keys)  # (B, N)
    norm_k = torch.sqrt((key * key).sum(-1, keepdim=True) + 1e-6)  # (B, 1)
    norm_m = torch.sqrt((keys * keys).sum(-1) + 1e-6)  # (B, N)
    return dot / (norm_k * norm_m + 1e-6)  # (B, N)


def read(state: MemoryState, key: torch.Tensor, strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Spec 6.3: w^r = softmax_j(beta C_j) over all N slots (empty ones included); T^retr = sum_j w^r(j) M(j).

    key: (B, C), strength: (B, 1) -> (retrieved (B, C, K, K), read weights (B, N))
    """
    slot_keys = state.memory.mean(dim=(-2, -1))  # (B, N, C) kappa_j: K x K average of each slot
    sim = cosine_similarity(key, slot_keys)  # (B, N)
    weights = F.softmax(strength * sim, dim=-1)  # (B, N)
    retrieved = torch.einsum("bn,bnckl->bckl", weights, state.memory)  # (B, C, K, K)
    return retrieved, weights


def address_next_write(state: MemoryState, read_weights: torch.Tensor, gates: torch.Tensor,
                       decay: torch.Tensor, usage_decay: float) -> MemoryState:
    """Spec 6.4: w^a = one-hot(argmin u_{t-1}); w^w_next = g_r w^r + g_a w^a; u_t = lambda u + w^r + w^w_next.

    read_weights: (B, N), gates: (B, 3) [g_w, g_r, g_a], decay: (B, 1).
    """
    usage = state.usage.detach().masked_fill(state.pinned, float("inf"))  # (B, N) stop-grad; pinned never chosen
    alloc = F.one_hot(usage.argmin(dim=-1), usage.shape[-1]).to(read_weights.dtype)  # (B, N) ties -> lowest index
    write_w = gates[:, 1:2] * read_weights + gates[:, 2:3] * alloc  # (B, N)
    new_usage = usage_decay * state.usage + read_weights + write_w  # (B, N)
    return state.replace(read_weights=read_weights, write_weights=write_w, gates=gates, decay=decay, usage=new_usage)
