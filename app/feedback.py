"""`StatusFeedback`: how controllers talk to the user without knowing the window: a status-bar
message, the questions and message boxes of `Prompts`, and the widget dialogs are parented to."""
from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

__all__ = ["StatusFeedback"]


class StatusFeedback:
    def __init__(self, status_bar: QtWidgets.QStatusBar, prompts: Any, parent: QtWidgets.QWidget):
        self._bar = status_bar
        self.prompts = prompts
        self.parent = parent  # dialogs only: controllers never reach into it

    def status(self, text: str, ms: int = 6000) -> None:
        self._bar.showMessage(text, ms)
