"""The object list: colour, track id, label (from the editable label list), shown and locked
toggles and a summary per object; buttons to add an object, delete a track and edit the label
list. Rows are compact (one line of text) so that a 1366x768 window lists at least 8 objects."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.view_models import ObjectRow

__all__ = ["ObjectPanel", "ObjectRow"]


class ObjectPanel(QtWidgets.QWidget):
    """Signals:
        selection_changed(list track_ids), label_changed(int, str), color_changed(int, str),
        new_requested(), delete_requested(list track_ids), labels_requested(), absent_requested(),
        hidden_changed(int, bool), locked_changed(int, bool) (the row's toggles were clicked)
    """

    selection_changed = QtCore.Signal(list)
    label_changed = QtCore.Signal(int, str)
    color_changed = QtCore.Signal(int, str)
    new_requested = QtCore.Signal()
    delete_requested = QtCore.Signal(list)
    labels_requested = QtCore.Signal()
    absent_requested = QtCore.Signal()
    hidden_changed = QtCore.Signal(int, bool)
    locked_changed = QtCore.Signal(int, bool)

    COLUMNS = ("", "ID", "Label", "Show", "Lock", "This frame", "Track")
    SHOW, LOCK, ON_FRAME, SUMMARY = 3, 4, 5, 6

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QtWidgets.QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay window shortcuts
        self.table.setWordWrap(False)  # one line per row; the full summary is in the tooltip
        self.row_height = self.fontMetrics().height() + 6  # one line of text: many rows fit a small screen
        rows = self.table.verticalHeader()
        rows.setMinimumSectionSize(self.row_height)
        rows.setDefaultSectionSize(self.row_height)
        rows.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.table.itemChanged.connect(self._on_item_changed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.cellDoubleClicked.connect(self._on_double_click)
        self.new_button = QtWidgets.QPushButton("New object")
        self.new_button.setToolTip("Add an object; then drag on the frame to draw its box")
        self.delete_button = QtWidgets.QPushButton("Delete track")
        self.absent_button = QtWidgets.QPushButton("Absent here")
        self.absent_button.setToolTip("Mark the selected object as not visible on this frame")
        self.labels_button = QtWidgets.QPushButton("Labels\u2026")
        for b in (self.new_button, self.delete_button, self.absent_button, self.labels_button):
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.new_button.clicked.connect(self.new_requested.emit)
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.selected()))
        self.absent_button.clicked.connect(self.absent_requested.emit)
        self.labels_button.clicked.connect(self.labels_requested.emit)
        buttons = QtWidgets.QHBoxLayout()  # one row: the list keeps the height
        buttons.setSpacing(4)
        for b in (self.new_button, self.delete_button, self.absent_button, self.labels_button):
            b.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
            buttons.addWidget(b)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._rows: list[ObjectRow] = []
        self._labels: list[str] = []
        self._updating = False
        self._selection_shown: list[int] | None = None  # track ids selected in the table (None: unknown)

    def selected(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self._rows[r].track_id for r in rows if r < len(self._rows)]

    def set_objects(self, rows: list[ObjectRow], labels: list[str], selected: list[int]) -> None:
        structure = ([(r.track_id, r.label, r.color, r.hidden, r.locked) for r in rows] !=
                     [(r.track_id, r.label, r.color, r.hidden, r.locked) for r in self._rows]
                     or labels != self._labels)
        self._updating = True
        try:
            if structure:
                self._rebuild(rows, labels)
            else:
                for k, (row, old) in enumerate(zip(rows, self._rows)):
                    if row.on_frame != old.on_frame:
                        self.table.item(k, self.ON_FRAME).setText(row.on_frame)
                    if row.summary != old.summary:
                        self.table.item(k, self.SUMMARY).setText(row.summary)
                        self.table.item(k, self.SUMMARY).setToolTip(row.summary)
            self._rows, self._labels = list(rows), list(labels)
            self._select(selected)
        finally:
            self._updating = False

    def _rebuild(self, rows: list[ObjectRow], labels: list[str]) -> None:
        self._selection_shown = None
        self.table.setRowCount(len(rows))
        for k, row in enumerate(rows):
            swatch = QtWidgets.QTableWidgetItem()
            swatch.setBackground(QtGui.QColor(row.color))
            swatch.setToolTip("Double-click to change the colour")
            self.table.setItem(k, 0, swatch)
            ident = QtWidgets.QTableWidgetItem(f"#{row.track_id}")
            self.table.setItem(k, 1, ident)
            self.table.setItem(k, 2, QtWidgets.QTableWidgetItem(""))
            combo = QtWidgets.QComboBox()
            combo.addItems(labels if row.label in labels else labels + [row.label])
            combo.setCurrentText(row.label)
            combo.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            combo.setMaximumHeight(self.row_height)
            combo.currentTextChanged.connect(
                lambda text, tid=row.track_id: None if self._updating else self.label_changed.emit(tid, text))
            self.table.setCellWidget(k, 2, combo)
            for column, on, tip in ((self.SHOW, not row.hidden, "Uncheck to hide the object's boxes (H)"),
                                    (self.LOCK, row.locked, "Check to lock the object's boxes against edits (L)")):
                toggle = QtWidgets.QTableWidgetItem()
                toggle.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsUserCheckable
                                | QtCore.Qt.ItemFlag.ItemIsSelectable)
                toggle.setCheckState(QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked)
                toggle.setToolTip(tip)
                self.table.setItem(k, column, toggle)
            self.table.setItem(k, self.ON_FRAME, QtWidgets.QTableWidgetItem(row.on_frame))
            summary = QtWidgets.QTableWidgetItem(row.summary)
            summary.setToolTip(row.summary)
            self.table.setItem(k, self.SUMMARY, summary)
        self.table.setColumnWidth(0, 18)

    def _select(self, selected: list[int]) -> None:
        wanted = [row.track_id for row in self._rows if row.track_id in selected]
        if wanted == self._selection_shown:
            return  # already so: reselecting would repaint the table (every displayed frame)
        self._selection_shown = wanted
        model = self.table.selectionModel()
        self.table.blockSignals(True)
        self.table.clearSelection()
        flags = (QtCore.QItemSelectionModel.SelectionFlag.Select
                 | QtCore.QItemSelectionModel.SelectionFlag.Rows)
        for k, row in enumerate(self._rows):
            if row.track_id in selected:
                model.select(self.table.model().index(k, 0), flags)
        self.table.blockSignals(False)

    def _on_selection(self) -> None:
        self._selection_shown = None  # the user's clicks changed it
        if not self._updating:
            self.selection_changed.emit(self.selected())

    def toggle(self, track_id: int, column: int) -> QtWidgets.QTableWidgetItem | None:
        """The Show (``SHOW``) or Lock (``LOCK``) check box of an object's row."""
        for k, row in enumerate(self._rows):
            if row.track_id == track_id:
                return self.table.item(k, column)
        return None

    def _on_item_changed(self, item: QtWidgets.QTableWidgetItem) -> None:
        if self._updating or item.column() not in (self.SHOW, self.LOCK) or item.row() >= len(self._rows):
            return
        row = self._rows[item.row()]
        checked = item.checkState() == QtCore.Qt.CheckState.Checked
        if item.column() == self.SHOW and checked == row.hidden:
            self.hidden_changed.emit(row.track_id, not checked)
        elif item.column() == self.LOCK and checked != row.locked:
            self.locked_changed.emit(row.track_id, checked)

    def _on_double_click(self, row: int, column: int) -> None:
        if column != 0 or row >= len(self._rows):
            return
        current = QtGui.QColor(self._rows[row].color)
        color = QtWidgets.QColorDialog.getColor(current, self, "Object colour")
        if color.isValid():
            self.color_changed.emit(self._rows[row].track_id, color.name())
