"""The bundled sample clip: it opens frame-exact, and its ground truth is the renderer's geometry."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tracker.formats.labelstudio_media import browser_playable
from tracker.types import Box
from tracker.video import open_source

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample"


@pytest.fixture(scope="module")
def renderer():
    spec = importlib.util.spec_from_file_location("render_sample", REPO / "scripts" / "render_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("render_sample", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _read_gt(path: Path) -> list[Box]:
    return [Box.parse(line) for line in path.read_text().splitlines() if line.strip()]


def test_clip_opens_with_expected_size_and_length(renderer):
    with open_source(SAMPLE / "sample.mp4") as src:
        assert len(src) == renderer.FRAMES == 150
        assert (src.width, src.height) == (renderer.WIDTH, renderer.HEIGHT)
        assert src.fps == pytest.approx(25.0)
    assert (SAMPLE / "sample.mp4").stat().st_size < 1_500_000
    playable, fourcc = browser_playable(SAMPLE / "sample.mp4")  # H.264 or VP9, not mp4v
    assert playable, f"the sample clip is {fourcc}, which browsers do not play"
    for name in (renderer.MAIN_GT, renderer.SECOND_GT):
        boxes = _read_gt(SAMPLE / name)
        assert len(boxes) == renderer.FRAMES
        for box in boxes:
            box.check_inside(renderer.WIDTH, renderer.HEIGHT)


@pytest.mark.parametrize("k", [0, 67, 149])
def test_rerendered_frame_matches_stored_video_and_ground_truth(renderer, k):
    frame, places = renderer.render_frame(k)
    main, car = _read_gt(SAMPLE / renderer.MAIN_GT)[k], _read_gt(SAMPLE / renderer.SECOND_GT)[k]
    assert places["ball"].as_tuple() == pytest.approx(main.as_tuple(), abs=1e-3)
    assert places["car"].as_tuple() == pytest.approx(car.as_tuple(), abs=1e-3)
    with open_source(SAMPLE / "sample.mp4") as src:
        decoded = src.read(k)
        other = src.read((k + 40) % len(src))
    # lossy codec: close to the rendered frame, and clearly closer than to another frame
    err = np.abs(decoded.astype(np.int16) - frame).mean()
    assert err < 6.0
    assert err < np.abs(other.astype(np.int16) - frame).mean() / 2


def test_ground_truth_box_covers_the_ball(renderer):
    """The ball is red/orange with a white star: warm pixels fill its box, and the box is tight."""
    def warm_fraction(img: np.ndarray) -> float:
        r, b = img[..., 0].astype(int), img[..., 2].astype(int)
        return float(((r > 150) & (r > b + 60)).mean())

    for k in (10, 100):
        frame, places = renderer.render_frame(k)
        box = places["ball"]
        x0, y0, x1, y1 = (int(round(v)) for v in (box.x, box.y, box.x + box.w, box.y + box.h))
        assert warm_fraction(frame[y0:y1, x0:x1]) > 0.3
        shifted = frame[y0:y1, x1 + 2 : x1 + 2 + (x1 - x0)]  # the same-sized region just to the right
        assert warm_fraction(shifted) < 0.1
