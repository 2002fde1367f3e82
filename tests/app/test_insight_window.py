"""The tracker-insight views in the real window: the bundled sample tracked with the real engine on
the CPU, the panels showing exactly the engine's diagnostics for the frame on screen, memory edits
changing what the engine reads and writes, the review queue with N and the forward/backward check."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from app.core.memory_model import allocation_slot, gates_text
from app_fakes import FakeTracker
from tracker.types import Box

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample"


@pytest.fixture
def engine():
    """The real engine on one CPU thread (much faster than two on a busy two-core machine)."""
    torch = pytest.importorskip("torch")
    tracker = pytest.importorskip("tracker")
    if not (SAMPLE / "sample.mp4").exists():
        pytest.skip("the bundled sample clip is missing")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tracker.load_tracker(device="cpu")
    torch.set_num_threads(threads)


def truth() -> list[Box]:
    return [Box.parse(line) for line in (SAMPLE / "sample_groundtruth.txt").read_text().splitlines() if line]


def open_sample(qtbot, w) -> None:
    assert w.files.open_path(SAMPLE / "sample.mp4")
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)


def goto(qtbot, w, frame: int) -> None:
    w.seek(frame)
    qtbot.waitUntil(lambda: w.displayed_frame == frame, timeout=5000)
    w.insight.update()


def track(qtbot, w, n: int) -> None:
    w.update_settings(track_range="frames", track_frames=n, auto_pause=False)
    w.actions["track_forward"].trigger()
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=60000)
    w.refresh()


def settle(qtbot, w) -> None:
    """Memory edits reach the engine on its worker thread (the engine service's queue): wait for it."""
    qtbot.waitUntil(lambda: not w.controller.busy, timeout=10000)


def record_results(engine) -> dict:
    """Wrap engine.track_all to keep every TrackResult the window's runs get, by frame."""
    results: dict[int, dict] = {}
    original = engine.track_all

    def track_all(frame, frame_index=None):
        out = original(frame, frame_index)
        results[frame_index] = out
        return out

    engine.track_all = track_all
    return results


def test_panels_show_the_engines_diagnostics_for_the_current_frame(qtbot, make_window, engine):
    results = record_results(engine)
    w = make_window(engine)
    open_sample(qtbot, w)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*truth()[0].as_tuple()))
    track(qtbot, w, 12)
    w.seek(8)
    # the rate-limited update shows frame 8 by itself
    qtbot.waitUntil(lambda: w.insight.shown == (1, 8), timeout=5000)
    r = results[8][1]
    d = r.diagnostics
    ins = w.insight
    assert np.array_equal(ins.maps.shown_attention, d.attention)
    assert np.array_equal(ins.maps.shown_response, d.response)
    assert f"confidence {r.score:.2f}" in ins.maps.caption.text()
    assert ins.maps.raw_peak == np.unravel_index(np.argmax(d.response), d.response.shape)
    # the tracker's peak on the map is where the box went: inside the grid, near its centre
    row, col = ins.maps.chosen_cell
    assert 0 <= row < d.response.shape[0] and 0 <= col < d.response.shape[1]
    # memory panel: one card per slot with this frame's read/write weights and usage
    view = ins.memory_panel.view
    assert "frame 8" in view.title and view.detail == gates_text(d)
    assert [c.read for c in view.cards] == d.read_weights.tolist()
    assert [c.write for c in view.cards] == d.write_weights.tolist()
    assert [c.usage for c in view.cards] == d.usage.tolist()
    assert [c.allocated for c in view.cards].index(True) == allocation_slot(d)
    assert ins.memory_panel.cards[3].values.text().startswith(f"read {d.read_weights[3]:.3f}")
    assert ins.memory_panel.read_bars.opts["height"].tolist() == pytest.approx(d.read_weights.tolist())
    # attention overlay over the response grid of the search region
    assert ins.overlay.visible and ins.overlay.shown_map is d.attention
    assert ins.overlay.shown_rect == ins.geometry.grid_rect(d.search_box, d.attention.shape[0])
    w.actions["attention_overlay"].setChecked(False)
    w.insight.update()
    assert not ins.overlay.visible
    # plots over time hold every tracked frame's values
    s = ins.plots.series
    assert s.frames.tolist() == list(range(1, 13))
    assert s.confidence.tolist() == pytest.approx([results[f][1].score for f in range(1, 13)], abs=1e-4)
    assert np.array_equal(s.gates, np.stack([results[f][1].diagnostics.gates for f in range(1, 13)]))
    assert s.strength.tolist() == [results[f][1].diagnostics.read_strength for f in range(1, 13)]
    # the slot records match the engine's memory after the last frame
    last = w.diagnostics.slots(1, 12)
    assert list(last.sources) == [s["frame"] for s in engine.memory_slots(1)]
    assert ins.memory_panel.cards[0].source.text() == "frame 0"  # T0 is in slot 0
    # an undone run's diagnostics are not shown; redo brings them back without re-running
    w.actions["undo"].trigger()
    goto(qtbot, w, 9)
    assert ins.maps.shown_attention is None and "not tracked" in ins.maps.caption.text()
    assert ins.memory_panel.view.cards == ()
    w.actions["redo"].trigger()
    goto(qtbot, w, 8)
    assert np.array_equal(ins.maps.shown_attention, d.attention)


