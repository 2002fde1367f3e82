"""Playback controls under the frame: play/pause, step buttons, frame slider, frame number,
time and playback speed. Playback itself runs on a QTimer in the window (GUI thread)."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

__all__ = ["PlayerBar", "SPEEDS", "format_time"]

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0, 4.0)


def format_time(seconds: float) -> str:
    minutes, sec = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{sec:05.2f}"


class PlayerBar(QtWidgets.QWidget):
    """Signals: frame_requested(int), play_toggled(), speed_changed(float)."""

    frame_requested = QtCore.Signal(int)
    play_toggled = QtCore.Signal()
    speed_changed = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.play_button = QtWidgets.QToolButton()
        self.play_button.setText("\u25b6")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.setFixedWidth(34)
        self.play_button.clicked.connect(self.play_toggled.emit)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # arrows stay window shortcuts
        self.slider.valueChanged.connect(self._on_slider)
        self.spin = QtWidgets.QSpinBox()
        self.spin.setKeyboardTracking(False)
        self.spin.setToolTip("Frame number")
        self.spin.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)  # arrows stay window shortcuts
        self.spin.setMinimumWidth(70)
        self.spin.valueChanged.connect(self.frame_requested.emit)
        self.count_label = QtWidgets.QLabel("/ 0")
        self.time_label = QtWidgets.QLabel("0:00.00")
        self.time_label.setMinimumWidth(120)
        self.speed = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}x", s)
        self.speed.setToolTip("Playback speed")
        self.speed.currentIndexChanged.connect(lambda i: self.speed_changed.emit(self.speed.itemData(i)))
        self.speed.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        layout.addWidget(self.count_label)
        layout.addSpacing(8)
        layout.addWidget(self.time_label)
        layout.addWidget(self.speed)
        self._fps = 25.0
        self._count = 0

    def set_video(self, frame_count: int, fps: float) -> None:
        self._fps, self._count = fps, frame_count
        for w in (self.slider, self.spin):
            w.blockSignals(True)
            w.setRange(0, max(0, frame_count - 1))
            w.blockSignals(False)
        self.slider.setPageStep(max(1, frame_count // 20))
        self.count_label.setText(f"/ {max(0, frame_count - 1)}")

    def set_frame(self, frame: int) -> None:
        for w in (self.slider, self.spin):
            if w.value() != frame:
                w.blockSignals(True)
                w.setValue(frame)
                w.blockSignals(False)
        total = self._count / self._fps if self._fps else 0.0
        self.time_label.setText(f"{format_time(frame / self._fps)} / {format_time(total)}")

    def set_playing(self, playing: bool) -> None:
        self.play_button.setText("\u23f8" if playing else "\u25b6")

    def set_speed(self, speed: float) -> None:
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.speed.blockSignals(True)
        self.speed.setCurrentIndex(index)
        self.speed.blockSignals(False)

    def _on_slider(self, value: int) -> None:
        self.frame_requested.emit(value)
