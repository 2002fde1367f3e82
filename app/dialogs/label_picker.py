"""The label picker shown after a new object is drawn (as CVAT and labelme do).

A text field holding the default label (selected, so typing replaces it) over the project's labels
filtered by what is typed (case-insensitive, anywhere in the label). Up / Down move through the
list; Enter takes the highlighted label, or the typed text when it matches none (a new label) or
when Shift is held; a click on a label takes it. Esc keeps the default.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["LabelPicker"]


class LabelPicker(QtWidgets.QDialog):
    """`chosen` is the label picked once the dialog closed (the default after Esc)."""

    def __init__(self, labels: list[str], default: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Label of the new object")
        self.labels, self.default = list(labels), default
        self.chosen = default
        self.edit = QtWidgets.QLineEdit(default)
        self.edit.setPlaceholderText("type to filter, or a new label")
        self.edit.selectAll()
        self.list = QtWidgets.QListWidget()
        self.list.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.list.setMaximumHeight(160)
        self.hint = QtWidgets.QLabel(f"Enter: use the label  \u00b7  Esc: keep \u201c{default}\u201d")
        self.hint.setStyleSheet("color: palette(mid);")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        self.edit.textEdited.connect(self._filter)
        self.edit.installEventFilter(self)
        self.list.itemClicked.connect(lambda item: self._take(item.text()))
        self._filter("")
        self._highlight(default)
        self.resize(260, self.sizeHint().height())

    def visible_labels(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def highlighted(self) -> str | None:
        item = self.list.currentItem()
        return item.text() if item is not None else None

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        self.list.clear()
        self.list.addItems([label for label in self.labels if needle in label.casefold()])
        if self.list.count():
            self.list.setCurrentRow(0)

    def _highlight(self, label: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).text() == label:
                self.list.setCurrentRow(i)
                return

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() == QtCore.QEvent.Type.KeyPress:
            key = event.key()
            if key in (QtCore.Qt.Key.Key_Up, QtCore.Qt.Key.Key_Down) and self.list.count():
                row = self.list.currentRow() + (1 if key == QtCore.Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
            if key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
                self._enter(bool(event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier))
                return True
        return super().eventFilter(obj, event)

    def _enter(self, as_typed: bool) -> None:
        text = self.edit.text().strip()
        exact = next((label for label in self.labels if label.casefold() == text.casefold()), None)
        if as_typed or exact is not None or self.highlighted() is None:
            self._take(exact or text or self.default)
        else:
            self._take(self.highlighted())

    def _take(self, label: str) -> None:
        self.chosen = label
        self.accept()

    def reject(self) -> None:  # Esc: the default, shown in the field when the picker opened
        self.chosen = self.default
        super().reject()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self._enter(False)
            return
        super().keyPressEvent(event)
