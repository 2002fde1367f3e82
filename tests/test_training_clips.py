"""Clip sampling and cropping (spec 8.1, 8.2) on a synthetic sequence with a known coloured square."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tracker.training.data import (
    ClipConfig,
    ClipDataset,
    DatasetError,
    Sequence,
    ValidationClipDataset,
    clip_loader,
    context_side,
    evenly_spaced_indices,
    make_clip,
    sample_clip,
    sample_frame_indices,
)
from tracker.types import Box

H, W = 180, 240
RED = (230, 20, 20)


class SquareVideo:
    """A red w x h rectangle moving over a green/blue gradient; frame i has it at ``box(i)``."""

    def __init__(self, n: int = 60, size: tuple[float, float] = (24.0, 16.0)):
        self.n, self.size = n, size
        yy, xx = np.mgrid[0:H, 0:W]
        self.bg = np.dstack([np.full((H, W), 40), 60 + xx * 150 // W, 60 + yy * 150 // H]).astype(np.uint8)

    def box(self, i: int) -> Box | None:
        if i % 10 == 9:  # absent every tenth frame
            return None
        x = 10.0 + 3.0 * i
        y = 20.0 + 1.5 * i + 10 * np.sin(i / 5)
        return Box(x, float(y), *self.size)

    def __call__(self, i: int) -> np.ndarray:
        frame = self.bg.copy()
        b = self.box(i)
        if b is not None:
            x0, y0 = int(round(b.x)), int(round(b.y))
            frame[y0 : y0 + int(b.h), x0 : x0 + int(b.w)] = RED
        return frame

    def sequence(self) -> Sequence:
        boxes = tuple(self.box(i) for i in range(self.n))
        # integer boxes: the drawn rectangle is exactly the box
        boxes = tuple(None if b is None else Box(round(b.x), round(b.y), b.w, b.h) for b in boxes)
        return Sequence("square", boxes, reader=self)


@pytest.fixture
def square_seq() -> Sequence:
    return SquareVideo().sequence()


def test_frame_indices_are_sorted_distinct_and_present(square_seq):
    rng = np.random.default_rng(3)
    for _ in range(20):
        idx = sample_frame_indices(square_seq, rng, 17)
        assert len(idx) == 17 and len(set(idx.tolist())) == 17
        assert np.all(np.diff(idx) > 0)
        assert all(square_seq.boxes[i] is not None for i in idx)
        assert idx[-1] != square_seq.present[-1]  # spec 8.2: the last frame is never drawn
    short = Sequence("short", tuple(Box(0, 0, 5, 5) for _ in range(17)), reader=lambda i: None)
    with pytest.raises(ValueError, match="16 usable frames, a clip needs 17"):
        sample_frame_indices(short, rng, 17)


def test_clip_shapes_ranges_and_dtypes(square_seq):
    clip = sample_clip(square_seq, np.random.default_rng(0))
    assert clip.exemplars.shape == (16, 3, 127, 127) and clip.exemplars.dtype == np.float32
    assert clip.searches.shape == (16, 3, 255, 255) and clip.searches.dtype == np.float32
    assert clip.search_boxes.shape == (16, 4)
    assert clip.frame_indices.shape == (17,)
    for a in (clip.exemplars, clip.searches):
        assert a.min() >= 0.0 and a.max() <= 1.0 and a.max() > 0.5
    small = sample_clip(square_seq, np.random.default_rng(0), uint8=True)
    assert small.searches.dtype == np.uint8
    np.testing.assert_allclose(small.searches / 255.0, clip.searches, atol=1e-6)


def _colour_at(image_chw: np.ndarray, x: float, y: float) -> np.ndarray:
    return image_chw[:, int(y), int(x)] * 255


def test_search_box_lies_on_the_drawn_target(square_seq):
    """The transformed box's centre is red, and points just outside the box are not."""
    for seed in range(4):
        clip = sample_clip(square_seq, np.random.default_rng(seed))
        for t in range(16):
            x, y, w, h = clip.search_boxes[t]
            frame_box = square_seq.boxes[clip.frame_indices[t + 1]]
            # size: the box scaled by 127 / Z and the search stretch (spec 8.2: +-5 %)
            k = 127 / context_side(frame_box.w, frame_box.h)
            assert w == pytest.approx(frame_box.w * k, rel=0.06)
            assert h == pytest.approx(frame_box.h * k, rel=0.06)
            # position: near the centre, off by the shift (<= 4 px in the patch, scaled to 255)
            assert abs(x + w / 2 - 127.5) <= 4.5 and abs(y + h / 2 - 127.5) <= 4.5
            red = np.array(RED)
            assert np.abs(_colour_at(clip.searches[t], x + w / 2, y + h / 2) - red).max() < 10
            for px, py in ((x + 0.2 * w, y + 0.2 * h), (x + 0.8 * w, y + 0.8 * h)):
                assert np.abs(_colour_at(clip.searches[t], px, py) - red).max() < 40
            for px, py in ((x - 3, y + h / 2), (x + w + 3, y + h / 2), (x + w / 2, y - 3), (x + w / 2, y + h + 3)):
                assert np.abs(_colour_at(clip.searches[t], px, py) - red).max() > 60


