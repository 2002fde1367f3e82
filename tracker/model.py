"""MemTrackNet: backbone + attention + LSTM controller + external memory + response head.

``init_state`` / ``step`` run one frame at a time (tracking); ``forward_clip`` runs a whole training
clip with back-propagation through time (docs/model.md §3 to 8).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import torch
import torch.nn as nn

from .backbone import build_backbone, pad_free_template, xcorr
from .config import ModelConfig
from .controller import Attention, ControlHeads, Controls, InitialState, LayerNormLSTMCell
from .memory import MemoryState, address_next_write, initial_memory, read, write

__all__ = ["MemTrackNet", "NetState", "StepOutput", "identity_neck", "with_model_config"]


def identity_neck(channels: int) -> nn.Conv2d:
    """A 1x1 convolution that starts as the identity, so adding it leaves a tracker unchanged."""
    conv = nn.Conv2d(channels, channels, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(channels)[:, :, None, None])  # (C, C, 1, 1)
        conv.bias.zero_()
    return conv


@dataclass(frozen=True)
class NetState:
    template0: torch.Tensor  # (B, C, K, K) T0, fixed
    h: torch.Tensor  # (B, U)
    c: torch.Tensor  # (B, U)
    memory: MemoryState

    def map(self, fn) -> "NetState":
        return NetState(fn(self.template0), fn(self.h), fn(self.c), self.memory.map(fn))

    def with_memory(self, memory: MemoryState) -> "NetState":
        return NetState(self.template0, self.h, self.c, memory)

    def tensors(self) -> dict[str, torch.Tensor]:
        out = {"template0": self.template0, "h": self.h, "c": self.c}
        out.update({f"memory.{f.name}": getattr(self.memory, f.name) for f in fields(self.memory)})
        return out


@dataclass(frozen=True)
class StepOutput:
    response: torch.Tensor  # (B, Hr, Wr) after bn_response
    raw_response: torch.Tensor  # (B, Hr, Wr) before bn_response
    attention: torch.Tensor  # (B, Hr, Wr) alpha
    controls: Controls
    read_weights: torch.Tensor  # (B, N)
    template: torch.Tensor  # (B, C, K, K) T^final


class MemTrackNet(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = build_backbone(config.backbone)
        c = self.backbone.out_channels
        k = self.backbone.template_cells
        self.attention = Attention(c, config.attention_dim, config.lstm_units, k)
        self.lstm = LayerNormLSTMCell(c, config.lstm_units, config.lstm_keep_prob)
        self.initial_state = InitialState(c, config.lstm_units)
        self.heads = ControlHeads(config.lstm_units, c, config.residual_gate_bias)
        self.bn_response = nn.BatchNorm2d(1, eps=1e-3, momentum=0.01)
        self.neck = identity_neck(c) if config.neck else nn.Identity()

    # ------------------------------------------------------------------ features

    @property
    def template_shape(self) -> tuple[int, int, int]:
        k = self.backbone.template_cells
        return (self.backbone.out_channels, k, k)

    @torch.no_grad()
    def response_geometry(self, exemplar_size: int, search_size: int) -> tuple[int, float]:
        """(cells, zero_cell): the response map's side and the cell where the template centre meets
        the search centre (zero displacement)."""
        bb = self.backbone
        device = next(self.parameters()).device
        was_training = bb.training
        bb.eval()
        hx = bb(torch.zeros(1, 3, search_size, search_size, device=device)).shape[-1]
        bb.train(was_training)
        cells = hx - bb.template_cells + 1
        zero_cell = bb.template_offset + (search_size - exemplar_size) / (2 * bb.stride)
        return cells, zero_cell

    def backbone_exemplar(self, z: torch.Tensor) -> torch.Tensor:
        # z: (B, 3, 127, 127) in [0, 1] -> (B, C, K, K) backbone cells of the template, before the neck
        f = self.backbone(z)  # (B, C, Hz, Wz)
        return pad_free_template(f, self.backbone.template_cells, self.backbone.template_offset)

    def embed_exemplar(self, z: torch.Tensor) -> torch.Tensor:
        # z: (B, 3, 127, 127) in [0, 1] -> (B, C, K, K); the 1x1 neck commutes with the crop
        return self.neck(self.backbone_exemplar(z))  # (B, C, K, K)

    def embed_search(self, x: torch.Tensor) -> torch.Tensor:
        # x: (B, 3, 255, 255) in [0, 1] -> (B, C, Hx, Wx)
        return self.neck(self.backbone(x))  # (B, C, Hx, Wx)

    # ------------------------------------------------------------------ recurrent step

    def init_state(self, template0: torch.Tensor) -> NetState:
        """S0 from T0 (docs/model.md §5 initial state, 6.5 initial memory). template0: (B, C, K, K)."""
        h, c = self.initial_state(template0)  # (B, U), (B, U)
        mem = initial_memory(template0.shape[0], self.config.memory_slots, self.template_shape,
                             template0.device, template0.dtype)
        return NetState(template0, h, c, mem)

    def step(self, state: NetState, new_template: torch.Tensor, search: torch.Tensor,
             normalise: bool = True, use_memory: bool = True) -> tuple[NetState, StepOutput]:
        """One memory-network step (docs/model.md §3, step 4) and the response (step 5).

        new_template: (B, C, K, K) T^new of the previous frame; search: (B, C, Hx, Wx).
        ``normalise=False`` leaves ``response`` equal to the raw map; ``use_memory=False`` scores with
        T0 alone (the memory is still read and written, so its diagnostics stay meaningful).
        """
        pooled, projected = self.attention.project(search)  # (B, C, Hr, Wr), (B, A, Hr, Wr)
        state, out = self._recurrent(state, new_template, pooled, projected, use_memory)
        raw = xcorr(search, out.template)  # (B, 1, Hr, Wr)
        resp = self.bn_response(raw) if normalise else raw  # (B, 1, Hr, Wr)
        return state, StepOutput(resp[:, 0], raw[:, 0], out.attention, out.controls, out.read_weights, out.template)

    def _recurrent(self, state: NetState, new_template: torch.Tensor, pooled: torch.Tensor,
                   projected: torch.Tensor, use_memory: bool = True) -> tuple[NetState, StepOutput]:
        """Write, attend, LSTM, heads, read, residual template, next write: everything but the
        response, which nothing in the recurrence depends on. Returns StepOutput without responses."""
        # deferred write of the previous frame's template with the stored write weights
        mem = write(state.memory, new_template)
        # attention over pooled search features, queried by h_{t-1}
        attended, alpha = self.attention.attend(pooled, projected, state.h)  # (B, C), (B, Hr, Wr)
        # controller step and control heads
        h, c = self.lstm(attended, state.h, state.c)  # (B, U), (B, U)
        ctl = self.heads(h)
        # read the memory and form the gated residual template
        retrieved, read_w = read(mem, ctl.key, ctl.strength)  # (B, C, K, K), (B, N)
        final = state.template0 + ctl.residual[:, :, None, None] * retrieved  # (B, C, K, K)
        if not use_memory:
            final = state.template0
        # next write weights (applied to this frame's template next step) and usage
        mem = address_next_write(mem, read_w, ctl.gates, ctl.decay, self.config.usage_decay)
        out = StepOutput(alpha.new_empty(0), alpha.new_empty(0), alpha, ctl, read_w, final)
        return NetState(state.template0, h, c, mem), out

    # ------------------------------------------------------------------ training

    def forward_clip(self, exemplars: torch.Tensor, searches: torch.Tensor,
                     attentions: list | None = None) -> torch.Tensor:
        """Teacher-forced clip: step t writes exemplar t and scores search t (docs/model.md §8.2 step 5).

        exemplars: (B, T, 3, 127, 127), searches: (B, T, 3, 255, 255) -> responses (B, T, Hr, Wr).
        Exemplar 0 is T0 and also the first write.
        """
        b, t = exemplars.shape[:2]
        # separate backbone calls so each batch normalises with its own statistics (docs/model.md §8.4)
        z = self.backbone_exemplar(exemplars.flatten(0, 1)).unflatten(0, (b, t))  # (B, T, C, K, K)
        x = self.backbone(searches.flatten(0, 1)).unflatten(0, (b, t))  # (B, T, C, Hx, Wx)
        return self.forward_features(z, x, attentions=attentions)

    def forward_features(self, z: torch.Tensor, x: torch.Tensor, record: list | None = None,
                         attentions: list | None = None) -> torch.Tensor:
        """The memory network over a clip of backbone features (a frozen backbone's cache).

        z: (B, T, C, K, K) exemplar templates, x: (B, T, C, Hx, Wx) search features, both straight
        from the backbone (the neck is applied here) -> responses (B, T, Hr, Wr). The same arithmetic
        as calling ``step`` T times, but the h-independent attention projection and all T
        cross-correlations run as single batched calls. ``record``, when given, receives one
        (attention (B, Hr, Wr), gates (B, 3)) pair per step, for diagnostics; ``attentions``, when
        given, receives each step's attention map with its gradient (B, Hr, Wr), for the training loss.
        """
        b, t = z.shape[:2]
        z = self.neck(z.flatten(0, 1)).unflatten(0, (b, t))  # (B, T, C, K, K)
        x = self.neck(x.flatten(0, 1)).unflatten(0, (b, t))  # (B, T, C, Hx, Wx)
        pooled, projected = self.attention.project(x.flatten(0, 1))  # (B*T, C, Hr, Wr), (B*T, A, Hr, Wr)
        # unbind, not indexing: the backward of t index ops would fill t zero tensors of full size
        pooled_steps = pooled.unflatten(0, (b, t)).unbind(1)  # T x (B, C, Hr, Wr)
        projected_steps = projected.unflatten(0, (b, t)).unbind(1)  # T x (B, A, Hr, Wr)
        z_steps = z.unbind(1)  # T x (B, C, K, K)
        state = self.init_state(z_steps[0])
        templates = []
        for step in range(t):
            state, out = self._recurrent(state, z_steps[step], pooled_steps[step], projected_steps[step])
            templates.append(out.template)  # (B, C, K, K)
            if attentions is not None:
                attentions.append(out.attention)  # (B, Hr, Wr)
            if record is not None:
                record.append((out.attention.detach(), out.controls.gates.detach()))  # (B, Hr, Wr), (B, 3)
        finals = torch.stack(templates, dim=1)  # (B, T, C, K, K)
        raw = xcorr(x.flatten(0, 1), finals.flatten(0, 1))  # (B*T, 1, Hr, Wr)
        # one bn_response call over all B*T maps: batch statistics of the whole clip batch (docs/model.md §2, 8.4)
        return self.bn_response(raw)[:, 0].unflatten(0, (b, t))  # (B, T, Hr, Wr)


def with_model_config(net: MemTrackNet, model: ModelConfig) -> MemTrackNet:
    """A network built from ``model`` that carries every weight of ``net``.

    Only additions that start as the identity are allowed (today: switching the neck on), so the new
    network tracks exactly like the old one until it is trained.
    """
    grown = MemTrackNet(model)
    try:
        missing, unexpected = grown.load_state_dict(net.state_dict(), strict=False)
    except RuntimeError as e:  # shape mismatches raise even when strict=False
        raise ValueError(f"cannot change the model from {net.config} to {model}: {str(e).splitlines()[0]}") from e
    added = {key.split(".")[0] for key in missing}
    if unexpected or not added <= {"neck"}:
        raise ValueError(f"cannot change the model from {net.config} to {model}: "
                         f"missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    return grown.train(net.training)
