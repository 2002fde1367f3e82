"""The timeline: one row per object with keyframes, tracked/interpolated/absent spans and the
tracker's confidence strip, plus a frame cursor. Clicking or dragging the cursor seeks.

Row k spans y in [k, k+1) (row 0 on top): provenance bars in the upper part, the confidence strip
(red = 0, yellow = 0.5, green = 1) below them, flags for low-confidence frames (red) and boxes
moved by the last re-track (orange) on top.

Each row is one graphics item (`_RowItem`: bars, markers, strip), placed at its row and redrawn
only when that object's row changes: an edit redraws one row, whatever the project's size. The row
item keeps its rendering in a device-coordinate cache, so moving the frame cursor over it (once per
frame while a run is followed) blits the cache instead of drawing the row again.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
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


_KEY_PEN = pg.mkPen("#ffffff", width=1)
_NO_PEN = pg.mkPen(None)
_FLAG_BRUSH = pg.mkBrush("#ff4d4d")
_MOVED_BRUSH = pg.mkBrush("#ff9f1a")
_KEY_Y = (BAR[0] + BAR[1]) / 2  # keyframe diamonds, mid-bar
_MARK_Y = 0.08  # low-confidence flags and moved marks, at the top of the row
_PAD_PX = 8.0  # the markers' reach beyond their point, in screen pixels (diamond 9 + pen)
_SYMBOLS: dict[tuple, QtGui.QImage] = {}


def _symbol(symbol: str, size: int, pen: QtGui.QPen, brush: QtGui.QBrush) -> QtGui.QImage:
    """The marker as pyqtgraph's scatter draws it (its own rendering, centred on the point)."""
    key = (symbol, size, pen.color().name(QtGui.QColor.NameFormat.HexArgb), pen.style(),
           brush.color().name(QtGui.QColor.NameFormat.HexArgb))
    image = _SYMBOLS.get(key)
    if image is None:
        image = _SYMBOLS[key] = renderSymbol(symbol, size, pen, brush)
    return image


class _RowItem(pg.GraphicsObject):
    """One object's row in row coordinates (y in [0, 1), x in frames), placed at its row with
    ``setPos(0, k)``: provenance bars, then the markers (keyframe diamonds, low-confidence flags,
    moved marks; fixed size on screen), then the confidence strip. Kept in a device-coordinate
    cache: drawn again only when the row changes or the view zooms, blitted otherwise. Rows lower
    down lie under the rows above them (z = -k), so a row's strip covers the markers of the row
    below that reach into it, as when all strips lay over all markers."""

    def __init__(self):
        super().__init__()
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._bars: list[tuple[QtCore.QRectF, QtGui.QBrush]] = []
        self._marks: list[tuple[float, float, QtGui.QImage]] = []
        self._strip: QtGui.QImage | None = None
        self._strip_rgba: np.ndarray | None = None  # the QImage's buffer
        self._strip_rect = QtCore.QRectF()
        self._core = QtCore.QRectF()  # bars, strip and marker points, without the markers' reach
        self._rect: QtCore.QRectF | None = None  # with it, for the view's current scale
        self.paints = 0  # times drawn (into the cache or the view; tests)

    def set_row(self, row: TimelineRow) -> None:
        base = QtGui.QColor(row.color)
        bars, marks = [], []
        for span in row.spans:
            rect = QtCore.QRectF(span.start - 0.5, BAR[0], span.stop - span.start + 1.0, BAR[1] - BAR[0])
            if span.kind is Provenance.ABSENT:
                bars.append((rect, pg.mkBrush("#5a5a5a")))
            else:
                c = QtGui.QColor(base)
                c.setAlpha(_ALPHA[span.kind])
                bars.append((rect, pg.mkBrush(c)))
        key = _symbol("d", 9, _KEY_PEN, pg.mkBrush(base))
        marks += [(span.start, _KEY_Y, key) for span in row.spans if span.kind is Provenance.KEYFRAME]
        flag = _symbol("t", 7, _NO_PEN, _FLAG_BRUSH)
        marks += [(f, _MARK_Y, flag) for f in row.low_frames]
        moved = _symbol("t1", 7, _NO_PEN, _MOVED_BRUSH)
        marks += [(f, _MARK_Y, moved) for f in row.moved_frames]
        n = len(row.scores)
        self._strip_rgba = np.ascontiguousarray(_confidence_rgba(row.scores)[0]) if n else None
        self._strip = (QtGui.QImage(self._strip_rgba.data, n, 1, 4 * n, QtGui.QImage.Format.Format_RGBA8888)
                       if n else None)
        self._strip_rect = QtCore.QRectF(-0.5, STRIP[0], n, STRIP[1] - STRIP[0])
        core = self._strip_rect if n else QtCore.QRectF()
        for rect, _ in bars:
            core = core.united(rect)
        for x, y, _ in marks:
            core = core.united(QtCore.QRectF(x, y, 1e-9, 1e-9))  # (a rect of no size would be ignored)
        self.prepareGeometryChange()
        self._bars, self._marks, self._core, self._rect = bars, marks, core, None
        self.update()

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()
        self.prepareGeometryChange()  # the markers' reach in row coordinates changes with the zoom
        self._rect = None

    def boundingRect(self) -> QtCore.QRectF:
        if self._rect is None:
            if not self._marks:
                self._rect = QtCore.QRectF(self._core)
            else:
                px, py = self.pixelVectors()
                dx = abs(px.x()) * _PAD_PX if px is not None else 0.0
                dy = abs(py.y()) * _PAD_PX if py is not None else 0.0
                self._rect = self._core.adjusted(-dx, -dy, dx, dy)
        return self._rect

    def paint(self, p: QtGui.QPainter, *args) -> None:
        self.paints += 1
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        for rect, brush in self._bars:
            p.setBrush(brush)
            p.drawRect(rect)
        if self._marks:
            transform = p.transform()
            p.save()
            p.resetTransform()  # markers have a fixed size on screen (as pyqtgraph's scatter draws them)
            for x, y, image in self._marks:
                c = transform.map(QtCore.QPointF(x, y))
                p.drawImage(QtCore.QPointF(c.x() - image.width() / 2, c.y() - image.height() / 2), image)
            p.restore()
        if self._strip is not None:
            p.drawImage(self._strip_rect, self._strip)


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    return a is b or (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))


