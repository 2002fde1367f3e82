"""Crop geometry, response windows and peak-to-displacement mapping (docs/model.md §3 and 9).

Coordinates: a Box is continuous 0-based pixels, so pixel i covers [i, i+1) and its centre is at
i + 0.5. Sampling grids work in pixel-index coordinates (pixel i at i), hence the ``- 0.5`` below.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "context_side",
    "crop_cpu",
    "crop_torch",
    "cosine_window",
    "peak_displacement",
    "upsampled_size",
]


def context_side(w: float, h: float, context_amount: float = 0.5) -> float:
    """Z = sqrt((w + p)(h + p)) with p = context_amount * (w + h): the exemplar region's side."""
    p = context_amount * (w + h)
    return math.sqrt((w + p) * (h + p))


def _affine(cx: float, cy: float, side: float, out: int) -> np.ndarray:
    # output pixel k samples input index  c - 0.5 - (S-1)/2 + k (S-1)/(out-1): inclusive end points
    a = (side - 1.0) / (out - 1.0)
    return np.array([[a, 0.0, cx - 0.5 - (side - 1.0) / 2], [0.0, a, cy - 0.5 - (side - 1.0) / 2]], np.float64)


def crop_cpu(frame: np.ndarray, centers: list[tuple[float, float]], sides: list[float], out: int,
             mean: tuple[float, float, float] | None = None) -> np.ndarray:
    """Square crops resized to out x out with bilinear sampling and mean-colour padding.

    frame: (H, W, 3) uint8 RGB; returns (K, 3, out, out) float32 in [0, 1].
    """
    if mean is None:
        mean = cv2.mean(frame)[:3]
    border = tuple(float(m) for m in mean)
    crops = np.empty((len(sides), out, out, 3), np.uint8)
    for i, ((cx, cy), side) in enumerate(zip(centers, sides)):
        m = _affine(cx, cy, side, out)
        cv2.warpAffine(frame, m, (out, out), dst=crops[i], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=border)
    return crops.transpose(0, 3, 1, 2).astype(np.float32) * (1.0 / 255.0)  # (K, 3, out, out)


def crop_torch(frame: torch.Tensor, centers: torch.Tensor, sides: torch.Tensor, out: int) -> torch.Tensor:
    """The same crops on any device with grid_sample (used on CUDA, where the frame lives on the GPU).

    frame: (3, H, W) float in [0, 1]; centers: (K, 2) continuous (cx, cy); sides: (K,)
    returns (K, 3, out, out).
    """
    _, h, w = frame.shape
    mean = frame.mean(dim=(1, 2)).view(1, 3, 1, 1)  # (1, 3, 1, 1)
    steps = torch.linspace(0, 1, out, device=frame.device, dtype=frame.dtype)  # (out,)
    start = centers - 0.5 - (sides[:, None] - 1) / 2  # (K, 2) index coords of the first sample
    span = (sides - 1)[:, None] * steps[None, :]  # (K, out)
    xs = start[:, 0:1] + span  # (K, out)
    ys = start[:, 1:2] + span  # (K, out)
    gx = xs * (2.0 / (w - 1)) - 1  # (K, out) normalised, align_corners=True
    gy = ys * (2.0 / (h - 1)) - 1  # (K, out)
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (K, out, out, 2)
    centred = (frame - mean[0]).unsqueeze(0).expand(len(sides), -1, -1, -1)  # (K, 3, H, W)
    crops = F.grid_sample(centred, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return crops + mean  # (K, 3, out, out)


def upsampled_size(cells: int, upscale: int) -> int:
    return cells * upscale


def cosine_window(cells: int, upscale: int, zero_cell: float) -> np.ndarray:
    """Hann window over the upsampled response, centred on the zero-displacement cell, sum 1.

    For a 17-cell map centred on cell 8 this is exactly outer(numpy.hanning(272)) / sum.
    """
    n_up = cells * upscale
    p = np.arange(n_up) * (cells - 1) / (n_up - 1)  # upsampled pixel -> cell units
    half = max(zero_cell, cells - 1 - zero_cell)
    w1 = 0.5 + 0.5 * np.cos(np.pi * np.clip((p - zero_cell) / half, -1, 1))
    win = np.outer(w1, w1)
    return (win / win.sum()).astype(np.float32)


def peak_displacement(u: float, v: float, cells: int, upscale: int, zero_cell: float, stride: int,
                      legacy: bool = False) -> tuple[float, float]:
    """Displacement in search-crop pixels of the peak at upsampled (column u, row v).

    Exact: the align-corners upsampled pixel u sits at cell u (n-1)/(n up - 1), and one cell is
    ``stride`` crop pixels. Legacy (reference code): (u - n up / 2) * stride / upscale.
    """
    n_up = cells * upscale
    if legacy:
        centre = n_up / 2
        return ((u - centre) * stride / upscale, (v - centre) * stride / upscale)
    scale = (cells - 1) / (n_up - 1)
    return ((u * scale - zero_cell) * stride, (v * scale - zero_cell) * stride)
