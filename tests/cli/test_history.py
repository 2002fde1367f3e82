"""SnapshotHistory: bounded memory, even spread, exact resume from any earlier frame."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import moving_square_frames
from tracker import Box, load_tracker
from tracker.history import SnapshotHistory


@pytest.fixture(scope="module")
def run():
    frames, boxes = moving_square_frames(n=14)
    trk = load_tracker(device="cpu")
    trk.initialize(frames[0], Box(*boxes[0]))
    history = SnapshotHistory(max_bytes=10**12)
    history.add(0, trk.snapshot(), pinned=True)
    results = {}
    for i in range(1, len(frames)):
        results[i] = trk.track_all(frames[i], frame_index=i)[0]
        history.add(i, trk.snapshot())
    return frames, trk, history, results


def test_resume_from_any_frame_is_bit_identical(run):
    frames, trk, history, results = run
    per_snapshot = history.nearest(5)[1].nbytes
    sparse = SnapshotHistory(max_bytes=4 * per_snapshot)
    for f in history.frames:
        sparse.add(f, history.nearest(f)[1], pinned=f == 0)
    assert len(sparse) == 4 and sparse.nbytes <= 4 * per_snapshot
    assert 0 in sparse.frames and max(history.frames) in sparse.frames  # ends kept
    # resume after frame 9 and track frames 10.. again
    replayed = sparse.replay_to(trk, 9, frames.__getitem__)
    assert replayed >= 1  # frame 9 itself was not kept, so frames were re-tracked
    for i in range(10, len(frames)):
        again = trk.track_all(frames[i], frame_index=i)[0]
        first = results[i]
        assert again.box == first.box and again.score == first.score
        for name in ("attention", "response", "read_weights", "write_weights", "usage", "gates"):
            assert np.array_equal(getattr(again.diagnostics, name), getattr(first.diagnostics, name)), name


def test_budget_is_respected_and_spread_is_even(run):
    _, _, history, _ = run
    size = history.nearest(3)[1].nbytes
    h = SnapshotHistory(max_bytes=5 * size)
    for f in history.frames:
        h.add(f, history.nearest(f)[1])
    assert h.nbytes <= 5 * size and len(h) == 5
    gaps = np.diff(h.frames)
    assert gaps.max() - gaps.min() <= 2  # evenly spread over 0..13


def test_pinned_snapshots_survive_and_discard_after(run):
    _, _, history, _ = run
    size = history.nearest(3)[1].nbytes
    h = SnapshotHistory(max_bytes=2 * size)
    for f in history.frames:
        h.add(f, history.nearest(f)[1], pinned=f in (0, 7))
    assert {0, 7} <= set(h.frames)
    h.discard_after(7)
    assert max(h.frames) == 7
    with pytest.raises(LookupError):
        SnapshotHistory().replay_to(None, 3, lambda i: None)  # type: ignore[arg-type]


def test_atomic_writes_get_the_usual_file_mode(tmp_path):
    import os

    from tracker.atomic import atomic_write_text, current_umask

    target = tmp_path / "project.json"
    atomic_write_text(target, "{}")
    assert target.read_text() == "{}"
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~current_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["project.json"]  # no temp file left