class _Row:
    """What one row shows now and the item that shows it."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.item = _RowItem()
        plot.addItem(self.item)
        self.shown: TimelineRow | None = None
        self.k: int | None = None

    def show(self, row: TimelineRow, k: int) -> bool:
        """Update the item to ``row`` at row ``k``; whether it was redrawn."""
        old = self.shown
        self.shown = row
        if self.k != k:
            self.k = k
            self.item.setPos(0, k)
            self.item.setZValue(-k)
        same = (old is not None and old.color == row.color and old.spans == row.spans
                and old.low_frames == row.low_frames and old.moved_frames == row.moved_frames
                and _same_array(old.scores, row.scores))
        if not same:
            self.item.set_row(row)
        return not same

    def remove(self) -> None:
        self.plot.removeItem(self.item)


MIN_ROW_HEIGHT = 16  # pixels per object row: the row's caption stays readable (the dock scrolls beyond)
AXIS_HEIGHT = 48  # the frame axis and margins


class TimelineView(pg.PlotWidget):
    """Signals: frame_requested(int), object_selected(int track_id). Its minimum height grows with the
    number of rows (``MIN_ROW_HEIGHT`` each); inside a scroll area, many objects scroll instead of
    squeezing their captions on top of each other."""

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
        self.selection = QtWidgets.QGraphicsRectItem()
        self.selection.setBrush(pg.mkBrush(255, 255, 255, 18))
        self.selection.setPen(pg.mkPen(None))
        self.selection.setZValue(-1e9)  # under every row (rows have z = -k)
        self.selection.hide()
        plot.addItem(self.selection)
        self._rows: dict[int, _Row] = {}  # per track id
        self._ticks: list[tuple[float, str]] | None = None
        self._selected_row: int | None = None
        self.row_updates: list[int] = []  # track ids whose row was redrawn, in order (tests)
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
        if self._selected_row is not None:
            self.selection.setRect(QtCore.QRectF(-0.5, self._selected_row, self.frame_count, 1))
        self._update_y_range()

    def _update_y_range(self) -> None:
        rows = max(1, len(self.rows))
        self.setMinimumHeight(max(90, AXIS_HEIGHT + MIN_ROW_HEIGHT * rows))
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
        """Show ``rows`` (one per object, top to bottom). Only the rows whose content changed are
        redrawn; the others keep their items (moved when rows above them come or go)."""
        count_changed = len(rows) != len(self.rows)
        self.rows = rows
        wanted = {row.track_id for row in rows}
        for tid in [t for t in self._rows if t not in wanted]:
            self._rows.pop(tid).remove()
        for k, row in enumerate(rows):
            item = self._rows.get(row.track_id)
            if item is None:
                item = self._rows[row.track_id] = _Row(self.getPlotItem())
            if item.show(row, k):
                self.row_updates.append(row.track_id)
        ticks = [(k + 0.5, r.caption) for k, r in enumerate(rows)]
        if ticks != self._ticks:
            self._ticks = ticks
            self.getPlotItem().getAxis("left").setTicks([ticks, []])
        selected = next((k for k, r in enumerate(rows) if r.selected), None)
        if selected != self._selected_row or count_changed:
            self._selected_row = selected
            if selected is not None:
                self.selection.setRect(QtCore.QRectF(-0.5, selected, self.frame_count, 1))
                self.selection.show()
            else:
                self.selection.hide()
        if count_changed:
            self._update_y_range()

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
