"""`python main.py gui PATH`: a missing path is a one-line error before any window opens."""
from __future__ import annotations

import sys

from app.cli import build_parser, main


def test_gui_command_is_listed_and_rejects_a_missing_path(capsys):
    assert "gui" in build_parser().format_help()
    already_loaded = "PySide6.QtWidgets" in sys.modules
    assert main(["gui", "/no/such/video.mp4"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    if not already_loaded:
        assert "PySide6.QtWidgets" not in sys.modules  # the error comes before Qt is imported
