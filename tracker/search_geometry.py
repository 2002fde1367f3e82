"""Where the tracker's attention and response maps lie on the frame.

Both maps of `Diagnostics` are ``cells x cells`` grids over the search region of the chosen scale
(``Diagnostics.search_box``, a square of side ``S`` frame pixels centred on the previous position).
The engine crops that region to ``search_size`` (255) pixels, so one crop pixel is
``k = S / search_size`` frame pixels, and the backbone has ``stride`` (8) crop pixels per feature cell.

Cell ``(row i, column j)`` of either map scores the template-sized window of search features whose
centre is displaced from the crop centre by ``((j - z) * stride, (i - z) * stride)`` crop pixels, where
``z`` is the zero-displacement cell (``template_offset + (search_size - exemplar_size) / (2 stride)``,
13 for MobileNetV2). This is exactly the displacement the engine applies when the response peaks on
that cell (``tracker.geometry.peak_displacement``), and the attention map is computed over the same
pooled windows (``Attention.pool``, a template-sized average), so the two maps share the grid.

In frame pixels, with ``(cx, cy)`` the search box centre and ``c = stride * k`` the cell pitch::

    cell centre (i, j) = (cx + (j - z) c, cy + (i - z) c)
    grid covers        x in [cx - (z + 1/2) c,  cx + (cells - 1 - z + 1/2) c], likewise y

i.e. each value is drawn as a ``c x c`` square around its cell centre. The grid spans
``cells * stride`` crop pixels (208 of 255 for MobileNetV2), the central ~80 % of the search region:
the border of the search region is only ever seen as context of a window, never as a window centre.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .types import Box

__all__ = ["HasResponseGeometry", "ResponseGeometry"]


@dataclass(frozen=True)
class ResponseGeometry:
    """zero_cell: z above; stride: crop pixels per cell; search_size: the search crop's side."""

    zero_cell: float
    stride: int
    search_size: int

    @classmethod
    def of_tracker(cls, tracker: Any) -> "ResponseGeometry | None":
        """The geometry a tracker declares (MemTracker computes it once from its network; its
        diagnostics carry it too); None for a tracker without response maps."""
        return tracker.response_geometry if isinstance(tracker, HasResponseGeometry) else None

    def cell_pitch(self, search_box: Box) -> float:
        """Frame pixels between neighbouring cell centres."""
        return self.stride * search_box.w / self.search_size

    def cell_center(self, search_box: Box, row: float, col: float) -> tuple[float, float]:
        """Frame position (x, y) of the centre of cell (row, col); fractional cells allowed."""
        cx, cy = search_box.center
        c = self.cell_pitch(search_box)
        return cx + (col - self.zero_cell) * c, cy + (row - self.zero_cell) * c

    def frame_to_cell(self, search_box: Box, x: float, y: float) -> tuple[float, float]:
        """The (row, col) cell coordinates of a frame point (inverse of `cell_center`)."""
        cx, cy = search_box.center
        c = self.cell_pitch(search_box)
        return self.zero_cell + (y - cy) / c, self.zero_cell + (x - cx) / c

    def grid_rect(self, search_box: Box, cells: int) -> Box:
        """The frame rectangle a ``cells x cells`` map covers (each value a pitch-sized square)."""
        c = self.cell_pitch(search_box)
        x0, y0 = self.cell_center(search_box, -0.5, -0.5)
        return Box(x0, y0, cells * c, cells * c)


@runtime_checkable
class HasResponseGeometry(Protocol):
    response_geometry: ResponseGeometry
