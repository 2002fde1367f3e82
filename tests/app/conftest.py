"""Fixtures for the window tests: a synthetic mp4 with a known moving square, isolated settings
and recovery folders, scripted dialog answers and a window factory."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app_fakes import FakeTracker, moving_square_frames


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture
def square_video(tmp_path) -> tuple[Path, list[tuple[float, float, float, float]]]:
    """40 frames, 160x120, a 24-px square moving right and down; (path, true boxes)."""
    frames, boxes = moving_square_frames(n=40, step=(2.5, 1.0))
    return write_clip(tmp_path / "square.mp4", frames), boxes


class ScriptedPrompts:
    """Answers the window's questions from a script and records what was asked."""

    def __init__(self):
        self.asked: list[tuple] = []
        self.answers: dict[str, list] = {}
        self.error_details: list[str] = []

    def answer(self, kind: str, *values) -> None:
        self.answers.setdefault(kind, []).extend(values)

    def _next(self, kind: str, default):
        queue = self.answers.get(kind)
        return queue.pop(0) if queue else default

    def error(self, title, text, details=""):
        self.asked.append(("error", title, text))
        self.error_details.append(details)

    def info(self, title, text):
        self.asked.append(("info", title, text))

    def ask_save_changes(self, name):
        self.asked.append(("save_changes", name))
        return self._next("save_changes", "discard")

    def ask_recover(self, description, other_document):
        self.asked.append(("recover", description, other_document))
        return self._next("recover", "cancel")

    def locate_video(self, missing, start_dir):
        self.asked.append(("locate", str(missing)))
        return self._next("locate", None)

    def confirm(self, title, text):
        self.asked.append(("confirm", title))
        return self._next("confirm", True)

    def open_path(self, start_dir):
        return self._next("open_path", None)

    def open_folder(self, start_dir):
        return self._next("open_folder", None)

    def save_path(self, suggested, title="Save project", file_filter=""):
        self.asked.append(("save_path", str(suggested)))
        return self._next("save_path", None)

    def text_list(self, title, label, items):
        return self._next("text_list", None)

    def choose(self, title, label, items):
        return self._next("choose", None)

    def pick_label(self, labels, default, near=None):
        self.asked.append(("pick_label", tuple(labels), default))
        return self._next("pick_label", default)

    def kinds(self) -> list[str]:
        return [a[0] for a in self.asked]


@pytest.fixture
def prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


@pytest.fixture
def fake_tracker() -> FakeTracker:
    return FakeTracker()


@pytest.fixture
def make_window(qtbot, tmp_path, prompts):
    """make_window(tracker=None) -> a MainWindow with settings and recovery under tmp_path."""
    from app.application import create_window

    windows = []

    def make(tracker=None, settings_name: str = "settings.ini"):
        factory = (lambda settings: tracker) if tracker is not None else None
        w = create_window(str(tmp_path / settings_name), tmp_path / "recovery", factory, prompts)
        qtbot.addWidget(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.controller.shutdown(5000)
        w.session.close_video()
