"""The memory network's controller: attention over search features, a layer-normalised LSTM and the
control heads (docs/model.md §4 and 5)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["Attention", "LayerNormLSTMCell", "ControlHeads", "Controls", "InitialState"]


class SeparableAvgPool2d(nn.AvgPool2d):
    """Square stride-1 average pooling done as a column pass then a row pass: the same numbers as
    AvgPool2d (averaging is separable) at about a quarter of the cost for a 7x7 window on the CPU."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__(kernel_size, stride=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.kernel_size
        return F.avg_pool2d(F.avg_pool2d(x, (k, 1), stride=1), (1, k), stride=1)


class Attention(nn.Module):
    """s_i = w_a^T tanh(W_f f*_i + W_h h + b);  alpha = softmax_i(s);  a = sum_i alpha_i f*_i."""

    def __init__(self, channels: int, hidden: int, lstm_units: int, template_cells: int) -> None:
        super().__init__()
        self.pool = SeparableAvgPool2d(template_cells)  # f*: the window one template covers
        self.w_f = nn.Conv2d(channels, hidden, 1, bias=False)
        self.w_h = nn.Linear(lstm_units, hidden, bias=True)
        self.w_a = nn.Conv2d(hidden, 1, 1, bias=False)
        for m in (self.w_f, self.w_h, self.w_a):
            nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(self.w_h.bias)

    def forward(self, search: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # search: (B, C, Hx, Wx), h: (B, H)
        return self.attend(*self.project(search), h)

    def project(self, search: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The part that does not depend on h (training computes it for a whole clip at once).

        search: (B, C, Hx, Wx) -> (f* (B, C, Hr, Wr), W_f f* (B, A, Hr, Wr))
        """
        pooled = self.pool(search)  # (B, C, Hr, Wr) f*
        return pooled, self.w_f(pooled)  # (B, C, Hr, Wr), (B, A, Hr, Wr)

    def attend(self, pooled: torch.Tensor, projected: torch.Tensor, h: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        # pooled: (B, C, Hr, Wr), projected: (B, A, Hr, Wr), h: (B, H)
        e = torch.tanh(projected + self.w_h(h)[:, :, None, None])  # (B, A, Hr, Wr)
        scores = self.w_a(e).flatten(1)  # (B, Hr*Wr)
        alpha = F.softmax(scores, dim=-1)  # (B, L)
        attended = torch.einsum("bl,bcl->bc", alpha, pooled.flatten(2))  # (B, C) a_t
        return attended, alpha.view(-1, pooled.shape[-2], pooled.shape[-1])  # (B, C), (B, Hr, Wr)


def dropout_rows(g: torch.Tensor, p: float, rank: int, world: int) -> torch.Tensor:
    """``F.dropout(g, p)`` as the rows ``rank::world`` of a global batch get it: the mask is drawn for
    the whole batch (``world`` times g's rows) and this process keeps its rows. On the CPU that is
    exactly the mask ``F.dropout`` draws for the global batch from the same seed."""
    noise = g.new_empty((g.shape[0] * world, *g.shape[1:])).bernoulli_(1 - p)
    noise.div_(1 - p)
    return g * noise[rank::world]


class LayerNormLSTMCell(nn.Module):
    """TF LayerNormBasicLSTMCell: gates (i, j, f, o) from one bias-free matmul, each layer-normalised
    (eps 1e-12), forget bias +1, recurrent dropout on g only, and a fifth LN on the new cell state."""

    def __init__(self, input_size: int, units: int, keep_prob: float = 0.8) -> None:
        super().__init__()
        self.units = units
        self.keep_prob = keep_prob
        self.weight = nn.Linear(input_size + units, 4 * units, bias=False)
        nn.init.xavier_uniform_(self.weight.weight)
        self.ln = nn.ModuleList(nn.LayerNorm(units, eps=1e-12) for _ in range(4))  # i, j, f, o
        self.ln_c = nn.LayerNorm(units, eps=1e-12)
        # (rank, world size) under torchrun: this process holds the rows rank::world of the global
        # batch and drops what one process would drop on them (training.distributed.dropout_rows)
        self.shard: tuple[int, int] = (0, 1)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # x: (B, I), h: (B, U), c: (B, U)
        q = self.weight(torch.cat([x, h], dim=-1))  # (B, 4U)
        i, j, f, o = (ln(chunk) for ln, chunk in zip(self.ln, q.chunk(4, dim=-1)))  # 4 x (B, U)
        g = torch.tanh(j)  # (B, U)
        if self.training and self.keep_prob < 1:
            if self.shard[1] == 1:
                g = F.dropout(g, p=1 - self.keep_prob)  # inverted scaling
            else:
                g = dropout_rows(g, 1 - self.keep_prob, *self.shard)
        c_new = c * torch.sigmoid(f + 1.0) + torch.sigmoid(i) * g  # (B, U)
        c_new = self.ln_c(c_new)  # (B, U)
        h_new = torch.tanh(c_new) * torch.sigmoid(o)  # (B, U)
        return h_new, c_new


class InitialState(nn.Module):
    """k0 = mean of T0 over K x K;  c0 = tanh(Dense_c(k0)),  h0 = tanh(Dense_h(k0))."""

    def __init__(self, channels: int, units: int) -> None:
        super().__init__()
        self.dense_c = nn.Linear(channels, units)
        self.dense_h = nn.Linear(channels, units)
        for m in (self.dense_c, self.dense_h):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, template: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k0 = template.mean(dim=(-2, -1))  # (B, C)
        return torch.tanh(self.dense_h(k0)), torch.tanh(self.dense_c(k0))  # (B, U), (B, U)


@dataclass(frozen=True)
class Controls:
    gates: torch.Tensor  # (B, 3) softmax [g_w, g_r, g_a]
    decay: torch.Tensor  # (B, 1) d_r, sigmoid
    residual: torch.Tensor  # (B, C) r, sigmoid, channel-wise residual gate
    key: torch.Tensor  # (B, C) read key k
    strength: torch.Tensor  # (B, 1) beta = softplus(beta_hat)


class ControlHeads(nn.Module):
    """Dense heads on h_t (docs/model.md §5 table)."""

    def __init__(self, units: int, channels: int, residual_gate_bias: float) -> None:
        super().__init__()
        self.gates = nn.Linear(units, 3)
        self.decay = nn.Linear(units, 1)
        self.residual = nn.Linear(units, channels)
        self.key = nn.Linear(units, channels)
        self.strength = nn.Linear(units, 1)
        for m in (self.gates, self.decay, self.residual, self.key, self.strength):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        nn.init.constant_(self.strength.bias, 1.0)
        # An untrained memory must not disturb the initial template: r ~ sigmoid(bias) ~ 0.
        nn.init.zeros_(self.residual.weight)
        nn.init.constant_(self.residual.bias, residual_gate_bias)

    def forward(self, h: torch.Tensor) -> Controls:
        # h: (B, U)
        return Controls(
            gates=F.softmax(self.gates(h), dim=-1),  # (B, 3)
            decay=torch.sigmoid(self.decay(h)),  # (B, 1)
            residual=torch.sigmoid(self.residual(h)),  # (B, C)
            key=self.key(h),  # (B, C)
            strength=F.softplus(self.strength(h)),  # (B, 1)
        )
