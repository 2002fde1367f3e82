"""Build a demo project on the bundled sample clip with the real engine (for screenshots).

Two objects: the ball (keyframes at 0 and 60, tracked in between and after) and the car
(keyframe at 0, tracked to 59, keyframes at 60 and 90 with interpolation between them).
Run: .venv/bin/python bench/gui_demo_project.py /tmp/demo/sample.memtrack.json
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.core import edits  # noqa: E402
from app.core.store import AnnotationStore  # noqa: E402
from app.core.tracking_job import Direction, JobRunner, RangeMode, plan_job  # noqa: E402
from tracker import load_tracker  # noqa: E402
from tracker.project import save_project  # noqa: E402
from tracker.types import Box  # noqa: E402
from tracker.video import open_source  # noqa: E402

SAMPLE = REPO / "resources" / "sample"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    ball = [Box.parse(x) for x in (SAMPLE / "sample_groundtruth.txt").read_text().split()]
    car = [Box.parse(x) for x in (SAMPLE / "sample_groundtruth_car.txt").read_text().split()]
    video = SAMPLE / "sample.mp4"
    source = open_source(video)
    from app.core.document import new_project

    project = new_project(video, len(source), source.width, source.height, source.fps)
    store = AnnotationStore(project)
    project.labels[:] = ["ball", "car"]
    store.execute(edits.add_object(project, "ball", 0, ball[0])[0])
    store.execute(edits.add_object(project, "car", 0, car[0])[0])
    store.execute(edits.set_keyframe(project, 1, 60, ball[60]))
    store.execute(edits.set_keyframe(project, 2, 60, car[60]))
    store.execute(edits.set_keyframe(project, 2, 90, car[90]))
    engine = load_tracker(device=args.device)
    t0 = time.perf_counter()
    for tids, mode, frames in (([1], RangeMode.FRAMES, 95), ([2], RangeMode.TO_NEXT_KEYFRAME, 0)):
        job = plan_job(project, video_path=str(video), frame_count=len(source), start=0,
                       direction=Direction.FORWARD, track_ids=tids, mode=mode, n_frames=frames or 1)
        store.begin_batch("Track forward")
        n = 0
        for outcome in JobRunner(job, engine, source.clone(), threading.Event()):
            for tid, result in outcome.results.items():
                change = edits.tracked_change(project, tid, outcome.frame, result)
                store.apply_in_batch([change] if change else [])
            n += 1
        store.end_batch()
        print(f"tracked #{tids[0]}: {n} frames")
    store.execute(edits.interpolate(project, 2, 60, 90))
    save_project(args.out, project)
    print(f"wrote {args.out} in {time.perf_counter() - t0:.1f} s ({engine.describe()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
