"""The window with the real MemTrack engine on CPU: the bundled sample clip, a box from its ground
truth, ten frames tracked in the worker thread, diagnostics kept for the tracked frames."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore

from tracker.project import Provenance
from tracker.types import Box

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample"


def test_sample_clip_with_the_real_engine(qtbot, make_window):
    tracker_mod = pytest.importorskip("tracker")
    if not (SAMPLE / "sample.mp4").exists():
        pytest.skip("the bundled sample clip is missing")
    truth = [Box.parse(line) for line in (SAMPLE / "sample_groundtruth.txt").read_text().splitlines() if line]
    engine = tracker_mod.load_tracker(device="cpu")
    w = make_window(engine)
    assert w.files.open_path(SAMPLE / "sample.mp4")
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth[0].as_tuple()))
    w.update_settings(track_range="frames", track_frames=10, auto_pause=False)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=60000)
    entries = w.store.project.objects[1].entries
    assert sorted(entries) == list(range(11))
    assert all(entries[f].provenance is Provenance.TRACKED for f in range(1, 11))
    assert entries[10].box.iou(truth[10]) > 0.5
    assert 0.0 <= entries[10].score <= 1.0
    diag = w.diagnostics.get(1, 10)
    assert diag is not None and abs(float(diag.read_weights.sum()) - 1.0) < 1e-3
    assert w.status_device.text() == engine.describe()
    w.actions["undo"].trigger()
    assert sorted(entries) == [0]
