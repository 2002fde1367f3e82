"""What one tracking step returns: the box, a confidence score and the tracker's diagnostics."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .search_geometry import ResponseGeometry
from .types import Box

__all__ = ["Diagnostics", "TrackResult"]


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


@dataclass(frozen=True)
class TrackResult:
    """box: the predicted box; score: confidence in [0, 1] (cosine similarity between the final
    template and the search features under the chosen peak, clipped at 0)."""

    box: Box
    score: float
    diagnostics: Diagnostics | None = None