def control_run(engine_factory, frames: list, box: Box, evict_at: int | None, until: int,
                pin_at: int | None = None) -> tuple[dict, object]:
    """The same tracking outside the window, optionally evicting slot 0 after frame ``evict_at``
    and pinning it after ``pin_at``; returns the diagnostics by frame and the engine."""
    trk = engine_factory()
    trk.initialize(frames[0], box, target_id=1, frame_index=0)
    out = {}
    for f in range(1, until + 1):
        out[f] = trk.track_all(frames[f], frame_index=f)[1].diagnostics
        if f == evict_at:
            trk.evict_slot(0, target_id=1)
        if f == pin_at:
            trk.pin_slot(0, target_id=1)
    return out, trk


def test_pin_and_evict_change_what_the_engine_reads_and_writes(qtbot, make_window, engine):
    import tracker
    from tracker.video import open_source

    # The untrained weights: the assertions below rely on their gating (an unedited run writes no
    # full template on frame 10); the trained default allocates more eagerly.
    engine = tracker.load_tracker(tracker.UNTRAINED_WEIGHTS, device="cpu")
    w = make_window(engine)
    open_sample(qtbot, w)
    box = truth()[0]
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*box.as_tuple()))
    track(qtbot, w, 8)
    goto(qtbot, w, 8)
    assert engine.memory_slots(1)[0]["frame"] == 0  # slot 0 holds the initial template
    # evict slot 0 on frame 8, where the engine rests: applied at once, undoable
    w.insight.memory_panel.cards[0].evict.click()
    settle(qtbot, w)
    assert w.store.undo_text() == "Memory #1: frame 8: evict slot 0"
    assert engine.memory_slots(1)[0]["frame"] is None and engine.memory_slots(1)[0]["usage"] == 0.0
    w.actions["undo"].trigger()
    settle(qtbot, w)
    assert engine.memory_slots(1)[0]["frame"] == 0
    w.actions["redo"].trigger()
    settle(qtbot, w)
    assert engine.memory_slots(1)[0]["frame"] is None
    track(qtbot, w, 1)  # frame 9 continues from the edited memory
    d9 = w.diagnostics.get(1, 9)
    source = open_source(SAMPLE / "sample.mp4")
    frames = [source.read(f) for f in range(12)]
    source.close()
    factory = lambda: tracker.load_tracker(tracker.UNTRAINED_WEIGHTS, device="cpu")  # noqa: E731
    evicted, _ = control_run(factory, frames, box, evict_at=8, until=10)
    plain, _ = control_run(factory, frames, box, evict_at=None, until=9)
    # exactly the engine of a run that evicted slot 0 after frame 8: writes now go to the empty
    # slot (allocation) and the read no longer finds T0 there
    assert np.array_equal(d9.read_weights, evicted[9].read_weights)
    assert allocation_slot(d9) == 0 and allocation_slot(plain[9]) != 0
    assert not np.allclose(d9.read_weights, plain[9].read_weights)
    # pin slot 0 on frame 9: it is still the least used, yet frame 10 allocates elsewhere, and
    # the pending write into it is held back
    goto(qtbot, w, 9)
    assert w.insight.memory_panel.view.cards[0].allocated
    w.insight.memory_panel.cards[0].pin.click()
    settle(qtbot, w)
    assert engine.memory_slots(1)[0]["pinned"]
    track(qtbot, w, 1)
    d10 = w.diagnostics.get(1, 10)
    assert allocation_slot(evicted[10]) == 0 and allocation_slot(d10) != 0
    assert w.diagnostics.slots(1, 10).pinned[0] and engine.memory_slots(1)[0]["frame"] is None
    goto(qtbot, w, 10)
    assert w.insight.memory_panel.cards[0].pin.text() == "Unpin"
    # replace the initial template with the box on frame 10: its appearance is then written in
    # full into a slot (allocation gate 1), which an unedited run does not do on frame 10
    w.actions["retemplate"].trigger()
    assert w.store.undo_text() == "Memory #1: frame 10: initial template from this box"
    track(qtbot, w, 1)
    _, pinned = control_run(factory, frames, box, evict_at=8, pin_at=9, until=11)
    assert 10 in w.diagnostics.slots(1, 11).sources
    assert 10 not in [s["frame"] for s in pinned.memory_slots(1)]


