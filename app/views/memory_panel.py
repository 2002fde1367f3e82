"""The memory panel: one card per slot (the image last written into it, its source frame, read weight
and usage on this frame, pin/evict buttons), bar charts of the read and write weights with the
allocation choice, and the memory edits of the selected object (freeze writes over a frame range,
replace the initial template, remove an edit).

Shows a `MemoryView` (app.core.memory_model); user actions leave as signals.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.memory_model import MemoryView, SlotCard

__all__ = ["MemoryPanel", "SlotCardWidget"]

READ_COLOR = "#4da3ff"
WRITE_COLOR = "#f5a142"
DOMINANT_COLOR = "#5ad17a"
ALLOC_COLOR = "#f5a142"
PIN_COLOR = "#e0c341"
CROP_SIDE = 64
NO_SOURCE_TIP = ("The engine names a slot's source frame when a write replaces at least half of the slot; "
                 "this slot has had only partial writes (or none) since it was last emptied.")


def _pixmap(crop: np.ndarray | None, side: int = CROP_SIDE) -> QtGui.QPixmap:
    if crop is None:
        pm = QtGui.QPixmap(side, side)
        pm.fill(QtGui.QColor("#26282c"))
        p = QtGui.QPainter(pm)
        p.setPen(QtGui.QColor("#6f7278"))
        p.drawText(pm.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, "no full\nwrite")
        p.end()
        return pm
    a = np.ascontiguousarray(crop)
    h, w = a.shape[:2]
    image = QtGui.QImage(a.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
    return QtGui.QPixmap.fromImage(image).scaled(side, side, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                 QtCore.Qt.TransformationMode.SmoothTransformation)


class SlotCardWidget(QtWidgets.QFrame):
    pin_clicked = QtCore.Signal(int)
    evict_clicked = QtCore.Signal(int)

    def __init__(self, slot: int, parent=None):
        super().__init__(parent)
        self.slot = slot
        self.card: SlotCard | None = None
        self.setObjectName("slotCard")
        self.image = QtWidgets.QLabel()
        self.image.setFixedSize(CROP_SIDE, CROP_SIDE)
        self.image.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.title = QtWidgets.QLabel(f"<b>Slot {slot}</b>")
        self.badges = QtWidgets.QLabel("")
        self.badges.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.badges.setWordWrap(True)
        self.source = QtWidgets.QLabel("")
        self.values = QtWidgets.QLabel("")
        for label in (self.source, self.values, self.badges):
            label.setStyleSheet("font-size: 11px;")
        self.setMinimumWidth(84)
        self.pin = QtWidgets.QToolButton()
        self.pin.setText("Pin")
        self.evict = QtWidgets.QToolButton()
        self.evict.setText("Evict")
        for b in (self.pin, self.evict):
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            b.setStyleSheet("QToolButton { padding: 1px 6px; font-size: 11px; }")
        self.pin.clicked.connect(lambda: self.pin_clicked.emit(self.slot))
        self.evict.clicked.connect(lambda: self.evict_clicked.emit(self.slot))
        top = QtWidgets.QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.title)
        top.addStretch(1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.pin)
        buttons.addWidget(self.evict)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(5, 4, 5, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.image, 0, QtCore.Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.source)
        layout.addWidget(self.values)
        layout.addWidget(self.badges)
        layout.addLayout(buttons)
        self.show_card(None, False)

    def show_card(self, card: SlotCard | None, editable: bool) -> None:
        self.card = card
        if card is None:
            self.image.setPixmap(_pixmap(None))
            self.source.setText("")
            self.values.setText("")
            self.badges.setText("")
            self._border("#3a3c41")
            self.pin.setEnabled(False)
            self.evict.setEnabled(False)
            return
        self.image.setPixmap(_pixmap(card.crop))
        self.source.setText("no source" if card.source is None else f"frame {card.source}")
        self.source.setToolTip(NO_SOURCE_TIP if card.source is None else
                               f"The appearance of frame {card.source} was last written into this slot")
        self.values.setText(f"read {card.read:.3f}\nuse {card.usage:.2f}")
        self.values.setToolTip(f"read weight on this frame {card.read:.4f}; write weight {card.write:.4f}; "
                               f"usage {card.usage:.3f}")
        badges = []
        if card.pinned:
            badges.append(f"<span style='color:{PIN_COLOR}'>pinned</span>")
        if card.dominant:
            badges.append(f"<span style='color:{DOMINANT_COLOR}'>top read</span>")
        if card.allocated:
            badges.append(f"<span style='color:{ALLOC_COLOR}'>allocated</span>")
        for kind in card.pending:
            badges.append(f"<i>{kind} pending</i>")
        self.badges.setText("<br>".join(badges) or "&nbsp;")
        self.pin.setText("Unpin" if card.pinned else "Pin")
        self.pin.setEnabled(editable)
        self.evict.setEnabled(editable)
        self._border(PIN_COLOR if card.pinned else DOMINANT_COLOR if card.dominant else "#3a3c41")

    def _border(self, color: str) -> None:
        self.setStyleSheet(f"#slotCard {{ border: 1px solid {color}; border-radius: 4px; "
                           "background: #25272b; }")


class MemoryPanel(QtWidgets.QWidget):
    """Signals: pin_clicked(slot), evict_clicked(slot), freeze_requested(first, last),
    retemplate_requested(), remove_edit_requested(index in the object's edit list)."""

    pin_clicked = QtCore.Signal(int)
    evict_clicked = QtCore.Signal(int)
    freeze_requested = QtCore.Signal(int, int)
    retemplate_requested = QtCore.Signal()
    remove_edit_requested = QtCore.Signal(int)

    CARD_WIDTH = 118  # the width a card needs for its image and its Pin / Evict buttons

    def __init__(self, slots: int = 8, parent=None):
        super().__init__(parent)
        self.view: MemoryView | None = None
        self.title = QtWidgets.QLabel("")
        self.title.setStyleSheet("font-weight: bold;")
        self.title.setWordWrap(True)
        self.detail = QtWidgets.QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: #b8bbc2; font-size: 11px;")
        self.cards = [SlotCardWidget(j) for j in range(slots)]
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(4)
        self._grid, self.columns = grid, 4
        for j, card in enumerate(self.cards):
            grid.addWidget(card, j // 4, j % 4)
            card.pin_clicked.connect(self.pin_clicked)
            card.evict_clicked.connect(self.evict_clicked)
        self.bars = pg.PlotWidget(background="#1f2023")
        self.bars.setMinimumHeight(120)
        self.bars.setMaximumHeight(170)
        plot = self.bars.getPlotItem()
        plot.setMouseEnabled(False, False)
        plot.hideButtons()
        plot.setYRange(0, 1, padding=0.02)
        plot.getAxis("bottom").setTicks([[(j, str(j)) for j in range(slots)]])
        plot.getAxis("left").setWidth(34)
        self.read_bars = pg.BarGraphItem(x=np.arange(slots) - 0.18, height=np.zeros(slots), width=0.34,
                                         brush=READ_COLOR, pen=None)
        self.write_bars = pg.BarGraphItem(x=np.arange(slots) + 0.18, height=np.zeros(slots), width=0.34,
                                          brush=WRITE_COLOR, pen=None)
        self.alloc_marker = pg.ScatterPlotItem(size=11, symbol="t", brush=ALLOC_COLOR, pen=None)
        for item in (self.read_bars, self.write_bars, self.alloc_marker):
            plot.addItem(item)
        self.bars_legend = QtWidgets.QLabel(
            f"<span style='color:{READ_COLOR}'>\u25a0</span> read weight &nbsp; "
            f"<span style='color:{WRITE_COLOR}'>\u25a0</span> write weight (applied to this frame's "
            f"appearance at the next step) &nbsp; <span style='color:{ALLOC_COLOR}'>\u25bc</span> allocation")
        self.bars_legend.setWordWrap(True)
        self.bars_legend.setStyleSheet("color: #b8bbc2; font-size: 11px;")
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #f0b429;")

        self.freeze_first = QtWidgets.QSpinBox()
        self.freeze_last = QtWidgets.QSpinBox()
        for spin in (self.freeze_first, self.freeze_last):
            spin.setRange(0, 10**7)
            spin.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        self.freeze_button = QtWidgets.QPushButton("Freeze writes")
        self.freeze_button.setToolTip("Keep the appearance of these frames out of memory (e.g. an occlusion)")
        self.freeze_button.clicked.connect(
            lambda: self.freeze_requested.emit(self.freeze_first.value(), self.freeze_last.value()))
        self.retemplate_button = QtWidgets.QPushButton("Replace initial template with this box")
        self.retemplate_button.setToolTip("The appearance in the object's box on this frame becomes the "
                                          "tracker's initial template from here on")
        self.retemplate_button.clicked.connect(self.retemplate_requested)
        self.edit_list = QtWidgets.QListWidget()
        self.edit_list.setMaximumHeight(90)
        self.remove_button = QtWidgets.QPushButton("Remove edit")
        self.remove_button.clicked.connect(self._remove_selected)
        for b in (self.freeze_button, self.retemplate_button, self.remove_button):
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        freeze = QtWidgets.QHBoxLayout()
        freeze.addWidget(QtWidgets.QLabel("Frames"))
        freeze.addWidget(self.freeze_first)
        freeze.addWidget(QtWidgets.QLabel("to"))
        freeze.addWidget(self.freeze_last)
        freeze.addStretch(1)
        edits_box = QtWidgets.QGroupBox("Memory edits (undoable)")  # short: a long title widens the dock
        edits_box.setToolTip("Memory edits are undoable and applied when tracking passes their frame")
        eb = QtWidgets.QVBoxLayout(edits_box)
        eb.setContentsMargins(6, 4, 6, 4)
        eb.addLayout(freeze)
        eb.addWidget(self.freeze_button)  # on its own line, so a narrow dock does not cut the cards
        eb.addWidget(self.retemplate_button)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.edit_list, 1)
        row.addWidget(self.remove_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        eb.addLayout(row)

        inner = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(inner)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(5)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.message)
        layout.addLayout(grid)
        layout.addWidget(self.bars)
        layout.addWidget(self.bars_legend)
        layout.addWidget(edits_box)
        layout.addStretch(1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.show_view(MemoryView("Memory", message="Select a tracked object."))

    def reflow(self, width: int) -> None:
        """As many card columns (2 to 4) as ``width`` pixels hold, so no card is cut at the edge."""
        columns = max(2, min(4, (width - 24) // self.CARD_WIDTH))
        if columns == self.columns:
            return
        self.columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        for j, card in enumerate(self.cards):
            self._grid.addWidget(card, j // columns, j % columns)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self.reflow(event.size().width())

    def show_view(self, view: MemoryView) -> None:
        self.view = view
        self.title.setText(view.title)
        self.detail.setText(view.detail)
        self.detail.setVisible(bool(view.detail))
        self.message.setText(view.message)
        self.message.setVisible(bool(view.message))
        cards = {c.slot: c for c in view.cards}
        for widget in self.cards:
            widget.show_card(cards.get(widget.slot), view.editable)
        n = len(self.cards)
        read = np.array([cards[j].read if j in cards else 0.0 for j in range(n)])
        write = np.array([cards[j].write if j in cards else 0.0 for j in range(n)])
        self.read_bars.setOpts(height=read)
        self.write_bars.setOpts(height=write)
        alloc = [c.slot for c in view.cards if c.allocated]
        top = max(float(read.max(initial=0)), float(write.max(initial=0)))
        self.bars.getPlotItem().setYRange(0, max(0.2, top * 1.25), padding=0)
        self.alloc_marker.setData(alloc, [max(0.2, top * 1.25) * 0.93] * len(alloc))
        self.edit_list.clear()
        self.edit_list.addItems(list(view.edits))
        self.remove_button.setEnabled(view.editable and bool(view.edits))
        self.freeze_button.setEnabled(view.editable)
        self.retemplate_button.setEnabled(view.editable)
        self.retemplate_button.setText("Replace initial template with this box"
                                       + ("  (pending)" if view.pending_retemplate else ""))

    def set_freeze_range(self, first: int, last: int, maximum: int) -> None:
        """Default range for the freeze row (only when the user is not editing it)."""
        for spin in (self.freeze_first, self.freeze_last):
            spin.setMaximum(max(0, maximum))
        if not (self.freeze_first.hasFocus() or self.freeze_last.hasFocus()):
            self.freeze_first.setValue(first)
            self.freeze_last.setValue(last)

    def _remove_selected(self) -> None:
        row = self.edit_list.currentRow()
        if row >= 0:
            self.remove_edit_requested.emit(row)
