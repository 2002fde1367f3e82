"""Tracking options and controls: which objects, how far, follow, auto-pause threshold,
the run buttons (bound to the window's actions) and the run's progress."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from tracker import CORRECTION_STRATEGIES, DEFAULT_CORRECTION_STRATEGY

__all__ = ["TrackPanel"]

RANGES = (("end", "to the end"), ("next_keyframe", "to the next keyframe"), ("frames", "for N frames"))


class TrackPanel(QtWidgets.QWidget):
    """Signals: options_changed(dict) with keys track_scope, track_range, track_frames, follow,
    auto_pause, confidence_threshold, correction_strategy, two_sided_fill (the AppSettings fields it edits)."""

    options_changed = QtCore.Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scope_selected = QtWidgets.QRadioButton("Selected objects")
        self.scope_all = QtWidgets.QRadioButton("All objects")
        self.range_combo = QtWidgets.QComboBox()
        for key, text in RANGES:
            self.range_combo.addItem(text, key)
        self.frames_spin = QtWidgets.QSpinBox()
        self.frames_spin.setRange(1, 1_000_000)
        self.frames_spin.setSuffix(" frames")
        self.follow = QtWidgets.QCheckBox("Follow (show frames as they are tracked)")
        self.auto_pause = QtWidgets.QCheckBox("Pause when confidence <")
        self.auto_pause.setToolTip("A run stops on a target whose confidence falls below the threshold, or whose "
                                   "box jumps further than the limit set in Settings (0.7 box sizes by default)")
        self.threshold = QtWidgets.QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.strategy_combo = QtWidgets.QComboBox()
        for name, strategy in CORRECTION_STRATEGIES.items():
            label = name + (" (default)" if name == DEFAULT_CORRECTION_STRATEGY else "")
            self.strategy_combo.addItem(label, name)
            self.strategy_combo.setItemData(self.strategy_combo.count() - 1, strategy.summary,
                                            QtCore.Qt.ItemDataRole.ToolTipRole)
        self.strategy_combo.setToolTip("What a corrected box (a keyframe) does to the tracker's memory "
                                       "when a run starts from it or passes it")
        self.two_sided = QtWidgets.QCheckBox("Fill from both ends (runs to the next keyframe)")
        self.two_sided.setToolTip("Also track back from the next keyframe and merge the two passes frame by frame")
        for w in (self.scope_selected, self.scope_all, self.range_combo, self.follow,
                  self.auto_pause, self.strategy_combo, self.two_sided):
            w.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay the window's shortcuts
        # the two number boxes take typing (click or Tab into them); Enter commits the value and
        # hands the keys back to the window's shortcuts
        for spin in (self.frames_spin, self.threshold):
            spin.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
            spin.setKeyboardTracking(False)  # one value on Enter, not one per digit typed
            spin.editingFinished.connect(spin.clearFocus)
        self.buttons = QtWidgets.QGridLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #f0b429;")

        form = QtWidgets.QFormLayout()
        scope = QtWidgets.QHBoxLayout()
        scope.addWidget(self.scope_selected)
        scope.addWidget(self.scope_all)
        form.addRow("Track:", scope)
        how_far = QtWidgets.QHBoxLayout()
        how_far.addWidget(self.range_combo, 1)
        how_far.addWidget(self.frames_spin)
        form.addRow("Range:", how_far)
        form.addRow("Corrections:", self.strategy_combo)
        pause = QtWidgets.QHBoxLayout()
        pause.addWidget(self.auto_pause)
        pause.addWidget(self.threshold)
        pause.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(self.follow)
        layout.addWidget(self.two_sided)
        layout.addLayout(pause)
        layout.addLayout(self.buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.scope_all.toggled.connect(self._emit)
        self.range_combo.currentIndexChanged.connect(self._emit)
        self.frames_spin.valueChanged.connect(self._emit)
        self.follow.toggled.connect(self._emit)
        self.auto_pause.toggled.connect(self._emit)
        self.threshold.valueChanged.connect(self._emit)
        self.strategy_combo.currentIndexChanged.connect(self._emit)
        self.two_sided.toggled.connect(self._emit)
        self._loading = False

    def add_action_buttons(self, actions: list[list[QtGui.QAction]]) -> None:
        """One row of buttons per list, each bound to a window action (text, enabled, tooltip)."""
        for r, row in enumerate(actions):
            for c, action in enumerate(row):
                button = QtWidgets.QToolButton()
                button.setDefaultAction(action)
                button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
                button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                                     QtWidgets.QSizePolicy.Policy.Fixed)
                button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
                self.buttons.addWidget(button, r, c)

    def load(self, options: dict) -> None:
        self._loading = True
        try:
            (self.scope_all if options["track_scope"] == "all" else self.scope_selected).setChecked(True)
            self.range_combo.setCurrentIndex([k for k, _ in RANGES].index(options["track_range"]))
            self.frames_spin.setValue(options["track_frames"])
            self.follow.setChecked(options["follow"])
            self.auto_pause.setChecked(options["auto_pause"])
            self.threshold.setValue(options["confidence_threshold"])
            self.strategy_combo.setCurrentIndex(list(CORRECTION_STRATEGIES).index(options["correction_strategy"]))
            self.two_sided.setChecked(options["two_sided_fill"])
            self.frames_spin.setEnabled(options["track_range"] == "frames")
        finally:
            self._loading = False

    def options(self) -> dict:
        return {
            "track_scope": "all" if self.scope_all.isChecked() else "selected",
            "track_range": self.range_combo.currentData(),
            "track_frames": self.frames_spin.value(),
            "follow": self.follow.isChecked(),
            "auto_pause": self.auto_pause.isChecked(),
            "confidence_threshold": round(self.threshold.value(), 2),
            "correction_strategy": self.strategy_combo.currentData(),
            "two_sided_fill": self.two_sided.isChecked(),
        }

    def _emit(self, *_args) -> None:
        self.frames_spin.setEnabled(self.range_combo.currentData() == "frames")
        if not self._loading:
            self.options_changed.emit(self.options())

    def set_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(text)

    def set_message(self, text: str) -> None:
        self.message.setText(text)
