"""Help > Keyboard shortcuts: every key, grouped by menu, plus the mouse gestures."""
from __future__ import annotations

from PySide6 import QtWidgets

from ..core.action_specs import shortcut_sheet

__all__ = ["ShortcutSheet", "MOUSE"]

MOUSE = (
    ("Frame", "Draw a box", "Left-drag on the image"),
    ("Frame", "Move / resize a box", "Drag the box / its handles (makes a keyframe)"),
    ("Frame", "Pan", "Ctrl+left-drag or middle-drag"),
    ("Frame", "Zoom", "Mouse wheel or right-drag"),
    ("Frame", "Fit", "Double-click"),
    ("Timeline", "Seek", "Click or drag the cursor"),
)


class ShortcutSheet(QtWidgets.QDialog):
    def __init__(self, overrides: dict[str, str], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(m, c, k) for m, c, k in shortcut_sheet(overrides)] + list(MOUSE)
        table = QtWidgets.QTableWidget(len(rows), 3)
        table.setHorizontalHeaderLabels(("Where", "Command", "Key"))
        table.verticalHeader().hide()
        table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Shortcuts can be changed in File > Settings."))
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table
        self.resize(560, 560)
