"""File > Export / Import: pick a format (with its description), a path and the options."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

__all__ = ["FormatDialog"]


class FormatDialog(QtWidgets.QDialog):
    """``formats``: name -> description. ``folder_formats``: names whose path is a folder.
    ``frame_formats``: names that can also write the frames (export only; empty for import)."""

    def __init__(self, title: str, formats: dict[str, str], folder_formats: tuple[str, ...],
                 frame_formats: tuple[str, ...], suggested: Path, saving: bool, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._folders, self._frames, self._saving = folder_formats, frame_formats, saving
        self._suggested = suggested
        self.format = QtWidgets.QComboBox()
        for name, description in formats.items():
            self.format.addItem(f"{name} \u2014 {description}", name)
        self.path = QtWidgets.QLineEdit()
        browse = QtWidgets.QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.write_frames = QtWidgets.QCheckBox("Also write the frames as images")
        self.write_frames.setVisible(bool(frame_formats))
        form = QtWidgets.QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Path:", row)
        form.addRow("", self.write_frames)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._on_format)
        self._on_format()
        self.resize(640, 160)

    def chosen(self) -> tuple[str, Path, bool]:
        return self.format.currentData(), Path(self.path.text().strip()), self.write_frames.isChecked()

    def _on_format(self) -> None:
        name = self.format.currentData()
        self.write_frames.setEnabled(name in self._frames)
        self.write_frames.setText("Also write the frames as a video browsers play" if name == "labelstudio"
                                  else "Also write the frames as images")
        if self._saving:
            base = self._suggested
            suffix = {"coco": ".json", "cvat": ".xml", "csv": ".csv",
                      "project": ".json", "video": ".mp4", "got10k": ""}.get(name, "")
            target = base.with_name(f"{base.name}_{name}{suffix if name not in self._folders else ''}")
            self.path.setText(str(target))

    def _browse(self) -> None:
        name = self.format.currentData()
        start = self.path.text() or str(self._suggested)
        if name in self._folders and self._saving:
            path = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder", start)
        elif self._saving:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "File", start)
        else:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "File", start)
        if path:
            self.path.setText(path)
