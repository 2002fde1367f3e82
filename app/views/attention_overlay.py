"""The tracker's attention drawn over the frame: a heat map over the response grid (the central
part of the search region, see tracker.search_geometry), the search region's outline and the peak.

The heat is scaled on a fixed range, not stretched to each frame's own min..max: a cell's weight
is compared with the uniform weight (the map's mean, 1/L for L cells), and colour and opacity grow
with log(weight / mean) from 1x (nothing drawn) to ``RATIO_TOP`` x (full colour at the chosen
opacity). A map whose peak is below ``FLAT_RATIO`` times the mean is nearly flat: nothing is drawn
over the video and the overlay says "flat" instead, so a flat map never becomes a wash that hides
the frame. How flat it is (the entropy, "attention spread") is printed under the maps and ranked
in the review queue.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from tracker.types import Box

__all__ = ["AttentionOverlay", "heat_rgba", "peak_ratio", "FLAT_RATIO", "RATIO_TOP", "DEFAULT_OPACITY"]

_CMAP = pg.colormap.get("inferno")
FLAT_RATIO = 1.5  # peak / mean below this: "flat", nothing drawn
RATIO_TOP = 8.0  # weight / mean at which colour and opacity are full (the sample's peaks: 3-9)
DEFAULT_OPACITY = 0.55


def peak_ratio(values: np.ndarray) -> float:
    """The map's peak over its mean (1 for a uniform map, L for all weight on one of L cells)."""
    v = np.asarray(values, np.float64)
    mean = float(v.mean()) if v.size else 0.0
    return float(v.max()) / mean if mean > 0 else 1.0


def heat_rgba(values: np.ndarray, opacity: float = DEFAULT_OPACITY) -> np.ndarray:
    """(H, W) non-negative weights -> (H, W, 4) uint8 RGBA on the fixed range 1x..RATIO_TOP x the
    mean; alpha is ``opacity`` (0..1) at RATIO_TOP and 0 at or below the mean."""
    v = np.asarray(values, np.float64)
    mean = float(v.mean()) if v.size else 0.0
    ratio = v / mean if mean > 0 else np.ones_like(v)
    norm = np.clip(np.log(np.maximum(ratio, 1e-12)) / np.log(RATIO_TOP), 0.0, 1.0)
    lut = _CMAP.getLookupTable(0.0, 1.0, 256, alpha=False)  # (256, 3) uint8
    idx = np.clip((0.3 + 0.7 * norm) * 255, 0, 255).astype(np.intp)
    rgba = np.empty(v.shape + (4,), np.uint8)
    rgba[..., :3] = lut[idx]
    rgba[..., 3] = np.clip(255 * float(np.clip(opacity, 0.0, 1.0)) * norm, 0, 255).astype(np.uint8)
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
        self.flat_label = pg.TextItem("attention flat", color="#7fd3ff", anchor=(0, 1))
        self.shown_map: np.ndarray | None = None  # the attention map on screen (tests read it)
        self.shown_rect: Box | None = None
        self.shown_rgba: np.ndarray | None = None  # the heat drawn, None when flat or hidden
        self.flat = False
        self.hide()

    def items(self) -> list[tuple[QtWidgets.QGraphicsItem, float]]:
        """(item, z) pairs: below the boxes (z 10), above the frame."""
        return [(self.image, 6), (self.grid, 7), (self.outline, 7), (self.peak, 8), (self.flat_label, 8)]

    def show(self, attention: np.ndarray, grid: Box, search: Box, peak: tuple[float, float] | None,
             opacity: float = DEFAULT_OPACITY) -> None:
        """Draw ``attention`` over ``grid`` (frame pixels), outline ``search``, mark ``peak`` (x, y)."""
        self.flat = peak_ratio(attention) < FLAT_RATIO
        self.shown_rgba = None if self.flat else heat_rgba(attention, opacity)
        if self.shown_rgba is not None:
            self.image.setImage(self.shown_rgba, autoLevels=False)
            self.image.setRect(QtCore.QRectF(grid.x, grid.y, grid.w, grid.h))
        self.grid.setRect(QtCore.QRectF(grid.x, grid.y, grid.w, grid.h))
        self.outline.setRect(QtCore.QRectF(search.x, search.y, search.w, search.h))
        self.flat_label.setPos(search.x, search.y)
        if peak is not None:
            self.peak.setData([peak[0]], [peak[1]])
        else:
            self.peak.setData([], [])
        for item, _ in self.items():
            item.setVisible(True)
        self.image.setVisible(not self.flat)
        self.flat_label.setVisible(self.flat)
        self.shown_map, self.shown_rect = attention, grid

    def hide(self) -> None:
        for item, _ in self.items():
            item.setVisible(False)
        self.shown_map, self.shown_rect, self.shown_rgba = None, None, None
        self.flat = False

    @property
    def visible(self) -> bool:
        return self.shown_map is not None
