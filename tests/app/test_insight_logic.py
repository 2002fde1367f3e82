"""Qt-free parts of the tracker-insight views: the review queue's ranking, the memory edits (when a
run applies them, undo through the store), the bounded diagnostics store, the slot cards, the
forward/backward check plan and where the attention grid lies on the frame."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core import edits
from app.core.diagnostics_store import DiagnosticsStore
from app.core.fb_check import plan_backward_check
from app.core.memory_edits import EditKind, MemoryEdit, frozen_at, slot_edit_command, toggle_pin_command
from app.core.memory_model import SlotRecord, allocation_slot, slot_cards
from app.core.review_queue import FrameSignals, ReviewThresholds, attention_entropy, box_jump, collect_signals
from app.core.review_queue import next_item, rank
from tracker.search_geometry import ResponseGeometry
from app.core.store import AnnotationStore
from app.core.tracking_job import Direction, JobRunner, PlanError, RangeMode, plan_job
from app_fakes import FakeTracker, moving_square_frames
from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef
from tracker.result import Diagnostics
from tracker.types import Box


def diag(read=None, write=None, gates=(0.2, 0.3, 0.5), attention=None, n=8) -> Diagnostics:
    read = np.full(n, 1.0 / n, np.float32) if read is None else np.asarray(read, np.float32)
    write = np.zeros(n, np.float32) if write is None else np.asarray(write, np.float32)
    att = np.full((4, 4), 1 / 16, np.float32) if attention is None else np.asarray(attention, np.float32)
    return Diagnostics(att, np.zeros((4, 4), np.float32), read, write, np.ones(n, np.float32),
                       np.asarray(gates, np.float32), 0.1, 2.0, 0, Box(0, 0, 100, 100))


def peaked(value: float) -> np.ndarray:
    a = np.full((4, 4), (1 - value) / 15, np.float32)
    a[1, 2] = value
    return a


# ----------------------------------------------------------------------------- review queue


def test_review_queue_orders_a_crafted_run():
    p = Project(VideoRef("/v.mp4", 30, 320, 240, 25.0))
    obj = TrackObject(1, "car", "#ff0000")
    p.objects[1] = obj
    store = DiagnosticsStore()
    obj.entries[0] = BoxEntry(Box(100, 100, 20, 20), Provenance.KEYFRAME)
    for f in range(1, 11):
        x = 100 + f  # smooth motion, except a jump of 12 px (0.6 box sizes) on frame 6 and back on 7
        x += 11 if f == 6 else 0
        obj.entries[f] = BoxEntry(Box(x, 100, 20, 20), Provenance.TRACKED, 0.9)
        store.put(1, f, diag(attention=peaked(0.9)))
    obj.entries[3] = BoxEntry(obj.entries[3].box, Provenance.TRACKED, 0.05)  # very low confidence
    obj.entries[8] = BoxEntry(obj.entries[8].box, Provenance.TRACKED, 0.25)  # a little low
    store.put(1, 9, diag(attention=np.full((4, 4), 1 / 16)))  # flat attention
    backward = {1: {f: obj.entries[f].box for f in range(1, 11)}}
    backward[1][4] = Box(104 + 40 / 3, 100, 20, 20)  # the backward run drifted on frame 4: IoU 0.2
    backward[1][8] = Box(200, 150, 20, 20)  # ... and lost it on frame 8, where confidence is low too
    signals = collect_signals(p, store, backward)
    assert [s.frame for s in signals] == list(range(1, 11))
    queue = rank(signals, ReviewThresholds(confidence=0.3))
    # two problems first, then by how far beyond its threshold each frame's problem is; frame 7's
    # step back (exactly 0.5 box sizes) and the clean frames are not flagged
    assert [i.frame for i in queue] == [8, 9, 3, 4, 6]
    assert queue[0].reasons == ("confidence 0.25", "forward/backward IoU 0.00")
    assert queue[1].reasons == ("attention spread 1.000",)
    assert queue[2].reasons == ("confidence 0.05",)
    assert queue[3].reasons == ("forward/backward IoU 0.20",)
    assert queue[4].reasons == ("box jump 0.60 box sizes",)
    expected = [0.5 + 0.5 / 6 + 1.0, 1.0, 0.5 + 0.5 * 5 / 6, 0.8, 0.6]
    assert [i.priority for i in queue] == pytest.approx(expected)
    # N walks the queue in order and wraps around
    assert next_item(queue, None).frame == 8
    assert next_item(queue, (1, 8)).frame == 9
    assert next_item(queue, (1, 6)).frame == 8
    # undoing frame 8 back to a keyframe takes it out of the queue (only tracked frames count)
    obj.entries[8] = BoxEntry(obj.entries[8].box, Provenance.KEYFRAME)
    assert 8 not in [i.frame for i in rank(collect_signals(p, store, backward))]


def test_flat_attention_everywhere_flags_nothing():
    signals = [FrameSignals(1, f, 0.9, 0.0, 0.997 + 0.0001 * (f % 3), None) for f in range(20)]
    assert rank(signals) == []
    signals[5] = FrameSignals(1, 5, 0.9, 0.0, 0.999, None)
    lower = [FrameSignals(1, f, 0.9, 0.0, 0.6, None) for f in range(20)]
    lower.append(FrameSignals(1, 20, 0.9, 0.0, 0.99))
    assert [i.frame for i in rank(lower)] == [20]


def test_entropy_and_jump_measures():
    assert attention_entropy(np.full((5, 5), 0.04)) == pytest.approx(1.0)
    one = np.zeros((5, 5))
    one[2, 2] = 1
    assert attention_entropy(one) == 0.0
    assert box_jump(Box(0, 0, 10, 10), Box(0, 0, 10, 10)) == 0.0
    assert box_jump(Box(0, 0, 10, 10), Box(5, 0, 10, 10)) == pytest.approx(0.5)
    assert box_jump(Box(0, 0, 10, 10), Box(-5, -5, 20, 20)) == pytest.approx(np.log(4))


# ----------------------------------------------------------------------------- memory model


def test_allocation_slot_is_recovered_from_the_write_weights():
    read = np.array([0.05, 0.4, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1])
    g = (0.1, 0.3, 0.6)
    for alloc in range(8):
        write = g[1] * read + g[2] * np.eye(8)[alloc]
        assert allocation_slot(diag(read, write, g)) == alloc
    assert allocation_slot(diag(read, g[1] * read, (0.7, 0.3, 0.0))) is None


def test_slot_cards_join_diagnostics_record_and_pending_edits():
    read = np.array([0.05, 0.4, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1], np.float32)
    write = 0.3 * read + 0.6 * np.eye(8, dtype=np.float32)[5]
    crop = np.zeros((64, 64, 3), np.uint8)
    pin = MemoryEdit(EditKind.PIN, 4, 2)
    record = SlotRecord((0, 3, None, None, None, None, None, None), (True,) + (False,) * 7, (1.0,) * 8,
                        (crop, crop) + (None,) * 6, applied=(pin,))
    cards = slot_cards(diag(read, write, (0.1, 0.3, 0.6)), record, [pin, MemoryEdit(EditKind.EVICT, 4, 6)])
    assert [c.read for c in cards] == pytest.approx(read.tolist())
    assert [c.dominant for c in cards].index(True) == 1
    assert [c.allocated for c in cards].index(True) == 5
    assert cards[0].pinned and cards[0].source == 0 and cards[1].source == 3 and cards[2].crop is None
    assert cards[6].pending == ("evict",) and cards[2].pending == ()  # the pin was applied already


# ----------------------------------------------------------------------------- memory edits


def test_memory_edits_are_undoable_and_leave_with_their_track():
    p = Project(VideoRef("/v.mp4", 30, 320, 240, 25.0))
    store = AnnotationStore(p)
    store.execute(edits.add_object(p, "car", 0, Box(1, 1, 10, 10))[0])
    store.execute(toggle_pin_command(store.memory_edits, 1, 5, 3, pinned_now=False))
    assert store.memory_edits == {1: (MemoryEdit(EditKind.PIN, 5, 3),)}
    # a second edit of the same slot on the same frame replaces the first
    store.execute(slot_edit_command(store.memory_edits, 1, MemoryEdit(EditKind.EVICT, 5, 3)))
    store.execute(slot_edit_command(store.memory_edits, 1, MemoryEdit(EditKind.FREEZE, 7, last=9)))
    assert store.memory_edits[1] == (MemoryEdit(EditKind.EVICT, 5, 3), MemoryEdit(EditKind.FREEZE, 7, last=9))
    assert store.undo_text() == "Memory #1: freeze writes, frames 7-9"
    store.undo()
    store.undo()
    assert store.memory_edits == {1: (MemoryEdit(EditKind.PIN, 5, 3),)}
    store.redo()
    store.execute(edits.delete_track(p, 1, store.memory_edits))
    assert store.memory_edits == {}
    store.undo()
    assert store.memory_edits == {1: (MemoryEdit(EditKind.EVICT, 5, 3),)}
    with pytest.raises(ValueError):
        MemoryEdit(EditKind.PIN, 5)
    with pytest.raises(ValueError):
        MemoryEdit(EditKind.FREEZE, 5, last=4)


class EditingFake(FakeTracker):
    """FakeTracker with the engine's memory-editing API, recording calls and the frame they follow."""

    def __init__(self):
        super().__init__()
        self.frozen: dict[int, bool] = {}
        self.pinned: dict[int, set] = {}
        self.edit_log: list[tuple] = []
        self.last_frame = None

    def initialize(self, frame, box, target_id=0, frame_index=0):
        self.last_frame = frame_index
        super().initialize(frame, box, target_id, frame_index)

    def track_all(self, frame, frame_index=None):
        self.last_frame = frame_index
        return super().track_all(frame, frame_index)

    def set_writes_frozen(self, frozen, target_id=0):
        self.frozen[target_id] = frozen
        self.edit_log.append(("frozen", self.last_frame, frozen))

    def pin_slot(self, slot, pinned=True, target_id=0):
        slots = self.pinned.setdefault(target_id, set())
        if pinned:
            slots.add(slot)
        else:
            slots.discard(slot)
        self.edit_log.append(("pin" if pinned else "unpin", self.last_frame, slot))

    def evict_slot(self, slot, target_id=0):
        self.edit_log.append(("evict", self.last_frame, slot))

    def reseed(self, frame, box, mode="update", target_id=0, frame_index=None):
        if mode == "retemplate":
            self.edit_log.append(("retemplate", frame_index, box))
        super().reseed(frame, box, mode, target_id, frame_index)

    def memory_slots(self, target_id=0):
        return [{"usage": 0.0, "pinned": j in self.pinned.get(target_id, ()), "frame": None, "crop": None}
                for j in range(8)]

    def snapshot(self):
        return ("snapshot", self.last_frame)

    def restore(self, snap):
        pass


