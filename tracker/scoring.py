"""Scoring one tracking step: from the memory network's response maps to each target's chosen scale,
peak and confidence (docs/model.md §3, steps 6-9), batched on the device, packed into one row per target
(the layout is declared once, `tracker.result.row_fields`).

Kept apart from `tracker.engine` (the public tracker API: targets, crops, state bookkeeping) so the
maths of choosing a peak can be read, and changed, on its own.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .config import TrackingConfig
from .geometry import cosine_window
from .model import NetState
from .result import row_fields

__all__ = ["ResponseScorer", "bicubic_matrix"]


class ResponseScorer:
    """The fixed parts of scoring for one engine: the cosine window, the bicubic upsampling matrix and
    the scale penalties, on the engine's device.

    cells: the response map's side; zero_cell: its zero-displacement cell; template_cells: the
    template's side in feature cells; scale_exponents: the scales searched (-k..k).
    """

    def __init__(self, tracking: TrackingConfig, cells: int, zero_cell: float, template_cells: int,
                 scale_exponents: list[int], device: torch.device):
        self.tracking = tracking
        self.cells = cells
        self.template_cells = template_cells
        self.device = device
        self.window = torch.from_numpy(cosine_window(cells, tracking.upscale, zero_cell)).to(device)  # (U, U)
        self.upsample = bicubic_matrix(cells, cells * tracking.upscale).to(device)  # (U, n)
        penalties = [1.0 if e == 0 else tracking.scale_penalty for e in scale_exponents]
        self.penalty = torch.tensor(penalties, device=device)  # (S,)

    def choose(self, out, state: NetState, search: torch.Tensor, applied: torch.Tensor, n_targets: int, s: int,
               diagnostics: bool, tracking: TrackingConfig | None = None):
        """Scale choice, windowing and peak (docs/model.md §3, steps 6-9), batched on the device.

        Returns (flat index of each target's chosen scale (T,), packed per-target rows (T, D)) with the
        columns of `tracker.result.row_fields` (checked here, so packing and reading cannot drift apart).
        """
        tc = tracking or self.tracking  # the engine passes its current config (it may be replaced)
        n_up = self.cells * tc.upscale
        # bicubic align-corners upsampling (docs/model.md §3, step 6) as A R A^T: separable, ~20x faster on a CPU
        up = self.upsample @ out.response @ self.upsample.T  # (T*S, U, U)
        up = up.view(n_targets, s, n_up, n_up)  # (T, S, U, U)
        cosine = None
        if tc.scale_choice == "cosine":
            cosine = self.cosine_maps(out.raw_response, search, out.template)  # (T*S, Hr, Wr)
            contest = self.upsample @ cosine @ self.upsample.T  # (T*S, U, U)
            contest = contest.view(n_targets, s, n_up, n_up)  # (T, S, U, U)
        else:
            contest = up  # (T, S, U, U)
        peaks = (contest * self.penalty[None, :, None, None]).flatten(2).amax(-1)  # (T, S)
        best = peaks.argmax(dim=1)  # (T,) ties go to the earlier scale
        picked = torch.arange(n_targets, device=self.device) * s + best  # (T,)
        r = up.flatten(0, 1).index_select(0, picked)  # (T, U, U) unpenalised map of the chosen scale
        r = r - r.amin(dim=(-2, -1), keepdim=True)
        r = r / r.sum(dim=(-2, -1), keepdim=True).clamp_min(1e-12)
        r = (1 - tc.window_influence) * r + tc.window_influence * self.window  # (T, U, U)
        flat = r.flatten(1).argmax(dim=1)  # (T,)
        v, u = flat // n_up, flat % n_up  # (T,), (T,)
        if cosine is not None:
            cosine = cosine.index_select(0, picked)  # (T, Hr, Wr) the chosen scales' maps, already computed
        else:
            cosine = self.cosine_maps(out.raw_response.index_select(0, picked), search.index_select(0, picked),
                                       out.template.index_select(0, picked))  # (T, Hr, Wr)
        score = self.peak_cosine(cosine, u, v)  # (T,)
        cols = {"scale_index": best.float()[:, None], "peak_u": u.float()[:, None], "peak_v": v.float()[:, None],
                "score": score[:, None], "applied_write": applied.float()}  # (T, 1) x 4, (T, N)
        if diagnostics:
            sel = lambda t: t.index_select(0, picked).float().flatten(1)  # noqa: E731
            ctl = out.controls
            cols.update(gates=sel(ctl.gates), residual_gate=sel(ctl.residual).mean(1, keepdim=True),
                        read_strength=sel(ctl.strength), read_weights=sel(out.read_weights),
                        write_weights=sel(state.memory.write_weights), usage=sel(state.memory.usage),
                        attention=sel(out.attention), response=sel(out.raw_response))
        fields = row_fields(applied.shape[1], self.cells, diagnostics)
        assert [(name, cols[name].shape[1]) for name, _ in fields] == list(fields), "packed row layout"
        return picked, torch.cat([cols[name] for name, _ in fields], dim=1)  # (T, D)

    def cosine_maps(self, raw: torch.Tensor, search: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        """Normalised cross-correlation of each template with every search window.

        raw: (B, Hr, Wr) correlation, search: (B, C, Hx, Wx), template: (B, C, K, K) -> (B, Hr, Wr).
        """
        k = self.template_cells
        energy = F.avg_pool2d((search * search).sum(1, keepdim=True), k, stride=1)[:, 0] * (k * k)  # (B, Hr, Wr)
        norm = template.flatten(1).norm(dim=1).clamp_min(1e-12)  # (B,)
        return raw / (energy.clamp_min(1e-12).sqrt() * norm[:, None, None])  # (B, Hr, Wr)

    def peak_cosine(self, cosine: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Confidence: the chosen scale's cosine map (T, Hr, Wr) at the cell under the upsampled peak."""
        n_up = self.cells * self.tracking.upscale
        cell_scale = (self.cells - 1) / (n_up - 1)
        j = (u.float() * cell_scale).round().long().clamp(0, self.cells - 1)  # (T,) column cell
        i = (v.float() * cell_scale).round().long().clamp(0, self.cells - 1)  # (T,) row cell
        ar = torch.arange(len(cosine), device=self.device)  # (T,)
        return cosine[ar, i, j]  # (T,)


def bicubic_matrix(cells: int, size: int) -> torch.Tensor:
    """(size, cells) matrix A with A @ R @ A.T == F.interpolate(R, size, bicubic, align_corners=True)."""
    basis = torch.eye(cells, dtype=torch.float32).view(cells, 1, 1, cells)  # each row a unit impulse
    rows = F.interpolate(basis, size=(1, size), mode="bicubic", align_corners=True)  # (cells, 1, 1, size)
    return rows.view(cells, size).T.contiguous()  # (size, cells)
