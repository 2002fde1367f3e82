"""Render synthetic sequences (tracker.training.data.synthetic) to an OTB-style folder, so held-out
synthetic video can be scored with `python main.py eval` (model selection without touching the
evaluation set).

    python scripts/render_synthetic_otb.py OUT_DIR [--count 12] [--seed 777]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.training.data import DEFAULT_IMAGE_DIRS, DEFAULT_VIDEO_FILES, synthetic_sequences  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--images", action="append", default=None)
    args = ap.parse_args()
    images = args.images or [d for d in DEFAULT_IMAGE_DIRS if Path(d).is_dir()]
    videos = [v for v in DEFAULT_VIDEO_FILES if Path(v).is_file()] or None
    for seq in synthetic_sequences(images, args.count, seed=args.seed, videos=videos):
        folder = args.out / seq.name.replace("/", "_")
        (folder / "img").mkdir(parents=True, exist_ok=True)
        lines = []
        for i, box in enumerate(seq.boxes):
            frame, _ = seq.read(i)
            cv2.imwrite(str(folder / "img" / f"{i + 1:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 92])
            lines.append("nan,nan,nan,nan" if box is None else f"{box.x + 1:.2f},{box.y + 1:.2f},{box.w:.2f},{box.h:.2f}")
        (folder / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
        print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
