"""GUI-thread time of one box edit at 3 k and at 300 k boxes (goal: the ratio stays near 1).

A window opens a project on a tiny generated video (3000 frames, 64x48): 3 k boxes is one object
tracked on every frame, 300 k boxes one hundred. Each edit is what a box drag ends with
(`FrameView.box_edited`): the command, the undo record, the views' refresh and the autosave
request, until the event loop is idle again. `time.thread_time()` is the GUI thread's own CPU
time, so the autosave's serialisation on its own thread is not counted (its time is printed).
Two kinds of edit: moving the keyframe on frame 0 again (the timeline looks the same after it), and
correcting a tracked box into a new keyframe on the frame on screen (the object's timeline row
changes). Every object has a box on frame 0, at the same place: the frame view draws all 100 there.

Run: .venv/bin/python bench/edit_latency.py [--edits N] [--profile] [--spread]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from tracker.project import BoxEntry, Project, Provenance, TrackObject, VideoRef, save_project  # noqa: E402
from tracker.types import Box  # noqa: E402

FRAMES = 3000
RATIO_GOAL = 1.5  # 300 k / 3 k boxes, GUI-thread time per edit


def make_video(path: Path, n: int = FRAMES) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    frame = np.full((48, 64, 3), 90, np.uint8)
    for _ in range(n):
        writer.write(frame)
    writer.release()


def make_project(path: Path, video: Path, objects: int, spread: bool = False) -> None:
    project = Project(video=VideoRef(str(video), FRAMES, 64, 48, 25.0))
    for tid in range(1, objects + 1):
        if spread:  # each object in its own cell of a 10 x 10 grid: no box overlaps another
            x, y, w, h = 6.4 * ((tid - 1) % 10) + 1, 4.8 * ((tid - 1) // 10) + 1, 4, 3
            entries = {f: BoxEntry(Box(x + f % 2, y, w, h), Provenance.TRACKED, 0.9) for f in range(FRAMES)}
            entries[0] = BoxEntry(Box(x, y, w, h), Provenance.KEYFRAME)
            project.objects[tid] = TrackObject(tid, "object", "#ff0000", entries)
            continue
        entries = {f: BoxEntry(Box(10 + f % 7, 10, 20, 20), Provenance.TRACKED, 0.9) for f in range(FRAMES)}
        entries[0] = BoxEntry(Box(10, 10, 20, 20), Provenance.KEYFRAME)
        project.objects[tid] = TrackObject(tid, "object", "#ff0000", entries)
    save_project(path, project)


def spread_box(kind: int, i: int) -> Box:
    """Object 1's box moved within its own grid cell (``--spread``)."""
    return Box(1.5 + 0.5 * (i % 3), 1.0 + 0.4 * kind + 0.3 * (i % 2), 4, 3)


def drain(app: QtWidgets.QApplication, seconds: float = 0.0) -> None:
    """Process events, for ``seconds`` of wall time when given (the views refresh on coalescing
    timers of up to ~0.2 s); the waits sleep, so they add next to nothing to the thread's CPU time."""
    end = time.perf_counter() + seconds
    while True:
        app.processEvents()
        if time.perf_counter() >= end:
            return
        time.sleep(0.005)


def measure(app, folder: Path, video: Path, objects: int, edits: int, profile: bool, spread: bool = False) -> dict:
    from app.application import create_window

    project_file = folder / f"p{objects}.memtrack.json"
    make_project(project_file, video, objects, spread)
    w = create_window(str(folder / f"s{objects}.ini"), folder / f"rec{objects}")
    t0 = time.perf_counter()
    assert w.files.open_path(project_file)
    print(f"{objects * FRAMES} boxes: opened in {time.perf_counter() - t0:.1f} s", flush=True)
    w.show()
    deadline = time.time() + 20
    while w.displayed_frame != 0 and time.time() < deadline:
        drain(app)
    drain(app)
    profiler = cProfile.Profile() if profile else None

    def timed_edit(frame: int, box: Box) -> float:
        t0 = time.thread_time()
        if profiler:
            profiler.enable()
        w.frame_view.box_edited.emit(frame, 1, box)
        drain(app, 0.4)
        if profiler:
            profiler.disable()
        return time.thread_time() - t0

    # 1. the keyframe on frame 0 moved again and again (the timeline row looks the same after it)
    times = [timed_edit(0, spread_box(0, i) if spread else Box(12 + i % 5, 11, 20, 20)) for i in range(edits)]
    # 2. a tracked box corrected into a new keyframe on the frame on screen (the row gains a
    #    keyframe: its spans, strip and markers change); the seek before each edit is not timed
    new_key = []
    for i in range(edits):
        frame = 1 + 7 * i
        w.seek(frame)
        deadline = time.time() + 10
        while w.displayed_frame != frame and time.time() < deadline:
            drain(app)
        drain(app, 0.3)
        new_key.append(timed_edit(frame, Box(14, 12 + i % 3, 20, 20)))
    t0 = time.perf_counter()
    w.files.autosaver.flush()
    flush_s = time.perf_counter() - t0
    writes = w.files.autosaver.writes
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    w.store.mark_saved()  # close without the save question
    w.close()
    drain(app)
    return {"boxes": objects * FRAMES, "median_ms": 1000 * statistics.median(times),
            "max_ms": 1000 * max(times), "new_key_ms": 1000 * statistics.median(new_key),
            "writes": writes, "flush_s": flush_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile the edits at the larger size")
    parser.add_argument("--objects", type=int, default=100, help="objects of 3000 boxes in the larger project")
    parser.add_argument("--spread", action="store_true",
                        help="boxes in a grid, none over another (by default every box of a frame is at one place, "
                             "so the frame view redraws all of them around an edited box)")
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = folder / "long.mp4"
        make_video(video)
        small = measure(app, folder, video, 1, args.edits, False, args.spread)
        large = measure(app, folder, video, args.objects, args.edits, args.profile, args.spread)
    for r in (small, large):
        print(f"{r['boxes']:>7} boxes: GUI-thread time per edit median {r['median_ms']:.1f} ms, "
              f"max {r['max_ms']:.1f} ms (moving the keyframe on frame 0); {r['new_key_ms']:.1f} ms "
              f"(a tracked box made a keyframe); autosave thread: {r['writes']} writes, "
              f"{r['flush_s']:.2f} s to drain after the last edit")
    ratio = large['median_ms'] / small['median_ms']
    new_ratio = large['new_key_ms'] / small['new_key_ms']
    print(f"ratio {large['boxes'] // 1000}k/3k (median GUI-thread time per edit): {ratio:.2f} "
          f"(goal under {RATIO_GOAL}: {'met' if ratio < RATIO_GOAL else 'NOT met'}); "
          f"new keyframe on a tracked frame: {new_ratio:.2f} ({'met' if new_ratio < RATIO_GOAL else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
