"""The installed Qt binding keeps Python's reference counts right. PySide6 6.12.0 on CPython < 3.12
drops a reference to None on every void call, and a window session dies after a few thousand
calls with "Fatal Python error: none_dealloc"; pyproject.toml excludes it, this test catches it."""
from __future__ import annotations

import sys

from PySide6 import QtCore


def test_void_qt_calls_do_not_leak_references_to_none(qapp):
    timer = QtCore.QTimer()
    before = sys.getrefcount(None)
    for _ in range(2000):
        timer.stop()
        qapp.processEvents()
    assert abs(sys.getrefcount(None) - before) < 100
