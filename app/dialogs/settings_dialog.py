"""File > Settings: tracking thresholds, device, checkpoint, tracker threads, frame cache, the
label picker and shortcuts."""
from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from ..core.action_specs import ACTIONS, action_text, shortcut_conflicts
from tracker.threads import AUTO, MAX_THREADS, usable_cores

from ..core.settings import DEVICES, AppSettings

__all__ = ["SettingsDialog"]


class SettingsDialog(QtWidgets.QDialog):
    """`result_settings()` gives the edited AppSettings after exec() returned Accepted."""

    def __init__(self, settings: AppSettings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self.threshold = QtWidgets.QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(settings.confidence_threshold)
        self.auto_pause = QtWidgets.QCheckBox("Pause a run when confidence falls below the threshold")
        self.auto_pause.setChecked(settings.auto_pause)
        self.jump_limit = QtWidgets.QDoubleSpinBox()
        self.jump_limit.setRange(0.0, 20.0)
        self.jump_limit.setSingleStep(0.1)
        self.jump_limit.setDecimals(1)
        self.jump_limit.setSuffix(" box sizes")
        self.jump_limit.setSpecialValueText("off")
        self.jump_limit.setToolTip("Also pause when a box's centre moves more than this in one frame "
                                   "(a snap to a look-alike); 0 turns it off")
        self.jump_limit.setValue(settings.jump_limit)
        self.moved_iou = QtWidgets.QDoubleSpinBox()
        self.moved_iou.setRange(0.05, 1.0)
        self.moved_iou.setSingleStep(0.05)
        self.moved_iou.setValue(settings.moved_iou)
        self.device = QtWidgets.QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(settings.device)
        self.weights = QtWidgets.QLineEdit(settings.weights)
        self.weights.setPlaceholderText("bundled default checkpoint")
        browse = QtWidgets.QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse)
        weights_row = QtWidgets.QHBoxLayout()
        weights_row.addWidget(self.weights, 1)
        weights_row.addWidget(browse)
        self.threads = QtWidgets.QSpinBox()  # 0 shows "Auto": chosen for the machine and its load
        self.threads.setRange(0, min(MAX_THREADS, max(64, 4 * usable_cores())))
        self.threads.setSpecialValueText("Auto")
        self.threads.setValue(0 if settings.threads == AUTO else int(settings.threads))
        self.threads.setToolTip(f"CPU threads of the tracker's math libraries. Auto: the usable cores "
                                f"({usable_cores()} here) less one for the window and less what other "
                                "processes keep busy. Applies from the next tracking run.")
        self.label_picker = QtWidgets.QCheckBox("Ask for the label of each new object (Enter accepts, Esc keeps "
                                                "the last label)")
        self.label_picker.setChecked(settings.label_picker)
        self.cache = QtWidgets.QSpinBox()
        self.cache.setRange(16, 65536)
        self.cache.setSuffix(" MB")
        self.cache.setValue(settings.cache_mb)
        form = QtWidgets.QFormLayout()
        form.addRow("Confidence threshold:", self.threshold)
        form.addRow("", self.auto_pause)
        form.addRow("Also pause on a jump over:", self.jump_limit)
        form.addRow("Re-track: moved if IoU <", self.moved_iou)
        form.addRow("Tracker device:", self.device)
        form.addRow("Tracker checkpoint:", weights_row)
        form.addRow("Tracker threads:", self.threads)
        form.addRow("Frame cache:", self.cache)
        form.addRow("New objects:", self.label_picker)
        self.keys: dict[str, QtWidgets.QKeySequenceEdit] = {}
        keys_form = QtWidgets.QFormLayout()
        for spec in ACTIONS:
            edit = QtWidgets.QKeySequenceEdit(QtGui.QKeySequence(settings.shortcuts.get(spec.id, spec.shortcut)))
            edit.keySequenceChanged.connect(lambda _seq: self._check_keys())
            self.keys[spec.id] = edit
            keys_form.addRow(spec.text.replace("&", "").rstrip("\u2026") + ":", edit)
        keys_widget = QtWidgets.QWidget()
        keys_widget.setLayout(keys_form)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(keys_widget)
        scroll.setWidgetResizable(True)
        tabs = QtWidgets.QTabWidget()
        general = QtWidgets.QWidget()
        general.setLayout(form)
        tabs.addTab(general, "General")
        tabs.addTab(scroll, "Shortcuts")
        self.note = QtWidgets.QLabel("Device, checkpoint and thread changes apply from the next tracking run.")
        self.note.setWordWrap(True)
        self.conflicts_label = QtWidgets.QLabel("")
        self.conflicts_label.setWordWrap(True)
        self.conflicts_label.setStyleSheet("color: #e5534b;")
        self.conflicts_label.hide()
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel
                                             | QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self._restore_keys)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.conflicts_label)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.ok_button = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.tabs = tabs
        self._check_keys()
        self.resize(520, 560)

    def conflicts(self) -> list[tuple[str, tuple[str, ...]]]:
        """(key, action ids) of the shortcuts more than one command would answer to."""
        return shortcut_conflicts({aid: edit.keySequence().toString() for aid, edit in self.keys.items()})

    def _check_keys(self) -> None:
        """Conflicting shortcuts are refused: listed in red, OK disabled until they are resolved."""
        found = self.conflicts()
        if found:
            lines = [f"{key}: " + ", ".join(action_text(a) for a in ids) for key, ids in found]
            self.conflicts_label.setText("These shortcuts conflict (each key can do one thing); change one "
                                         "of each:\n" + "\n".join(lines))
        self.conflicts_label.setVisible(bool(found))
        self.ok_button.setEnabled(not found)

    def accept(self) -> None:
        if self.conflicts():
            self._check_keys()
            self.tabs.setCurrentIndex(1)
            return
        super().accept()

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Tracker checkpoint", self.weights.text(),
                                                        "Checkpoints (*.safetensors *.pt *.pth);;All files (*)")
        if path:
            self.weights.setText(path)

    def _restore_keys(self) -> None:
        for spec in ACTIONS:
            if spec.id in self.keys:
                self.keys[spec.id].setKeySequence(QtGui.QKeySequence(spec.shortcut))

    def result_settings(self) -> AppSettings:
        defaults = {s.id: QtGui.QKeySequence(s.shortcut).toString() for s in ACTIONS}
        overrides = {}
        for action_id, edit in self.keys.items():
            key = edit.keySequence().toString()
            if key != defaults[action_id]:
                overrides[action_id] = key
        return self._settings.with_changes(
            confidence_threshold=round(self.threshold.value(), 2), auto_pause=self.auto_pause.isChecked(),
            jump_limit=round(self.jump_limit.value(), 1),
            moved_iou=round(self.moved_iou.value(), 2), device=self.device.currentText(),
            weights=self.weights.text().strip(), cache_mb=self.cache.value(), shortcuts=overrides,
            threads=AUTO if self.threads.value() == 0 else str(self.threads.value()),
            label_picker=self.label_picker.isChecked())
