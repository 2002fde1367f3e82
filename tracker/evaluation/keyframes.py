"""The fewest keyframes for linear interpolation alone (the manual workflow of CVAT) to stay accurate.

Keyframes are ground-truth boxes on frames where the target is present; frame 0 is always one (it is the
box the annotator draws first, not a correction). Between two keyframes every box moves x, y, w, h
linearly in time (``app.interpolation`` does the same); after the last keyframe the box stays where it was
(as a CVAT track does until it is marked outside). A frame is fine when its interpolated box has IoU at
least ``threshold`` with the truth; frames whose truth is absent are not judged.

The minimum is found exactly by dynamic programming over the frames with a ground-truth box:
``cost[b] = 1 + min(cost[a] for a < b whose segment a..b keeps every judged frame inside at or above the
threshold)`` and the answer is ``min(cost[k] for k whose held box covers every judged frame after it)``.
A greedy "furthest valid next keyframe" is not enough: a segment that fails can become valid again when
it is made longer (motion that reverses), so every pair is checked, vectorised per start frame
(O(n^2) work per start, about a second for 1,000 frames).
"""
from __future__ import annotations

import numpy as np

from ..types import Box

__all__ = ["interpolation_keyframes", "interpolated_boxes"]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise IoU of boxes a (..., 4) and b (..., 4) in x, y, w, h."""
    right = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2])
    bottom = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3])
    ix = np.clip(right - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(bottom - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = ix * iy
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def interpolation_keyframes(groundtruth: list[Box | None] | tuple[Box | None, ...],
                            threshold: float) -> list[int]:
    """The fewest keyframes (frame indices, ascending, starting with 0) such that linear interpolation
    between them, and the last box held after the last one, has IoU >= ``threshold`` on every frame
    with a ground-truth box. Ties are broken towards earlier keyframes."""
    if not groundtruth or groundtruth[0] is None:
        raise ValueError("the first frame must have a ground-truth box")
    frames = np.array([i for i, b in enumerate(groundtruth) if b is not None])  # (n,) frames with a box
    boxes = np.array([groundtruth[i].as_tuple() for i in frames], dtype=np.float64)  # (n, 4)
    n = len(frames)
    cost = np.full(n, np.inf)
    cost[0] = 0
    parent = np.full(n, -1)
    for a in range(n - 1):
        if not np.isfinite(cost[a]):
            continue
        # segments a..b for every later b: interior frames j with a < j < b
        b_idx = np.arange(a + 1, n)  # (m,)
        j_idx = np.arange(a + 1, n)  # (m,)
        t = (frames[j_idx][None, :] - frames[a]) / (frames[b_idx][:, None] - frames[a])  # (m_b, m_j)
        interp = boxes[a] + t[..., None] * (boxes[b_idx][:, None, :] - boxes[a])  # (m_b, m_j, 4)
        ok = _iou(interp, boxes[j_idx][None, :, :]) >= threshold  # (m_b, m_j)
        inside = j_idx[None, :] < b_idx[:, None]  # (m_b, m_j) j strictly before b
        valid = np.all(ok | ~inside, axis=1)  # (m_b,)
        better = valid & (cost[a] + 1 < cost[b_idx])
        cost[b_idx[better]] = cost[a] + 1
        parent[b_idx[better]] = a
    held_ok = np.ones(n, dtype=bool)  # the last keyframe's box, held, covers every later judged frame
    for k in range(n - 1):
        held_ok[k] = bool(np.all(_iou(boxes[k][None, :], boxes[k + 1 :]) >= threshold))
    candidates = np.flatnonzero(held_ok & np.isfinite(cost))
    last = int(candidates[np.argmin(cost[candidates])])
    chain = []
    while last >= 0:
        chain.append(int(frames[last]))
        last = int(parent[last])
    return chain[::-1]


def interpolated_boxes(groundtruth, keyframes: list[int]) -> list[Box]:
    """The box every frame gets from ``keyframes``: linear between them, held after the last one."""
    out: list[Box] = []
    keys = sorted(keyframes)
    k = 0
    for i in range(len(groundtruth)):
        while k + 1 < len(keys) and keys[k + 1] <= i:
            k += 1
        a = keys[k]
        if k + 1 < len(keys) and i > a:
            b = keys[k + 1]
            t = (i - a) / (b - a)
            first, second = groundtruth[a].as_tuple(), groundtruth[b].as_tuple()
            out.append(Box(*(p + (q - p) * t for p, q in zip(first, second))))
        else:
            out.append(groundtruth[a])
    return out
