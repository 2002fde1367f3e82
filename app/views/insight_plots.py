"""Plots over time for the selected object: confidence, the memory gates (no-op / update /
allocate), the mean residual gate, the read strength, and a slot timeline (rows = memory slots,
shade = read weight stretched to the shown range, a dot on the slot that dominated each frame's
read, a triangle where a frame's appearance was written into a slot, grey where writes were
frozen). A cursor follows the current frame; clicking a plot seeks.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from ..core.insight_series import InsightSeries

__all__ = ["InsightPlots"]

GATE_COLORS = ("#9aa0a6", "#4da3ff", "#f5a142")  # no-op, update, allocate
_READ_CMAP = pg.colormap.get("viridis")
MAX_DOTS = 1500
MIN_PLOT_HEIGHT = 56  # pixels per plot; the dock scrolls rather than squash the plots below this


def _dense(frames: np.ndarray, values: np.ndarray, first: int, last: int) -> np.ndarray:
    """Values on every frame first..last, NaN where there is none (gaps stay gaps)."""
    out = np.full((last - first + 1,) + values.shape[1:], np.nan)
    out[frames - first] = values
    return out


class InsightPlots(pg.GraphicsLayoutWidget):
    """Signals: frame_requested(int)."""

    frame_requested = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("#1f2023")
        self.ci.setSpacing(2)
        self.series: InsightSeries | None = None
        titles = (("confidence", "conf."), ("gates", "gates"), ("residual", "resid."),
                  ("strength", "\u03b2 read"), ("slots", "slot"))
        self.plots: dict[str, pg.PlotItem] = {}
        self.cursors: list[pg.InfiniteLine] = []
        for row, (key, title) in enumerate(titles):
            p = self.addPlot(row=row, col=0)
            p.setLabel("left", title, **{"font-size": "8pt", "color": "#b8bbc2"})
            p.getAxis("left").setWidth(58)
            p.getAxis("left").enableAutoSIPrefix(False)
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setMouseEnabled(x=True, y=False)
            p.hideButtons()
            # long videos: draw at most about one point per pixel, only what is in view
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
            if key != "slots":
                p.getAxis("bottom").setStyle(showValues=False)
            if self.plots:
                p.setXLink(self.plots["confidence"])
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#ff4d4d", width=1.2))
            p.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
            self.plots[key] = p
        self.scene().sigMouseClicked.connect(self._on_click)
        self.ci.layout.setRowStretchFactor(4, 2)
        legend = ("confidence (dashed: pause threshold) \u00b7 gates: "
                  "<span style='color:#9aa0a6'>no-op</span> <span style='color:#4da3ff'>update</span> "
                  "<span style='color:#f5a142'>allocate</span> \u00b7 mean residual gate \u00b7 read "
                  "strength<br>slots: shade = read weight, \u25cf top read, \u25b2 frame's "
                  "appearance written into the slot, grey = writes frozen")
        self.addLabel(legend, row=5, col=0, size="8pt", color="#8a8d93")
        for p in self.plots.values():
            p.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.setMinimumHeight(MIN_PLOT_HEIGHT * (len(self.plots) + 1) + 40)
        self.plots["confidence"].setYRange(0, 1, padding=0.05)
        self.plots["gates"].setYRange(0, 1, padding=0.05)
        self.confidence = self.plots["confidence"].plot(pen=pg.mkPen("#5ad17a", width=1.6), connect="finite")
        self.threshold = pg.InfiniteLine(angle=0, movable=False,
                                         pen=pg.mkPen("#f0b429", width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.plots["confidence"].addItem(self.threshold)
        self.gates = [self.plots["gates"].plot(pen=pg.mkPen(c, width=1.4), connect="finite")
                      for c in GATE_COLORS]
        self.residual = self.plots["residual"].plot(pen=pg.mkPen("#c792ea", width=1.4), connect="finite")
        self.strength = self.plots["strength"].plot(pen=pg.mkPen("#7fd3ff", width=1.4), connect="finite")
        slots = self.plots["slots"]
        slots.invertY(True)
        slots.setLabel("bottom", "frame", **{"font-size": "8pt", "color": "#b8bbc2"})
        self.read_image = pg.ImageItem(axisOrder="row-major")
        slots.addItem(self.read_image)
        self.frozen = pg.ImageItem(axisOrder="row-major")
        slots.addItem(self.frozen)
        self.dominant = pg.ScatterPlotItem(size=5, symbol="o", brush="#ffffff", pen=None)
        self.writes = pg.ScatterPlotItem(size=9, symbol="t1", brush="#f5a142",
                                         pen=pg.mkPen("#1f2023", width=0.8))
        slots.addItem(self.dominant)
        slots.addItem(self.writes)
        self.set_series(None)

    def set_series(self, series: InsightSeries | None, threshold: float | None = None) -> None:
        self.series = series
        if series is None or len(series) == 0:
            for item in (self.confidence, self.residual, self.strength, *self.gates):
                item.setData([], [])
            self.read_image.clear()
            self.frozen.clear()
            self.dominant.setData([], [])
            self.writes.setData([], [])
            self.threshold.setVisible(False)
            return
        f = series.frames
        first, last = int(f[0]), int(f[-1])
        x = np.arange(first, last + 1, dtype=np.float64)
        self.confidence.setData(x, _dense(f, series.confidence, first, last))
        for k, item in enumerate(self.gates):
            item.setData(x, _dense(f, series.gates[:, k].astype(np.float64), first, last))
        self.residual.setData(x, _dense(f, series.residual, first, last))
        self.plots["residual"].setYRange(0, max(0.05, float(np.nanmax(series.residual)) * 1.2), padding=0.05)
        self.strength.setData(x, _dense(f, series.strength, first, last))
        self.threshold.setVisible(threshold is not None)
        if threshold is not None:
            self.threshold.setValue(threshold)
        # slot timeline: read weights as an image, frames first..last x slots
        n = series.slots
        read = _dense(f, series.read.astype(np.float64), first, last).T  # (N, frames)
        ok = np.isfinite(read)
        lo, hi = (float(read[ok].min()), float(read[ok].max())) if ok.any() else (0.0, 1.0)
        lut = _READ_CMAP.getLookupTable(0.0, 1.0, 256, alpha=False)
        rgba = np.zeros(read.shape + (4,), np.uint8)
        # stretched to the shown range: read weights of an untrained memory differ by a few percent
        idx = np.clip(np.nan_to_num((read - lo) / max(hi - lo, 1e-6)) * 255, 0, 255).astype(np.intp)
        rgba[..., :3] = lut[idx]
        rgba[..., 3] = np.where(ok, 255, 0)
        self.read_image.setImage(rgba, autoLevels=False)
        self.read_image.setRect(QtCore.QRectF(first - 0.5, -0.5, last - first + 1, n))
        frozen = np.zeros((1, last - first + 1, 4), np.uint8)
        for fr in series.frozen:
            if first <= fr <= last:
                frozen[0, fr - first] = (140, 140, 140, 110)
        self.frozen.setImage(frozen, autoLevels=False)
        self.frozen.setRect(QtCore.QRectF(first - 0.5, -0.5, last - first + 1, n))
        if len(f) <= MAX_DOTS:  # beyond that the dots merge into the read-weight shading anyway
            self.dominant.setData(f.astype(np.float64), series.dominant.astype(np.float64))
        else:
            self.dominant.setData([], [])
        writes = [(fr, s) for fr, s in series.writes if first - 1 <= fr <= last]
        self.writes.setData([w[0] for w in writes], [w[1] for w in writes])
        self.plots["slots"].setYRange(-0.5, n - 0.5, padding=0)
        self.plots["slots"].getAxis("left").setTicks([[(j, str(j)) for j in range(n)]])
        self.plots["confidence"].setXRange(first - 0.5, last + 0.5, padding=0.01)

    def set_cursor(self, frame: int | None) -> None:
        for c in self.cursors:
            c.setVisible(frame is not None)
            if frame is not None:
                c.setValue(frame)

    def _on_click(self, ev) -> None:
        for p in self.plots.values():
            if p.sceneBoundingRect().contains(ev.scenePos()):
                x = p.vb.mapSceneToView(ev.scenePos()).x()
                self.frame_requested.emit(int(round(x)))
                ev.accept()
                return
