"""Labels and the balanced logistic loss (docs/model.md §8.3)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["iou_labels", "balanced_logistic_loss"]


def iou_labels(sizes: torch.Tensor, cells: int, zero_cell: float, stride: int, threshold: float = 0.7,
               offsets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels and weights for every response cell.

    sizes: (M, 2) target (w', h') in search-crop pixels. Each cell (i, j) hypothesises a box of the
    same size displaced by stride * (j - zero_cell, i - zero_cell) from the centre (or from
    ``offsets`` (M, 2), the true centre offset, when given); its IoU with the target decides:
    1 if IoU > threshold, 0 if IoU < threshold, ignored (weight 0) if equal. Weights are 0.5/#pos
    on positives and 0.5/#neg on negatives, so each map's weights sum to 1.
    Returns (labels (M, H, W), weights (M, H, W)).
    """
    grid = (torch.arange(cells, device=sizes.device, dtype=sizes.dtype) - zero_cell) * stride  # (H,)
    dx = grid[None, None, :].expand(len(sizes), cells, cells)  # (M, H, W) column offset
    dy = grid[None, :, None].expand(len(sizes), cells, cells)  # (M, H, W) row offset
    if offsets is not None:
        dx = dx - offsets[:, 0, None, None]
        dy = dy - offsets[:, 1, None, None]
    w = sizes[:, 0, None, None]  # (M, 1, 1)
    h = sizes[:, 1, None, None]  # (M, 1, 1)
    inter = (w - dx.abs()).clamp_min(0) * (h - dy.abs()).clamp_min(0)  # (M, H, W)
    iou = inter / (2 * w * h - inter)  # (M, H, W) equal-sized boxes
    labels = (iou > threshold).to(sizes.dtype)  # (M, H, W)
    pos = iou > threshold
    neg = iou < threshold
    n_pos = pos.flatten(1).sum(1).clamp_min(1)[:, None, None]  # (M, 1, 1)
    n_neg = neg.flatten(1).sum(1).clamp_min(1)[:, None, None]  # (M, 1, 1)
    weights = pos * (0.5 / n_pos) + neg * (0.5 / n_neg)  # (M, H, W)
    return labels, weights.to(sizes.dtype)


def balanced_logistic_loss(responses: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(1 / M) sum_maps sum_cells weight * BCEWithLogits(response, label); all (M, H, W)."""
    bce = F.binary_cross_entropy_with_logits(responses, labels, reduction="none")  # (M, H, W)
    return (weights * bce).flatten(1).sum(1).mean()