class ListSource:
    def __init__(self, frames):
        self.frames, self.height, self.width = frames, frames[0].shape[0], frames[0].shape[1]

    def read(self, i):
        return self.frames[i].copy()

    def close(self):
        pass


def test_a_run_applies_memory_edits_after_their_frame():
    frames, boxes = moving_square_frames(n=12)
    p = Project(VideoRef("/v.mp4", 12, 160, 120, 25.0))
    p.objects[1] = TrackObject(1, "sq", "#ff0000", {0: BoxEntry(Box(*boxes[0]), Provenance.KEYFRAME)})
    memory = {1: (MemoryEdit(EditKind.FREEZE, 4, last=5), MemoryEdit(EditKind.PIN, 3, 2),
                  MemoryEdit(EditKind.EVICT, 3, 6), MemoryEdit(EditKind.RETEMPLATE, 7),
                  MemoryEdit(EditKind.PIN, 8, 1, direction=-1), MemoryEdit(EditKind.EVICT, 0, 4))}
    job = plan_job(p, video_path="/v.mp4", frame_count=12, start=0, direction=Direction.FORWARD,
                   track_ids=[1], mode=RangeMode.FRAMES, n_frames=9, memory_edits=memory)
    trk = EditingFake()
    runner = JobRunner(job, trk, ListSource(frames), threading.Event())
    outcomes = list(runner)
    frozen_after = {f: v for kind, f, v in trk.edit_log if kind == "frozen"}
    # after processing frame f writes are frozen exactly when f's appearance must stay out of memory
    assert frozen_after == {f: f in (4, 5) for f in range(0, 10)}
    slot_edits = [e for e in trk.edit_log if e[0] != "frozen"]
    # the seed frame's edit right after initialising; evict before pin on one frame; the backward
    # pin is not applied by a forward run; the retemplate uses the box tracked on frame 7
    assert [e[:3] if e[0] != "retemplate" else e[:2] for e in slot_edits] == [
        ("evict", 0, 4), ("evict", 3, 6), ("pin", 3, 2), ("retemplate", 7)]
    assert slot_edits[-1][2] == outcomes[6].results[1].box
    by_frame = {o.frame: o for o in outcomes}
    assert by_frame[3].memory[1].pinned[2] and by_frame[3].memory[1].applied == (memory[1][2], memory[1][1])
    assert by_frame[4].memory[1].frozen and not by_frame[6].memory[1].frozen
    assert runner.state.frame == 9 and runner.state.base is None  # no slot edit on the last frame
    assert frozen_at(memory[1], 5) and not frozen_at(memory[1], 6)


