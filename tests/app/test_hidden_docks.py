"""Docks that cannot be seen are not updated while tracking, and catch up when shown."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from app_fakes import FakeTracker

pytestmark = pytest.mark.gui


def _spy(monkeypatch, obj, name: str) -> list:
    calls: list = []
    real = getattr(obj, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, spy)
    return calls


def test_hidden_docks_get_no_updates_during_a_run_and_show_the_latest_state_when_shown(
        qtbot, make_window, square_video, monkeypatch):
    path, truth = square_video
    w = make_window(FakeTracker(delay=0.01))
    w.show()
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0]))
    w.plots_dock.close()  # closed; the memory, maps and review docks are tabs behind others
    qtbot.waitUntil(lambda: not any(w.insight.visible(v) for v in (w.plots, w.memory_panel, w.maps, w.review_panel)))
    memory = _spy(monkeypatch, w.memory_panel, "show_view")
    maps = _spy(monkeypatch, w.maps, "show_maps")
    series = _spy(monkeypatch, w.plots, "set_series")
    review = _spy(monkeypatch, w.review_panel, "set_items")
    w.update_settings(track_range="frames", track_frames=15)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=8000)
    qtbot.waitUntil(lambda: w.displayed_frame == 15)
    qtbot.wait(300)  # the coalesced updates of the last frames and of the run's end
    assert memory == [] and maps == [] and series == [] and review == []
    w.memory_dock.raise_()
    qtbot.waitUntil(lambda: bool(memory))
    assert "frame 15" in memory[-1][0].title
    w.plots_dock.show()
    w.plots_dock.raise_()
    qtbot.waitUntil(lambda: bool(series))
    w.review_dock.raise_()
    qtbot.waitUntil(lambda: bool(review))
    assert "15 tracked frames" in review[-1][1]
