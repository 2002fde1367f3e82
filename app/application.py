"""Starts the window: QApplication, pyqtgraph options, style, settings, recovery check."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

__all__ = ["run_gui", "create_window", "SAMPLE_VIDEO", "apply_style"]

REPO = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = REPO / "resources" / "sample" / "sample.mp4"
STYLE_SHEET = REPO / "resources" / "style.qss"


def apply_style(app: Any) -> None:
    """Fusion with a dark palette (video reads best on dark grey) plus resources/style.qss."""
    from PySide6 import QtGui

    app.setStyle("Fusion")
    p = QtGui.QPalette()
    roles = QtGui.QPalette.ColorRole
    for role, color in ((roles.Window, "#2b2d31"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f2023"),
                        (roles.AlternateBase, "#2b2d31"), (roles.ToolTipBase, "#2b2d31"),
                        (roles.ToolTipText, "#e6e6e6"), (roles.Text, "#e6e6e6"), (roles.Button, "#35373c"),
                        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3d7bd9"),
                        (roles.HighlightedText, "#ffffff"), (roles.Link, "#4da3ff"),
                        (roles.PlaceholderText, "#8a8d93")):
        p.setColor(role, QtGui.QColor(color))
    p.setColor(QtGui.QPalette.ColorGroup.Disabled, roles.ButtonText, QtGui.QColor("#6f7278"))
    p.setColor(QtGui.QPalette.ColorGroup.Disabled, roles.Text, QtGui.QColor("#6f7278"))
    p.setColor(QtGui.QPalette.ColorGroup.Disabled, roles.WindowText, QtGui.QColor("#6f7278"))
    app.setPalette(p)
    if STYLE_SHEET.exists():
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))


def create_window(settings_path: str | None = None, recovery_dir: str | Path | None = None,
                  tracker_factory: Callable | None = None, prompts: Any = None) -> Any:
    """A MainWindow with its settings and recovery folder (defaults: the platform's locations)."""
    import pyqtgraph as pg
    from PySide6 import QtCore

    from .main_window import MainWindow
    from .qt_settings import SettingsStore
    from .core.recovery import RecoveryStore

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    if recovery_dir is None:
        base = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
        recovery_dir = Path(base or Path.home() / ".memtrack-annotator") / "recovery"
    return MainWindow(SettingsStore(settings_path), RecoveryStore(recovery_dir), tracker_factory, prompts)


def run_gui(path: str | Path | None = None) -> int:
    """Open the window on ``path`` (video, frame folder or project), else the bundled sample."""
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setOrganizationName("MemTrack")
    app.setApplicationName("Annotator")
    apply_style(app)
    window = create_window()
    window.show()
    window.raise_()
    window.activateWindow()  # keyboard-first: shortcuts need the window active from the start

    def start() -> None:
        target = Path(path) if path else (SAMPLE_VIDEO if SAMPLE_VIDEO.exists() else None)
        if target is not None:
            window.files.open_path(target)
        window.files.offer_recoveries(only_other=True)

    QtCore.QTimer.singleShot(0, start)  # open after the window is on screen
    return app.exec()
