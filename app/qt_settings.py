"""Load and save `AppSettings` with QSettings (tests point QSettings at tmp_path)."""
from __future__ import annotations

import logging

from PySide6 import QtCore

from .core.settings import AppSettings, SettingsError

__all__ = ["SettingsStore"]

log = logging.getLogger(__name__)


class SettingsStore:
    """Wraps one QSettings; ``path`` given -> an INI file there (tests), else the platform default."""

    def __init__(self, path: str | None = None):
        if path is None:
            self.qsettings = QtCore.QSettings("MemTrack", "Annotator")
        else:
            self.qsettings = QtCore.QSettings(str(path), QtCore.QSettings.Format.IniFormat)

    def load(self) -> AppSettings:
        values = {}
        for key in AppSettings.keys():
            if not self.qsettings.contains(key):
                continue
            try:
                values[key] = AppSettings.coerce(key, self.qsettings.value(key))
            except (SettingsError, ValueError) as e:
                log.warning("ignoring stored setting: %s", e)
        try:
            return AppSettings(**values)
        except SettingsError as e:
            # one bad value: keep the good ones, reset only the offending key
            log.warning("resetting settings: %s", e)
            good = {}
            for key, value in values.items():
                try:
                    AppSettings(**{key: value})
                    good[key] = value
                except SettingsError:
                    pass
            return AppSettings(**good)

    def save(self, settings: AppSettings) -> None:
        """Store only what differs from the defaults, so a default that changes in a later version (a
        threshold calibrated for new weights, say) reaches everyone who never changed that setting."""
        defaults = AppSettings().to_mapping()
        for key, value in settings.to_mapping().items():
            if value == defaults[key]:
                self.qsettings.remove(key)
            else:
                self.qsettings.setValue(key, value)
        self.qsettings.sync()

    def value(self, key: str, default=None):
        """Window geometry and other non-setting state."""
        return self.qsettings.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)
