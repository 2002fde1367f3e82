"""The review queue: flagged tracked frames, most suspicious first, with the reasons; clicking a
row (or the "next suspicious frame" key) shows that frame with its object selected."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.review_queue import ReviewItem

__all__ = ["ReviewPanel"]

COLUMNS = ("#", "Frame", "Object", "Priority", "Why")


class ReviewPanel(QtWidgets.QWidget):
    """Signals: item_activated(track_id, frame)."""

    item_activated = QtCore.Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[ReviewItem] = []
        self.summary = QtWidgets.QLabel("No tracked frames yet.")
        self.summary.setWordWrap(True)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        for c in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(c, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_clicked)
        self.buttons = QtWidgets.QHBoxLayout()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addLayout(self.buttons)
        layout.addWidget(self.table, 1)

    def add_action_buttons(self, actions: list[QtGui.QAction]) -> None:
        for a in actions:
            b = QtWidgets.QToolButton()
            b.setDefaultAction(a)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)

    def set_items(self, items: list[ReviewItem], summary: str, labels: dict[int, str]) -> None:
        self.items = list(items)
        self.summary.setText(summary)
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            values = (str(row + 1), str(item.frame), labels.get(item.track_id, f"#{item.track_id}"),
                      f"{item.priority:.2f}", "; ".join(item.reasons))
            for col, text in enumerate(values):
                cell = QtWidgets.QTableWidgetItem(text)
                if col in (0, 1, 3):
                    align = QtCore.Qt.AlignmentFlag
                    cell.setTextAlignment(align.AlignRight | align.AlignVCenter)
                self.table.setItem(row, col, cell)
        self.table.setUpdatesEnabled(True)

    def highlight(self, key: tuple[int, int] | None) -> None:
        """Select the row of (track id, frame), if listed."""
        for row, item in enumerate(self.items):
            if (item.track_id, item.frame) == key:
                self.table.selectRow(row)
                self.table.scrollToItem(self.table.item(row, 0))
                return
        self.table.clearSelection()

    def _on_clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.items):
            item = self.items[row]
            self.item_activated.emit(item.track_id, item.frame)
