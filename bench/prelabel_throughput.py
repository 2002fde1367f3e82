"""Throughput of `main.py prelabel` on the bundled sample: videos/hour and frames/s for 1 and 2 local
workers (the numbers in README, "Scaling out").

    python bench/prelabel_throughput.py [--copies 4] [--workers 1,2] [--runner ray|pool]
                                        [--keyframe-every 50] [--device cpu]

The collection is ``--copies`` entries of resources/sample/sample.mp4 (150 frames, 480x270), each with
both objects (ball and car) keyframed from the sample's ground truth every ``--keyframe-every`` frames;
every other frame is propagated (two-sided fill between keyframes, forward after the last). Each worker
count runs the real command in a fresh process into a fresh folder; the figures are its summary.json
(wall time from the first submission to the last result, Ray's start-up included). Frames/s counts
tracked boxes (one object on one frame) per second of wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tracker.project import BoxEntry, Project, Provenance, save_project  # noqa: E402
from tracker.types import Box  # noqa: E402
from tracker.video import open_source  # noqa: E402

SAMPLE = REPO / "resources" / "sample"


def keyframe_project(every: int) -> Project:
    video = SAMPLE / "sample.mp4"
    with open_source(video) as src:
        from tracker.project import VideoRef

        project = Project(VideoRef(str(video), len(src), src.width, src.height, float(src.fps)))
    for label, name in (("ball", "sample_groundtruth.txt"), ("car", "sample_groundtruth_car.txt")):
        boxes = [Box.parse(line) for line in (SAMPLE / name).read_text().split()]
        obj = project.new_object(label)
        for f in range(0, len(boxes), every):
            obj.entries[f] = BoxEntry(boxes[f], Provenance.KEYFRAME)
    return project


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=4)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--runner", choices=("ray", "pool"), default="ray")
    p.add_argument("--keyframe-every", type=int, default=50)
    p.add_argument("--device", default="cpu")
    p.add_argument("--formats", default="coco,mot")
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="prelabel_bench_"))
    save_project(root / "keyframes.json", keyframe_project(args.keyframe_every))
    lines = ["video,keyframes,format,id"] + [f"{SAMPLE / 'sample.mp4'},keyframes.json,project,copy{k}"
                                             for k in range(args.copies)]
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; python {platform.python_version()}")
    print(f"{args.copies} copies of the sample (150 frames, 2 objects, keyframes every {args.keyframe_every} frames), "
          f"runner {args.runner}, device {args.device}")
    for workers in (int(w) for w in args.workers.split(",")):
        out = root / f"out_{workers}"
        cmd = [sys.executable, str(REPO / "main.py"), "prelabel", str(root / "manifest.csv"), "--out", str(out),
               "--format", args.formats, "--workers", str(workers), "--runner", args.runner, "--device", args.device]
        run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr[-2000:], file=sys.stderr)
            return run.returncode
        s = json.loads((out / "summary.json").read_text())
        per_video = [v["seconds"] for v in s["videos"] if v["status"] == "done"]
        print(f"workers {workers}: {s['done']} videos, {s['tracked_boxes']} tracked boxes in {s['wall_seconds']:.1f} s: "
              f"{s['videos_per_hour']:.1f} videos/hour, {s['frames_per_second']:.2f} frames/s "
              f"(per video {min(per_video):.1f}-{max(per_video):.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
