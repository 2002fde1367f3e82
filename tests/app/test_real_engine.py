"""The window with the real MemTrack engine on CPU: the bundled sample clip, a box from its ground
truth, 20 frames tracked in the worker thread, diagnostics kept for the tracked frames, a
correction midway and a re-track up to the next keyframe, undo."""
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
    w.update_settings(track_range="frames", track_frames=20, auto_pause=False)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=60000)
    entries = w.store.project.objects[1].entries
    assert sorted(entries) == list(range(21))
    assert all(entries[f].provenance is Provenance.TRACKED for f in range(1, 21))
    assert entries[10].box.iou(truth[10]) > 0.5
    assert 0.0 <= entries[10].score <= 1.0
    diag = w.diagnostics.get(1, 10)
    assert diag is not None and abs(float(diag.read_weights.sum()) - 1.0) < 1e-3
    assert w.status_device.text() == engine.describe()
    # correct frame 10 (and pin frame 20) with the ground truth, then re-track from 10
    w.frame_view.box_edited.emit(20, 1, truth[20])
    w.frame_view.box_edited.emit(10, 1, truth[10])
    w.seek(10)
    qtbot.waitUntil(lambda: w.displayed_frame == 10, timeout=5000)
    before = {f: entries[f].box for f in range(11, 20)}
    w.actions["retrack"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=60000)
    assert entries[20].box == truth[20] and entries[20].provenance is Provenance.KEYFRAME
    assert all(entries[f].provenance is Provenance.TRACKED for f in range(11, 20))
    assert set(w.tracking.moved_frames(1)) == {f for f in range(11, 20) if entries[f].box.iou(before[f]) < 0.9}
    assert w.store.undo_text() == "Re-track from here"
    for _ in range(4):  # re-track, two corrections, the first run
        w.actions["undo"].trigger()
    assert sorted(entries) == [0]