# ----------------------------------------------------------------------------- diagnostics store


def test_diagnostics_store_bounds_frames_and_bytes_and_shares_crops():
    store = DiagnosticsStore(max_frames=5)
    crop = np.zeros((64, 64, 3), np.uint8)
    for f in range(8):
        store.put(1, f, diag())
        store.put_slots(1, f, SlotRecord((0,) * 8, (False,) * 8, (0.0,) * 8, (crop,) * 8))
    assert store.frames(1) == [3, 4, 5, 6, 7] and store.slot_frames(1) == [3, 4, 5, 6, 7]
    one = store.nbytes
    store.put_slots(1, 7, None)
    assert store.get(1, 7) is not None and store.slots(1, 7) is None
    # the shared crop is counted once: dropping one of five records saves only the record itself
    assert 0 < one - store.nbytes < crop.nbytes
    store.drop_object(1)
    assert store.nbytes == 0 and len(store) == 0
    small = DiagnosticsStore(max_bytes=40_000)
    for f in range(10):
        small.put_slots(1, f, SlotRecord((f,) * 8, (False,) * 8, (0.0,) * 8,
                                         (np.zeros((64, 64, 3), np.uint8),) + (None,) * 7))
    assert small.nbytes <= 40_000 and small.slot_frames(1) == [7, 8, 9]  # oldest written first


