"""Every question and message box the window shows, behind one object so tests can answer them.

Tests pass a `Prompts` subclass (or monkeypatch methods) that returns scripted answers and
records what was asked; the real one uses QMessageBox and QFileDialog.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from tracker.video import VIDEO_EXTENSIONS

__all__ = ["Prompts", "OPEN_FILTER"]

_video_globs = " ".join(f"*{e}" for e in VIDEO_EXTENSIONS)
OPEN_FILTER = f"Videos and projects ({_video_globs} *.json);;Projects (*.json);;All files (*)"

MB = QtWidgets.QMessageBox


class Prompts:
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self.parent = parent

    def error(self, title: str, text: str, details: str = "") -> None:
        box = MB(MB.Icon.Critical, title, text, MB.StandardButton.Ok, self.parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def info(self, title: str, text: str) -> None:
        MB.information(self.parent, title, text)

    def ask_save_changes(self, name: str) -> str:
        """'save' | 'discard' | 'cancel'."""
        answer = MB.question(
            self.parent, "Unsaved changes", f"Save the changes to {name} before closing?",
            MB.StandardButton.Save | MB.StandardButton.Discard | MB.StandardButton.Cancel,
            MB.StandardButton.Save)
        return {MB.StandardButton.Save: "save", MB.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def ask_recover(self, description: str, other_document: bool) -> str:
        """'recover' | 'discard' | 'later' (only offered for another document) | 'cancel'."""
        box = MB(self.parent)
        box.setIcon(MB.Icon.Warning)
        box.setWindowTitle("Recover unsaved work")
        box.setText(f"Unsaved work was found: {description}.\n\n"
                    "It was autosaved after the last edit and is newer than the project file.")
        recover = box.addButton("Recover", MB.ButtonRole.AcceptRole)
        discard = box.addButton("Discard it", MB.ButtonRole.DestructiveRole)
        later = box.addButton("Not now", MB.ButtonRole.RejectRole) if other_document else None
        if not other_document:
            box.addButton("Cancel", MB.ButtonRole.RejectRole)
        box.setDefaultButton(recover)
        box.exec()
        clicked = box.clickedButton()
        if clicked is recover:
            return "recover"
        if clicked is discard:
            return "discard"
        return "later" if clicked is later and later is not None else "cancel"

    def locate_video(self, missing: Path, start_dir: str) -> Path | None:
        answer = MB.warning(
            self.parent, "Video not found",
            f"The project's video was not found:\n{missing}\n\nIt may have been moved or renamed. "
            "Locate it? (The project file is not changed until you save.)",
            MB.StandardButton.Open | MB.StandardButton.Cancel, MB.StandardButton.Open)
        if answer != MB.StandardButton.Open:
            return None
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.parent, f"Locate {missing.name}", start_dir,
                                                        OPEN_FILTER)
        return Path(path) if path else None

    def confirm(self, title: str, text: str) -> bool:
        answer = MB.question(self.parent, title, text, MB.StandardButton.Yes | MB.StandardButton.No,
                             MB.StandardButton.No)
        return answer == MB.StandardButton.Yes

    def open_path(self, start_dir: str) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.parent, "Open video or project", start_dir,
                                                        OPEN_FILTER)
        return Path(path) if path else None

    def open_folder(self, start_dir: str) -> Path | None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self.parent, "Open a folder of frames", start_dir)
        return Path(path) if path else None

    def save_path(self, suggested: Path, title: str = "Save project", file_filter: str = "Projects (*.json)"
                  ) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.parent, title, str(suggested), file_filter)
        return Path(path) if path else None

    def text_list(self, title: str, label: str, items: list[str]) -> list[str] | None:
        text, ok = QtWidgets.QInputDialog.getMultiLineText(self.parent, title, label, "\n".join(items))
        return [line.strip() for line in text.splitlines() if line.strip()] if ok else None

    def choose(self, title: str, label: str, items: list[str]) -> str | None:
        item, ok = QtWidgets.QInputDialog.getItem(self.parent, title, label, items, 0, False)
        return item if ok else None

    def pick_label(self, labels: list[str], default: str, near=None) -> str:
        """The label for a new object: the picker (app.dialogs.label_picker) at the global point
        ``near`` (a QPoint, or centred on the window); the default after Esc."""
        from .dialogs.label_picker import LabelPicker

        picker = LabelPicker(labels, default, self.parent)
        if near is not None:
            picker.move(near)
        picker.exec()
        return picker.chosen
