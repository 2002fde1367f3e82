"""What one tracking step returns: the box, a confidence score and the tracker's diagnostics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .search_geometry import ResponseGeometry
from .types import Box

__all__ = ["Diagnostics", "RowLayout", "TrackResult", "row_fields"]


@dataclass(frozen=True)
class Diagnostics:
    """The memory network's view of one frame, for the chosen scale. Arrays are read-only numpy.

    attention:     (Hf, Wf) softmax attention over pooled search features (sums to 1)
    response:      (Hr, Wr) raw response map of the chosen scale, before upsampling and windowing
    read_weights:  (N,) memory read weights w^r (sum to 1)
    write_weights: (N,) write weights computed this step, applied to this frame's template
                   at the start of the next step
    usage:         (N,) slot usage after this step
    gates:         (3,) [g_w, g_r, g_a] = (no-op, update-read-slot, allocate-new-slot), sum to 1
    residual_gate: mean of the channel-wise residual gate r
    read_strength: beta
    scale:         chosen scale index: -1 (shrink), 0 (keep) or +1 (grow)
    search_box:    the search region of the chosen scale in frame pixels; attention and response
                   maps cover this region
    geometry:      where the maps' cells lie on ``search_box`` (the engine's response geometry; None
                   from code that builds diagnostics without an engine)
    """

    attention: np.ndarray
    response: np.ndarray
    read_weights: np.ndarray
    write_weights: np.ndarray
    usage: np.ndarray
    gates: np.ndarray
    residual_gate: float
    read_strength: float
    scale: int
    search_box: Box
    geometry: ResponseGeometry | None = None

    def to_json(self) -> dict:
        def rounded(a: np.ndarray, digits: int) -> list:
            return np.round(np.asarray(a, dtype=np.float64), digits).tolist()

        return {
            "attention": rounded(self.attention, 6),
            "response": rounded(self.response, 4),
            "read_weights": rounded(self.read_weights, 5),
            "write_weights": rounded(self.write_weights, 5),
            "usage": rounded(self.usage, 4),
            "gates": rounded(self.gates, 5),
            "residual_gate": round(self.residual_gate, 6),
            "read_strength": round(self.read_strength, 5),
            "scale": self.scale,
            "search_box": [round(v, 3) for v in self.search_box.as_tuple()],
        }


def row_fields(slots: int, cells: int, diagnostics: bool = True) -> tuple[tuple[str, int], ...]:
    """The packed row, declared once: what one tracking step sends from the device to the host for each
    target, in one transfer, as (field, width) in column order. The engine packs it
    (`tracker.scoring.ResponseScorer.choose`) and reads it back with `RowLayout`.

    scale_index    the chosen scale's index in the engine's scale list
    peak_u/peak_v  the windowed peak on the upsampled map (column, row)
    score          the confidence (cosine at the peak's cell, before clipping)
    applied_write  (N,) what this step wrote into each slot (w^w(j) e, 0 when pinned or frozen)
    then, with diagnostics, the `Diagnostics` arrays of the chosen scale: gates (3), residual_gate,
    read_strength, read_weights (N), write_weights (N), usage (N), attention (cells^2), response (cells^2)
    """
    head = (("scale_index", 1), ("peak_u", 1), ("peak_v", 1), ("score", 1), ("applied_write", slots))
    if not diagnostics:
        return head
    return head + (("gates", 3), ("residual_gate", 1), ("read_strength", 1), ("read_weights", slots),
                   ("write_weights", slots), ("usage", slots), ("attention", cells * cells),
                   ("response", cells * cells))


@dataclass(frozen=True)
class RowLayout:
    """Column slices of the packed row (`row_fields`)."""

    fields: tuple[tuple[str, int], ...]
    cells: int

    @classmethod
    def of(cls, slots: int, cells: int, diagnostics: bool = True) -> "RowLayout":
        return cls(row_fields(slots, cells, diagnostics), cells)

    @property
    def width(self) -> int:
        return sum(size for _, size in self.fields)

    def slice(self, name: str) -> slice:
        o = 0
        for field_name, size in self.fields:
            if field_name == name:
                return slice(o, o + size)
            o += size
        raise KeyError(name)

    def get(self, row: np.ndarray, name: str) -> np.ndarray:
        return row[self.slice(name)]

    def diagnostics(self, row: np.ndarray, scale: int, search_box: Box,
                    geometry: ResponseGeometry | None = None) -> Diagnostics:
        """The `Diagnostics` of one packed row (read-only float32 copies)."""
        c = self.cells
        return Diagnostics(
            attention=_readonly(self.get(row, "attention").reshape(c, c)),
            response=_readonly(self.get(row, "response").reshape(c, c)),
            read_weights=_readonly(self.get(row, "read_weights")),
            write_weights=_readonly(self.get(row, "write_weights")),
            usage=_readonly(self.get(row, "usage")),
            gates=_readonly(self.get(row, "gates")),
            residual_gate=float(self.get(row, "residual_gate")[0]),
            read_strength=float(self.get(row, "read_strength")[0]),
            scale=scale,
            search_box=search_box,
            geometry=geometry,
        )


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float32)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class TrackResult:
    """box: the predicted box; score: confidence in [0, 1] (cosine similarity between the final
    template and the search features under the chosen peak, clipped at 0)."""

    box: Box
    score: float
    diagnostics: Diagnostics | None = None
