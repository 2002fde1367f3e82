"""The selected object's attention and response maps on the current frame, side by side, with the
peaks: the tracker's chosen peak (where it moved the box, a cross) and the raw response's maximum
(a circle; they differ by the cosine window, the upsampling and the scale choice)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

__all__ = ["MapsView"]


class _MapPlot:
    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, title: str, cmap: str):
        self.plot = layout.addPlot(row=row, col=col, title=title)
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get(cmap))
        self.plot.addItem(self.image)
        self.chosen = pg.ScatterPlotItem(size=13, symbol="+", pen=pg.mkPen("#ffffff", width=2), brush=None)
        self.raw = pg.ScatterPlotItem(size=11, symbol="o", pen=pg.mkPen("#ff5c5c", width=1.6), brush=None)
        self.plot.addItem(self.chosen)
        self.plot.addItem(self.raw)

    def show(self, values: np.ndarray | None, chosen: tuple[float, float] | None,
             raw: tuple[int, int] | None) -> None:
        if values is None:
            self.image.clear()
            self.chosen.setData([], [])
            self.raw.setData([], [])
            return
        v = np.asarray(values, np.float32)
        lo, hi = float(v.min()), float(v.max())
        self.image.setImage(v, levels=(lo, hi if hi > lo else lo + 1e-6))
        n = v.shape[0]
        self.plot.setRange(xRange=(0, v.shape[1]), yRange=(0, n), padding=0.02)
        # cell (row, col) covers [col, col+1) x [row, row+1) in the plot: centres at +0.5
        for marker, cell in ((self.chosen, chosen), (self.raw, raw)):
            if cell is None:
                marker.setData([], [])
            else:
                marker.setData([cell[1] + 0.5], [cell[0] + 0.5])


class MapsView(QtWidgets.QWidget):
    """``show_maps(attention, response, chosen_cell, caption)``; ``clear(reason)``.

    Signals: opacity_changed(float) when the user moves the overlay's opacity slider (0..1)."""

    opacity_changed = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#1f2023")
        self.attention = _MapPlot(self.graphics.ci, 0, 0, "Attention", "inferno")
        self.response = _MapPlot(self.graphics.ci, 0, 1, "Response", "viridis")
        self.caption = QtWidgets.QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics.setMinimumHeight(170)
        self.graphics.setMaximumHeight(260)
        legend = QtWidgets.QLabel("Each map covers the central part of the search region (dashed on the "
                                  "frame), colours stretched to the frame's range. White cross: where the "
                                  "tracker moved the box; red circle: the raw response maximum. On the frame, the attention "
                                  "is scaled on a fixed range (1 to 8 times the uniform weight); a map "
                                  "whose peak is under 1.5 times uniform is marked flat and not drawn.")
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #8a8d93; font-size: 11px;")
        self.opacity = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the attention drawn over the frame at its strongest "
                                "(8 times the uniform weight); a flat map draws nothing")
        self.opacity.setAccessibleName("Attention overlay opacity")
        self.opacity.valueChanged.connect(lambda v: self.opacity_changed.emit(v / 100.0))
        opacity_row = QtWidgets.QHBoxLayout()
        opacity_row.addWidget(QtWidgets.QLabel("Overlay opacity"))
        opacity_row.addWidget(self.opacity, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.graphics)
        layout.addWidget(self.caption)
        layout.addLayout(opacity_row)
        layout.addWidget(legend)
        layout.addStretch(1)
        # what is on screen, for tests and for anyone scripting the window
        self.shown_attention: np.ndarray | None = None
        self.shown_response: np.ndarray | None = None
        self.chosen_cell: tuple[float, float] | None = None
        self.raw_peak: tuple[int, int] | None = None
        self.clear("No tracked frame selected.")

    def show_maps(self, attention: np.ndarray, response: np.ndarray, chosen_cell: tuple[float, float] | None,
                  caption: str) -> None:
        """``chosen_cell``: (row, col) of the tracker's peak in map cells (fractional)."""
        raw = tuple(int(i) for i in np.unravel_index(int(np.argmax(response)), response.shape))
        self.attention.show(attention, chosen_cell, None)
        self.response.show(response, chosen_cell, raw)
        self.caption.setText(caption)
        self.shown_attention, self.shown_response = attention, response
        self.chosen_cell, self.raw_peak = chosen_cell, raw

    def set_opacity(self, opacity: float) -> None:
        """Show ``opacity`` (0..1) on the slider without emitting opacity_changed."""
        blocked = self.opacity.blockSignals(True)
        self.opacity.setValue(round(opacity * 100))
        self.opacity.blockSignals(blocked)

    def clear(self, reason: str) -> None:
        self.attention.show(None, None, None)
        self.response.show(None, None, None)
        self.caption.setText(reason)
        self.shown_attention = self.shown_response = None
        self.chosen_cell = self.raw_peak = None

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(380, 240)
