"""Host-memory estimate for end-to-end training on the CPU, so a run that cannot fit is refused with a
clear message instead of being killed by the kernel half-way through its first step.

The figures were measured on this project's machine (torch 2.13 CPU, MobileNetV2 backbone, peak resident
set size of `main.py train --end-to-end --device cpu`): batch 1 of 16-step clips 3.97 GiB, batch 2
6.67 GiB, batch 1 of 8-step clips 2.33 GiB. Activations kept for the backward pass grow with the number of
crops, batch x clip steps, at about 0.17 GiB each, over a base of about 1.3 GiB. Batch 8 of 16-step clips
(the paper's) needs about 23 GiB.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["BASE_GIB", "GIB_PER_CLIP_STEP", "available_gib", "end_to_end_cpu_gib", "largest_cpu_batch"]

BASE_GIB = 1.3
GIB_PER_CLIP_STEP = 0.17  # one exemplar and one search crop of one clip step, with their activations


def end_to_end_cpu_gib(batch_size: int, clip_steps: int) -> float:
    """Estimated peak host memory (GiB) of end-to-end training on the CPU with the MobileNetV2 backbone."""
    return BASE_GIB + GIB_PER_CLIP_STEP * batch_size * clip_steps


def largest_cpu_batch(free_gib: float, clip_steps: int) -> int:
    """The largest batch whose ``end_to_end_cpu_gib`` fits in ``free_gib`` (0 when not even one does)."""
    return max(0, int((free_gib - BASE_GIB) // (GIB_PER_CLIP_STEP * clip_steps)))


def available_gib(meminfo: str | Path = "/proc/meminfo") -> float | None:
    """MemAvailable in GiB, or None where the kernel does not say (not Linux)."""
    try:
        text = Path(meminfo).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            try:
                return int(parts[1]) / (1024 * 1024)  # kB -> GiB
            except (IndexError, ValueError):
                return None
    return None
