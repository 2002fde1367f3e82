"""Labels and the balanced logistic loss (docs/model.md §8.3)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["iou_labels", "balanced_logistic_loss", "target_cells", "attention_target_loss"]


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


def balanced_logistic_loss(responses: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor,
                           valid: torch.Tensor | None = None) -> torch.Tensor:
    """(1 / M) sum_maps sum_cells weight * BCEWithLogits(response, label); all (M, H, W).

    ``valid`` (M,) bool leaves out maps whose target is not in the search image (foreign frames)."""
    bce = F.binary_cross_entropy_with_logits(responses, labels, reduction="none")  # (M, H, W)
    per_map = (weights * bce).flatten(1).sum(1)  # (M,)
    return _masked_mean(per_map, valid)


def _masked_mean(values: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
    # values, valid: (M,)
    if valid is None:
        return values.mean()
    return (values * valid).sum() / valid.sum().clamp_min(1)


def target_cells(sizes: torch.Tensor, offsets: torch.Tensor, cells: int, zero_cell: float,
                 stride: int) -> torch.Tensor:
    """Which cells of a (cells x cells) map over the search image lie inside the target's box.

    A cell stands for the search position stride * (j - zero_cell, i - zero_cell) from the crop centre
    (the same grid as the response labels). sizes, offsets: (M, 2) target (w', h') and centre offset in
    search-crop pixels. The cell nearest the centre always counts, so a target smaller than one stride
    still has a cell. Returns (M, H, W) bool.
    """
    grid = (torch.arange(cells, device=sizes.device, dtype=sizes.dtype) - zero_cell) * stride  # (H,)
    dx = (grid[None, None, :] - offsets[:, 0, None, None]).abs()  # (M, 1, W)
    dy = (grid[None, :, None] - offsets[:, 1, None, None]).abs()  # (M, H, 1)
    half_w = (sizes[:, 0, None, None] / 2).clamp_min(1e-6)  # (M, 1, 1)
    half_h = (sizes[:, 1, None, None] / 2).clamp_min(1e-6)  # (M, 1, 1)
    reach = torch.maximum(dx / half_w, dy / half_h)  # (M, H, W) 1 on the box edge
    nearest = reach.flatten(1).argmin(1)  # (M,)
    inside = (reach <= 1).flatten(1)  # (M, H*W)
    inside[torch.arange(len(inside), device=inside.device), nearest] = True
    return inside.view_as(reach)


def attention_target_loss(attention: torch.Tensor, inside: torch.Tensor,
                          valid: torch.Tensor | None = None) -> torch.Tensor:
    """-log of the attention mass on the target's cells, averaged over maps.

    attention: (M, H, W), each map summing to 1; inside: (M, H, W) bool from ``target_cells``;
    valid: (M,) bool, maps to count. Not in the paper: it teaches the controller's attention to look
    at the target, which the response loss alone never asks of it (see the model card).
    """
    mass = (attention * inside).flatten(1).sum(1)  # (M,)
    return _masked_mean(-torch.log(mass + 1e-6), valid)
