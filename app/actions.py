"""Builds the window's QActions and menus from the Qt-free table in action_specs."""
from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from .core.action_specs import ACTIONS, MENUS

__all__ = ["build_actions", "build_menus", "apply_shortcuts"]

# Menu entries after which a separator goes.
_SEPARATE_AFTER = {"open_folder", "save_as", "recover", "settings", "redo", "mark_absent", "lock_object",
                   "edit_labels", "label_9", "move_mode",
                   "last", "track_backward", "interpolate", "cancel"}


def build_actions(window: QtWidgets.QMainWindow, overrides: dict[str, str]) -> dict[str, QtGui.QAction]:
    actions: dict[str, QtGui.QAction] = {}
    for s in ACTIONS:
        action = QtGui.QAction(s.text, window)
        action.setObjectName(s.id)
        action.setCheckable(s.checkable)
        if s.tip:
            action.setStatusTip(s.tip)
        window.addAction(action)  # shortcuts work wherever the focus is in the window
        actions[s.id] = action
    apply_shortcuts(actions, overrides)
    return actions


def apply_shortcuts(actions: dict[str, QtGui.QAction], overrides: dict[str, str]) -> None:
    for s in ACTIONS:
        action = actions.get(s.id)
        if action is None:
            continue
        key = overrides.get(s.id, s.shortcut)
        action.setShortcut(QtGui.QKeySequence(key) if key else QtGui.QKeySequence())
        tip = s.tip or s.text.replace("&", "").rstrip("\u2026")
        action.setToolTip(f"{tip} ({key})" if key else tip)


def build_menus(window: QtWidgets.QMainWindow, actions: dict[str, QtGui.QAction]) -> dict[str, QtWidgets.QMenu]:
    menus = {name: window.menuBar().addMenu(f"&{name}") for name in MENUS}
    for s in ACTIONS:
        menu = menus[s.menu]
        menu.addAction(actions[s.id])
        if s.id in _SEPARATE_AFTER:
            menu.addSeparator()
    return menus
