"""Tracking speed: MemTrack per-frame time split into crop / backbone / memory network / post-processing,
next to OpenCV's CSRT and NanoTrack v2 run in the same process on the same (pre-decoded) frames, and
multi-target throughput. Prints absolute figures and ratios (ratios are what compare across machines).

    python bench/speed.py [--device auto|cpu|cuda] [--frames 150] [--targets 16] [--threads N]
                          [--weights FILE] [--compare FILE]
    python bench/speed.py --contention [--frames 60] [--rounds 3]

--contention times MemTrack (1 target, CPU) while a second CPU-bound process (a Python busy loop)
runs next to it, with the threads ``auto`` chooses (tracker.threads), with one thread per usable
core (what PyTorch takes by default) and with 1 thread, alternating in one process run; it prints
the fps of each and their ratios.

--compare FILE times other weights (e.g. the previous default) in the same process, alternating with
the default, and prints the ms-per-frame ratio: the check that a change of weights or model costs no speed.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tracker import Box, load_tracker, open_source  # noqa: E402

SEQUENCES = REPO.parent / "shared" / "data" / "sequences"
NANO = REPO.parent / "shared" / "models" / "nanotrack_v2"


def load_frames(limit: int) -> tuple[str, list[np.ndarray], Box]:
    """The first shared sequence with enough frames, else the bundled sample clip."""
    if SEQUENCES.is_dir():
        for seq in sorted(p for p in SEQUENCES.iterdir() if p.is_dir()):
            src = open_source(seq / "img")
            first = open(seq / "groundtruth_rect.txt").readline().replace("\t", ",").split(",")
            x, y, w, h = (float(v) for v in first[:4])
            frames = [src.read(i) for i in range(min(limit, len(src)))]
            return seq.name, frames, Box(x - 1, y - 1, w, h)  # OTB is 1-based
    src = open_source(REPO / "resources" / "sample" / "sample.mp4")
    x, y, w, h = (float(v) for v in open(REPO / "resources" / "sample" / "sample_groundtruth.txt").readline().split(","))
    return "sample", [src.read(i) for i in range(min(limit, len(src)))], Box(x, y, w, h)


def time_opencv(make, frames: list[np.ndarray], box: Box) -> float:
    bgr = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames]
    tracker = make()
    tracker.init(bgr[0], tuple(int(round(v)) for v in box.as_tuple()))
    start = time.perf_counter()
    for f in bgr[1:]:
        tracker.update(f)
    return (len(bgr) - 1) / (time.perf_counter() - start)


def make_nano():
    params = cv2.TrackerNano_Params()
    params.backbone = str(NANO / "nanotrack_backbone_sim.onnx")
    params.neckhead = str(NANO / "nanotrack_head_sim.onnx")
    return cv2.TrackerNano_create(params)


def time_memtrack(frames, boxes: list[Box], device: str, weights=None) -> tuple[float, dict[str, float], str]:
    trk = load_tracker(weights, device=device, diagnostics=False, profile=True)
    for n, b in enumerate(boxes):
        trk.initialize(frames[0], b, target_id=n)
    trk.track_all(frames[1])  # warm-up
    trk.stage_seconds.clear()
    if trk.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for f in frames[2:]:
        trk.track_all(f)
    elapsed = time.perf_counter() - start
    n = len(frames) - 2
    stages = {k: 1000 * v / n for k, v in trk.stage_seconds.items()}
    return n / elapsed, stages, trk.device.type


def time_memtrack_unprofiled(frames, boxes, device: str, weights=None) -> float:
    trk = load_tracker(weights, device=device, diagnostics=False)
    for n, b in enumerate(boxes):
        trk.initialize(frames[0], b, target_id=n)
    trk.track_all(frames[1])
    if trk.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for f in frames[2:]:
        trk.track_all(f)
    if trk.device.type == "cuda":
        torch.cuda.synchronize()
    return (len(frames) - 2) / (time.perf_counter() - start)


def jittered(box: Box, n: int, frame_shape) -> list[Box]:
    rng = np.random.default_rng(0)
    h, w = frame_shape[:2]
    out = [box]
    while len(out) < n:
        cx = rng.uniform(0.2, 0.8) * w
        cy = rng.uniform(0.2, 0.8) * h
        out.append(Box.from_center(cx, cy, box.w, box.h))
    return out


BUSY_LOOP = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"


def contention(frames, box: Box, weights, rounds: int) -> int:
    """fps with auto / all-cores / 1 thread while a CPU-bound process runs beside the tracker."""
    from tracker.threads import choose_threads, usable_cores

    cores = usable_cores()
    busy = subprocess.Popen([sys.executable, "-c", BUSY_LOOP.format(seconds=3600)])
    try:
        time.sleep(2.0)  # let the load average see the busy process
        auto = choose_threads("auto", reserve_gui=True)
        settings = {"auto": auto.threads, "all cores": cores, "1 thread": 1}
        print(f"contention: a CPU-bound process runs beside the tracker; {cores} usable cores; "
              f"{auto.describe()}")
        fps: dict[str, list[float]] = {k: [] for k in settings}
        for _ in range(rounds):  # alternate, so that drifts in the machine's load hit every setting alike
            for name, n in settings.items():
                torch.set_num_threads(n)
                cv2.setNumThreads(n)
                fps[name].append(time_memtrack_unprofiled(frames, [box], "cpu", weights))
    finally:
        busy.kill()
        busy.wait()
    best = {k: max(v) for k, v in fps.items()}
    for name, n in settings.items():
        runs = ", ".join(f"{v:.1f}" for v in fps[name])
        print(f"  {name:<9} ({n} threads): best {best[name]:6.1f} fps  (rounds: {runs})")
    print(f"  ratios: auto / all cores = {best['auto'] / best['all cores']:.2f}x, "
          f"auto / 1 thread = {best['auto'] / best['1 thread']:.2f}x")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--targets", type=int, default=16)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    ap.add_argument("--weights", default=None, help="MemTrack weights (default: the bundled default)")
    ap.add_argument("--compare", default=None, metavar="FILE", help="other weights to time against, same process")
    ap.add_argument("--contention", action="store_true",
                    help="time auto / all-cores / 1 thread next to a second CPU-bound process")
    ap.add_argument("--rounds", type=int, default=3, help="--contention: rounds of the three settings")
    args = ap.parse_args()
    if args.contention:
        name, frames, box = load_frames(args.frames)
        print(f"frames: {name}, {len(frames)} x {frames[0].shape[1]}x{frames[0].shape[0]}; torch {torch.__version__}")
        return contention(frames, box, args.weights, args.rounds)
    if args.threads:
        torch.set_num_threads(args.threads)
    name, frames, box = load_frames(args.frames)
    h, w = frames[0].shape[:2]
    print(f"frames: {name}, {len(frames)} x {w}x{h}; torch {torch.__version__}, {torch.get_num_threads()} threads")

    fps1, stages, dev = time_memtrack(frames, [box], args.device, args.weights)
    fps1_clean = time_memtrack_unprofiled(frames, [box], args.device, args.weights)
    print(f"\nMemTrack, 1 target on {dev}: {fps1_clean:.1f} fps ({1000 / fps1_clean:.1f} ms/frame)")
    total = sum(stages.values())
    for k in ("crop", "backbone", "memory", "post"):
        print(f"  {k:<9} {stages.get(k, 0):6.2f} ms  ({100 * stages.get(k, 0) / total:4.1f} %)")

    baselines = {"csrt": lambda: cv2.TrackerCSRT_create()}
    if (NANO / "nanotrack_backbone_sim.onnx").is_file():
        baselines["nanotrack_v2"] = make_nano
    else:
        print("  (NanoTrack models not found in ../shared/models: skipped)")
    print()
    for bname, make in baselines.items():
        fps = time_opencv(make, frames, box)
        print(f"{bname:<13} {fps:7.1f} fps   MemTrack / {bname} = {fps1_clean / fps:5.2f}x")

    if args.compare:
        # alternate three times so that load drifts hit both sides alike; best of three each
        ours, theirs = [], []
        for _ in range(3):
            ours.append(1000 / time_memtrack_unprofiled(frames, [box], args.device, args.weights))
            theirs.append(1000 / time_memtrack_unprofiled(frames, [box], args.device, args.compare))
        print(f"\nms per frame, best of 3: these weights {min(ours):.1f}, {Path(args.compare).name} "
              f"{min(theirs):.1f}: ratio {min(ours) / min(theirs):.2f}x")

    boxes = jittered(box, args.targets, frames[0].shape)
    fpsn = time_memtrack_unprofiled(frames, boxes, args.device, args.weights)
    print(f"\nMemTrack, {args.targets} targets batched: {fpsn:.1f} frames/s = {fpsn * args.targets:.0f} "
          f"target-frames/s ({fpsn * args.targets / fps1_clean:.2f}x the single-target rate)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