def test_first_exemplar_is_the_unaugmented_centre(square_seq):
    clip = sample_clip(square_seq, np.random.default_rng(1))
    box = square_seq.boxes[clip.frame_indices[0]]
    k = 127 / context_side(box.w, box.h)
    w, h = box.w * k, box.h * k
    ex = clip.exemplars[0]
    red = np.array(RED)
    # symmetric: red at the centre and just inside all four edges, background just outside
    assert np.abs(_colour_at(ex, 63.5, 63.5) - red).max() < 10
    for dx, dy in ((w / 2 - 2, 0), (-w / 2 + 2, 0), (0, h / 2 - 2), (0, -h / 2 + 2)):
        assert np.abs(_colour_at(ex, 63.5 + dx, 63.5 + dy) - red).max() < 40
    for dx, dy in ((w / 2 + 3, 0), (-w / 2 - 3, 0), (0, h / 2 + 3), (0, -h / 2 - 3)):
        assert np.abs(_colour_at(ex, 63.5 + dx, 63.5 + dy) - red).max() > 60


def test_padding_outside_the_frame_is_the_integer_mean_colour():
    frame = SquareVideo().bg.copy()
    frame[0:16, 0:24] = RED  # the target in the top-left corner: its crops reach past the frame

    seq = Sequence("corner", (Box(0, 0, 24, 16),) * 2, reader=lambda i: frame)
    clip = make_clip(seq, [0, 1], np.random.default_rng(0), uint8=True)
    mean = np.round(frame.reshape(-1, 3).mean(0)).astype(np.uint8)
    assert np.array_equal(clip.searches[0][:, 2, 2], mean)
    assert np.array_equal(clip.exemplars[0][:, 1, 1], mean)


def test_clips_are_deterministic_per_seed(square_seq):
    a = sample_clip(square_seq, np.random.default_rng(7))
    b = sample_clip(square_seq, np.random.default_rng(7))
    c = sample_clip(square_seq, np.random.default_rng(8))
    assert np.array_equal(a.frame_indices, b.frame_indices)
    assert np.array_equal(a.searches, b.searches) and np.array_equal(a.search_boxes, b.search_boxes)
    assert not np.array_equal(a.search_boxes, c.search_boxes)


def test_validation_uses_evenly_spaced_frames(square_seq):
    idx = evenly_spaced_indices(square_seq, 9)
    present = square_seq.present
    assert idx[0] == present[0] and idx[-1] == present[-1]
    assert len(set(idx.tolist())) == 9 and np.all(np.diff(idx) > 0)
    data = ValidationClipDataset([square_seq], seed=0, config=ClipConfig(validation_frames=9))
    item = data[0]
    assert item["exemplars"].shape == (8, 3, 127, 127) and item["searches"].shape == (8, 3, 255, 255)
    assert torch.equal(item["frame_indices"], torch.from_numpy(idx))
    assert len(ValidationClipDataset([square_seq])[0]["frame_indices"]) == 49  # spec default, 54 present
    with pytest.raises(DatasetError, match="49 annotated frames"):
        ValidationClipDataset([SquareVideo(n=50).sequence()])  # 45 present frames


def test_dataset_batches_and_exact_resume(square_seq):
    other = SquareVideo(n=40, size=(30.0, 30.0)).sequence()
    data = ClipDataset([square_seq, other], length=12, seed=5, config=ClipConfig(steps=4), uint8=True)
    batches = list(clip_loader(data, batch_size=4))
    assert len(batches) == 3
    b = batches[0]
    assert b["exemplars"].shape == (4, 4, 3, 127, 127) and b["exemplars"].dtype == torch.uint8
    assert b["searches"].shape == (4, 4, 3, 255, 255)
    assert b["search_boxes"].shape == (4, 4, 4) and b["frame_indices"].shape == (4, 5)
    assert set(torch.cat([x["sequence"] for x in batches]).tolist()) == {0, 1}
    resumed = next(iter(clip_loader(data, batch_size=4, start_batch=2)))
    for key in b:
        assert torch.equal(resumed[key], batches[2][key])
    with pytest.raises(DatasetError, match="17 annotated frames"):
        ClipDataset([Sequence("tiny", (Box(0, 0, 4, 4),) * 5, reader=lambda i: None)], length=1)


def test_config_rejects_unknown_keys():
    assert ClipConfig.from_dict({"steps": 8}).steps == 8
    with pytest.raises(ValueError, match="unknown clip config keys: stepz"):
        ClipConfig.from_dict({"stepz": 8})


def test_loader_with_workers_matches_in_process():
    """Worker processes (a pickled copy of the dataset) produce the same batches."""
    data = ClipDataset([SquareVideo().sequence()], length=4, seed=2, config=ClipConfig(steps=2), uint8=True)
    local = list(clip_loader(data, batch_size=2))
    remote = list(clip_loader(data, batch_size=2, workers=2))
    for a, b in zip(local, remote):
        assert torch.equal(a["searches"], b["searches"]) and torch.equal(a["search_boxes"], b["search_boxes"])
