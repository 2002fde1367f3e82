"""The shared frame loop (tracker.sequence.iter_frames): order, one read per frame, and the cancel
check that stops it before the next frame."""
from __future__ import annotations

import numpy as np

from tracker.sequence import iter_frames, track_source
from tracker.types import Box


class Frames:
    def __init__(self, n: int, size: int = 8):
        self.frames = [np.full((size, size, 3), i, np.uint8) for i in range(n)]
        self.width = self.height = size
        self.reads: list[int] = []

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, index: int) -> np.ndarray:
        self.reads.append(index)
        return self.frames[index]


def test_forward_and_backward_order_each_frame_read_once():
    src = Frames(10)
    assert [f for f, _ in iter_frames(src, 2, 7)] == [2, 3, 4, 5, 6, 7]
    assert src.reads == [2, 3, 4, 5, 6, 7]
    src = Frames(10)
    assert [int(img[0, 0, 0]) for _, img in iter_frames(src, 9, 0, -1)] == list(range(9, -1, -1))
    assert sorted(src.reads) == list(range(10))


def test_cancel_stops_before_the_next_frame_is_read():
    for step, (start, stop) in ((1, (0, 9)), (-1, (9, 0))):
        src = Frames(10)
        seen = []
        for f, _ in iter_frames(src, start, stop, step, block_bytes=8 * 8 * 3 * 3,
                                cancelled=lambda: len(seen) >= 4):
            seen.append(f)
        assert len(seen) == 4
        assert len(src.reads) <= 4 + 2  # at most the rest of one backward block was decoded


class Recorder:
    def __init__(self):
        self.calls = []

    def initialize(self, frame, box, target_id=0, frame_index=0):
        self.calls.append(("initialize", frame_index))

    def track_all(self, frame, frame_index=None):
        from tracker.result import TrackResult

        self.calls.append(("track", frame_index))
        return {0: TrackResult(Box(0, 0, 2, 2), 1.0)}


def test_track_source_runs_on_the_frame_loop_and_can_be_cancelled():
    trk, src = Recorder(), Frames(6)
    out = list(track_source(trk, src, Box(0, 0, 2, 2), start=5, backward=True))
    assert [i for i, _ in out] == [5, 4, 3, 2, 1, 0] and out[0][1] is None
    assert trk.calls[0] == ("initialize", 5) and trk.calls[-1] == ("track", 0)
    trk, src = Recorder(), Frames(6)
    done = []
    for i, _ in track_source(trk, src, Box(0, 0, 2, 2), cancelled=lambda: len(done) >= 3):
        done.append(i)
    assert done == [0, 1, 2]
