"""The timeline: one row per object with keyframes, tracked/interpolated/absent spans and the
tracker's confidence strip, plus a frame cursor. Clicking or dragging the cursor seeks.

Row k spans y in [k, k+1) (row 0 on top): provenance bars in the upper part, the confidence strip
(red = 0, yellow = 0.5, green = 1) below them, flags for low-confidence frames (red) and boxes
moved by the last re-track (orange) on top.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from tracker.project import Provenance

from ..core.view_models import TimelineRow

__all__ = ["TimelineRow", "TimelineView"]

BAR = (0.10, 0.56)  # provenance bar, fraction of the row
STRIP = (0.62, 0.90)  # confidence strip
_ALPHA = {Provenance.KEYFRAME: 255, Provenance.TRACKED: 200, Provenance.INTERPOLATED: 110,
          Provenance.IMPORTED: 160}


def _confidence_rgba(scores: np.ndarray) -> np.ndarray:
    """(1, N, 4) uint8: red -> yellow -> green over [0, 1], transparent where NaN."""
    s = np.clip(np.nan_to_num(scores, nan=0.0), 0.0, 1.0)
    red = np.where(s < 0.5, 1.0, 2.0 - 2.0 * s)
    green = np.where(s < 0.5, 2.0 * s, 1.0)
    rgba = np.zeros((1, len(s), 4), np.uint8)
    rgba[0, :, 0] = (red * 220).astype(np.uint8)
    rgba[0, :, 1] = (green * 200).astype(np.uint8)
    rgba[0, :, 2] = 40
    rgba[0, :, 3] = np.where(np.isnan(scores), 0, 255)
    return rgba


class TimelineView(pg.PlotWidget):
    """Signals: frame_requested(int), object_selected(int track_id)."""

    frame_requested = QtCore.Signal(int)
    object_selected = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent, background="#232427")
        self.setMinimumHeight(90)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=False, alpha=0.15)
        plot.invertY(True)
        plot.setMouseEnabled(x=True, y=False)
        plot.getAxis("left").setWidth(110)
        plot.getAxis("bottom").setLabel("frame")
        plot.getAxis("bottom").enableAutoSIPrefix(False)  # never "frame (x0.001)"
        plot.getAxis("bottom").setStyle(showValues=False)  # until a video gives it frames
        self.vb = plot.getViewBox()
        self.bars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brushes=[], pen=None)
        self.keyframes = pg.ScatterPlotItem(symbol="d", size=9, pen=pg.mkPen("#ffffff", width=1))
        self.flags = pg.ScatterPlotItem(symbol="t", size=7, pen=None, brush=pg.mkBrush("#ff4d4d"))
        self.moved = pg.ScatterPlotItem(symbol="t1", size=7, pen=None, brush=pg.mkBrush("#ff9f1a"))
        self.selection = QtWidgets.QGraphicsRectItem()
        self.selection.setBrush(pg.mkBrush(255, 255, 255, 18))
        self.selection.setPen(pg.mkPen(None))
        for item in (self.selection, self.bars, self.keyframes, self.flags, self.moved):
            plot.addItem(item)
        self._strips: list[pg.ImageItem] = []
        self.cursor = pg.InfiniteLine(0, angle=90, movable=True, pen=pg.mkPen("#f5f5f5", width=2),
                                      hoverPen=pg.mkPen("#4da3ff", width=3))
        self.cursor.setZValue(50)
        plot.addItem(self.cursor)
        self.cursor.sigDragged.connect(lambda line: self.frame_requested.emit(self._clamp(line.value())))
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.frame_count = 1
        self.rows: list[TimelineRow] = []
        self.set_frame_count(0)  # no video yet

    def _clamp(self, x: float) -> int:
        return int(min(max(round(x), 0), self.frame_count - 1))

    def set_frame_count(self, n: int) -> None:
        self.frame_count = max(1, n)
        self.vb.setLimits(xMin=-0.5, xMax=self.frame_count - 0.5, minXRange=min(10, self.frame_count))
        self.vb.setXRange(-0.5, self.frame_count - 0.5, padding=0)
        self.getPlotItem().getAxis("bottom").setStyle(showValues=n > 0)  # no video: no frame numbers
        self._update_y_range()

    def _update_y_range(self) -> None:
        rows = max(1, len(self.rows))
        self.vb.setLimits(yMin=0, yMax=rows)
        self.vb.setYRange(0, rows, padding=0.02)

    def set_cursor(self, frame: int) -> None:
        if int(self.cursor.value()) != frame:
            self.cursor.blockSignals(True)
            self.cursor.setValue(frame)
            self.cursor.blockSignals(False)
        lo, hi = self.vb.viewRange()[0]
        if not lo <= frame <= hi:  # keep the cursor in view when zoomed in
            half = (hi - lo) / 2
            self.vb.setXRange(frame - half, frame + half, padding=0)

    def set_rows(self, rows: list[TimelineRow]) -> None:
        self.rows = rows
        x0, x1, y0, y1, brushes, kx, ky, kb = [], [], [], [], [], [], [], []
        fx, fy, mx, my = [], [], [], []
        for k, row in enumerate(rows):
            base = QtGui.QColor(row.color)
            for span in row.spans:
                x0.append(span.start - 0.5)
                x1.append(span.stop + 0.5)
                y0.append(k + BAR[0])
                y1.append(k + BAR[1])
                if span.kind is Provenance.ABSENT:
                    brushes.append(pg.mkBrush("#5a5a5a"))
                else:
                    c = QtGui.QColor(base)
                    c.setAlpha(_ALPHA[span.kind])
                    brushes.append(pg.mkBrush(c))
                if span.kind is Provenance.KEYFRAME:
                    kx.append(span.start)
                    ky.append(k + (BAR[0] + BAR[1]) / 2)
                    kb.append(pg.mkBrush(base))
            fx += row.low_frames
            fy += [k + 0.08] * len(row.low_frames)
            mx += row.moved_frames
            my += [k + 0.08] * len(row.moved_frames)
        self.bars.setOpts(x0=x0, x1=x1, y0=y0, y1=y1, brushes=brushes, pen=None)
        self.keyframes.setData(kx, ky, brush=kb)
        self.flags.setData(fx, fy)
        self.moved.setData(mx, my)
        self._set_strips(rows)
        self._set_ticks(rows)
        selected = [k for k, r in enumerate(rows) if r.selected]
        if selected:
            k = selected[0]
            self.selection.setRect(QtCore.QRectF(-0.5, k, self.frame_count, 1))
            self.selection.show()
        else:
            self.selection.hide()
        self._update_y_range()

    def _set_strips(self, rows: list[TimelineRow]) -> None:
        plot = self.getPlotItem()
        while len(self._strips) > len(rows):
            plot.removeItem(self._strips.pop())
        while len(self._strips) < len(rows):
            strip = pg.ImageItem(axisOrder="row-major")
            plot.addItem(strip)
            self._strips.append(strip)
        shown = getattr(self, "_strip_scores", [])
        self._strip_scores = []
        for k, (row, strip) in enumerate(zip(rows, self._strips)):
            self._strip_scores.append(row.scores)
            if k < len(shown) and shown[k] is row.scores:
                continue  # the same (cached, unchanged) scores in the same row: nothing to redraw
            strip.setImage(_confidence_rgba(row.scores), autoLevels=False)
            strip.setRect(QtCore.QRectF(-0.5, k + STRIP[0], len(row.scores), STRIP[1] - STRIP[0]))

    def _set_ticks(self, rows: list[TimelineRow]) -> None:
        ticks = [(k + 0.5, r.caption) for k, r in enumerate(rows)]
        self.getPlotItem().getAxis("left").setTicks([ticks, []])

    def row_at(self, y: float) -> int | None:
        k = int(np.floor(y))
        return self.rows[k].track_id if 0 <= k < len(self.rows) else None

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        if not self.vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self.vb.mapSceneToView(ev.scenePos())
        tid = self.row_at(p.y())
        if tid is not None:
            self.object_selected.emit(tid)
        self.frame_requested.emit(self._clamp(p.x()))

    def request_at(self, x: float, y: float | None = None) -> None:
        """The click path in data coordinates (tests use it)."""
        if y is not None and (tid := self.row_at(y)) is not None:
            self.object_selected.emit(tid)
        self.frame_requested.emit(self._clamp(x))