# ----------------------------------------------------------------------------- forward/backward plan


def test_backward_check_plans_from_the_later_keyframe_and_never_records():
    p = Project(VideoRef("/v.mp4", 40, 160, 120, 25.0))
    b = Box(10, 10, 20, 20)
    entries = {0: BoxEntry(b, Provenance.KEYFRAME), 30: BoxEntry(b, Provenance.KEYFRAME),
               15: BoxEntry(b, Provenance.KEYFRAME)}
    entries.update({f: BoxEntry(b, Provenance.TRACKED, 0.8) for f in range(1, 30) if f != 15})
    p.objects[1] = TrackObject(1, "o", "#ff0000", entries)
    job = plan_backward_check(p, 1, video_path="/v.mp4", frame_count=40)
    assert (job.start, job.stop, job.direction, job.record) == (30, 1, Direction.BACKWARD, False)
    assert dict(job.targets[0].keyframes) == {15: b}  # re-seeds on the keyframe it passes
    del p.objects[1].entries[30]
    # without a later keyframe it starts on the last tracked frame
    assert plan_backward_check(p, 1, video_path="/v.mp4", frame_count=40).start == 29
    p.objects[1].entries = {0: BoxEntry(b, Provenance.KEYFRAME)}
    with pytest.raises(PlanError, match="no tracked frames"):
        plan_backward_check(p, 1, video_path="/v.mp4", frame_count=40)


# ----------------------------------------------------------------------------- geometry


def test_attention_grid_cells_sit_where_the_engine_moves_the_box():
    from tracker import load_tracker
    from tracker.geometry import peak_displacement

    engine = load_tracker(device="cpu")
    g = ResponseGeometry.of_tracker(engine)
    cells, zero, stride = engine._cells, engine._zero_cell, engine.net.backbone.stride
    assert (g.zero_cell, g.stride, g.search_size) == (zero, stride, engine.config.tracking.search_size)
    up = engine.config.tracking.upscale
    n_up = cells * up
    search = Box.from_center(200.0, 150.0, 310.0, 310.0)
    for row, col in ((0, 0), (zero, zero), (cells - 1, 3), (7, cells - 1)):
        # the upsampled pixel that lands exactly on this cell, and the engine's move for it
        u, v = col * (n_up - 1) / (cells - 1), row * (n_up - 1) / (cells - 1)
        dx, dy = peak_displacement(u, v, cells, up, zero, stride)
        k = search.w / g.search_size
        assert g.cell_center(search, row, col) == pytest.approx((200.0 + dx * k, 150.0 + dy * k))
        assert g.frame_to_cell(search, *g.cell_center(search, row, col)) == pytest.approx((row, col))
    grid = g.grid_rect(search, cells)
    assert grid.w == pytest.approx(cells * stride * search.w / g.search_size)
    assert search.x < grid.x and grid.x + grid.w < search.x + search.w  # the central part
    assert ResponseGeometry.of_tracker(FakeTracker()) is None
