"""The tracker's attention drawn over the frame: a heat map over the response grid (the central
part of the search region, see tracker.search_geometry), the search region's outline and the peak.

Colour and opacity both follow the attention stretched to the frame's own range (min..max), so
the cells the tracker favours stand out even when its attention is nearly flat; how flat it is
(the entropy, "attention spread") is printed under the maps and ranked in the review queue.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from tracker.types import Box

__all__ = ["AttentionOverlay", "heat_rgba"]

_CMAP = pg.colormap.get("inferno")


def heat_rgba(values: np.ndarray, max_alpha: int = 200) -> np.ndarray:
    """(H, W) values -> (H, W, 4) uint8 RGBA; colour and alpha by the value stretched to min..max."""
    v = np.asarray(values, np.float64)
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    norm = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    lut = _CMAP.getLookupTable(0.0, 1.0, 256, alpha=False)  # (256, 3) uint8
    idx = np.clip((0.3 + 0.7 * norm) * 255, 0, 255).astype(np.intp)
    rgba = np.empty(v.shape + (4,), np.uint8)
    rgba[..., :3] = lut[idx]
    rgba[..., 3] = np.clip(max_alpha * norm**1.5, 0, 255).astype(np.uint8)
    return rgba


class AttentionOverlay:
    """Items for `FrameView.add_overlay`; ``show`` places them, ``hide`` removes them from view."""

    def __init__(self):
        self.image = pg.ImageItem(axisOrder="row-major")
        self.outline = QtWidgets.QGraphicsRectItem()
        pen = pg.mkPen("#7fd3ff", width=1.2, style=QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.outline.setPen(pen)
        self.outline.setToolTip("Search region of the chosen scale")
        self.grid = QtWidgets.QGraphicsRectItem()
        grid_pen = pg.mkPen("#7fd3ff", width=0.8, style=QtCore.Qt.PenStyle.DotLine)
        grid_pen.setCosmetic(True)
        self.grid.setPen(grid_pen)
        self.grid.setToolTip("Cells of the attention and response maps")
        self.peak = pg.ScatterPlotItem(size=14, symbol="+", pen=pg.mkPen("#7fffd4", width=2), brush=None)
        self.shown_map: np.ndarray | None = None  # the attention map on screen (tests read it)
        self.shown_rect: Box | None = None
        self.hide()

    def items(self) -> list[tuple[QtWidgets.QGraphicsItem, float]]:
        """(item, z) pairs: below the boxes (z 10), above the frame."""
        return [(self.image, 6), (self.grid, 7), (self.outline, 7), (self.peak, 8)]

    def show(self, attention: np.ndarray, grid: Box, search: Box, peak: tuple[float, float] | None) -> None:
        """Draw ``attention`` over ``grid`` (frame pixels), outline ``search``, mark ``peak`` (x, y)."""
        self.image.setImage(heat_rgba(attention), autoLevels=False)
        self.image.setRect(QtCore.QRectF(grid.x, grid.y, grid.w, grid.h))
        self.grid.setRect(QtCore.QRectF(grid.x, grid.y, grid.w, grid.h))
        self.outline.setRect(QtCore.QRectF(search.x, search.y, search.w, search.h))
        if peak is not None:
            self.peak.setData([peak[0]], [peak[1]])
        else:
            self.peak.setData([], [])
        for item, _ in self.items():
            item.setVisible(True)
        self.shown_map, self.shown_rect = attention, grid

    def hide(self) -> None:
        for item, _ in self.items():
            item.setVisible(False)
        self.shown_map, self.shown_rect = None, None

    @property
    def visible(self) -> bool:
        return self.shown_map is not None
