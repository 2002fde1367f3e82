"""The settings dialog, the shortcut sheet and the About box."""
from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from ..actions import apply_shortcuts
from ..core.session import Feedback, Session
from ..core.settings import AppSettings
from ..engine_service import EngineService
from ..views.track_panel import TrackPanel

__all__ = ["SettingsController"]


class SettingsController:
    def __init__(self, session: Session, actions: dict[str, QtGui.QAction], track_panel: TrackPanel,
                 status_device: QtWidgets.QLabel, feedback: Feedback, engine: EngineService, app_name: str):
        self.session, self.actions, self.track_panel = session, actions, track_panel
        self.status_device, self.feedback, self.engine, self.app_name = status_device, feedback, engine, app_name
        actions["settings"].triggered.connect(self.edit_settings)
        actions["shortcuts"].triggered.connect(self.show_shortcuts)
        actions["about"].triggered.connect(self.show_about)
        self._reload_pending = False  # engine settings changed during a run: reload after it
        session.tracking_changed.connect(lambda running: None if running else self._reload_if_pending())

    def edit_settings(self) -> None:
        from ..dialogs.settings_dialog import SettingsDialog

        s = self.session
        dialog = SettingsDialog(s.settings, self.feedback.parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        engine_changed = ((new.device, new.weights, new.threads)
                          != (s.settings.device, s.settings.weights, s.settings.threads))
        s.update_settings(**{k: getattr(new, k) for k in AppSettings.keys()})
        apply_shortcuts(self.actions, s.settings.shortcuts)
        self.track_panel.load(s.settings.to_mapping())
        if engine_changed:
            self._reload_pending = True
            self._reload_if_pending()

    def _reload_if_pending(self) -> None:
        """Release the engine so that the next run loads it with the new device, checkpoint and
        threads; during a run, once it ended."""
        if self._reload_pending and not self.engine.busy:
            self._reload_pending = False
            self.engine.drop_tracker()
            self.status_device.setText("")

    def show_shortcuts(self) -> None:
        from ..dialogs.shortcut_sheet import ShortcutSheet

        ShortcutSheet(self.session.settings.shortcuts, self.feedback.parent).exec()

    def show_about(self) -> None:
        self.feedback.prompts.info(
            "About", f"{self.app_name}\nVideo annotation with the MemTrack memory-network tracker.\n"
                     f"Tracker: {self.status_device.text()}")