class SnapshotFake(FakeTracker):
    def snapshot(self):
        return copy.deepcopy(self._targets)

    def restore(self, snapshot):
        self._targets = copy.deepcopy(snapshot)


def test_review_queue_next_key_and_forward_backward_check(qtbot, make_window, square_video):
    path, boxes = square_video
    trk = SnapshotFake(scores={5: 0.1, 9: 0.2})
    w = make_window(trk)
    assert w.files.open_path(path)
    qtbot.waitUntil(lambda: w.displayed_frame == 0, timeout=5000)
    w.frame_view.commit_drawn_rect(QtCore.QRectF(*boxes[0]))
    track(qtbot, w, 15)
    w.insight.update()
    w.insight.review.refresh()
    assert [(i.frame, i.reasons) for i in w.insight.review.queue] == [(5, ("confidence 0.10",)),
                                                                       (9, ("confidence 0.20",))]
    assert w.insight.review_panel.table.rowCount() == 2
    w.show()
    w.activateWindow()
    w.frame_view.setFocus()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    for expected in (5, 9, 5):
        qtbot.keyClick(w, QtCore.Qt.Key.Key_N)
        qtbot.waitUntil(lambda: w.displayed_frame == expected, timeout=3000)
        assert w.selected == [1]
    # forward/backward: tracked back from frame 15 over 14..1, compared, nothing written
    entries = dict(w.store.project.objects[1].entries)
    undo_text = w.store.undo_text()
    state = w.controller.state
    w.actions["fb_check"].trigger()
    qtbot.waitUntil(lambda: not w.insight.review.checking, timeout=20000)
    backward = w.insight.review.backward[1]
    assert sorted(backward) == list(range(1, 15))
    assert all(backward[f].iou(entries[f].box) > 0.5 for f in range(1, 15))
    assert w.store.project.objects[1].entries == entries and w.store.undo_text() == undo_text
    assert w.controller.state is state and trk.target_ids == [1]  # the resting memory is back
    assert trk._targets[1]["box"] == entries[15].box
    assert trk.calls[-1][0] == "track_all" and trk.calls[-1][1] == 1  # it really ran backward
    assert "14 frames compared" in w.statusBar().currentMessage()
