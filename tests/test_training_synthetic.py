"""Synthetic sequences from a folder of photographs (here: generated textures in tmp_path)."""
from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.training.data import (
    ClipDataset,
    DatasetError,
    PhotoPool,
    SyntheticConfig,
    find_images,
    synthetic_sequences,
)
from tracker.training.data.synthetic import contact_sheet

SMALL = SyntheticConfig(width=160, height=120, frames=24, min_target=16, max_target=40)


def _photo(seed: int, h: int = 180, w: int = 240) -> np.ndarray:
    """A 'photograph': multi-scale noise in colour plus a few shapes (BGR uint8)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for cells, amp in ((4, 120), (16, 60), (64, 40)):
        img += amp * cv2.resize(rng.random((cells, cells, 3)).astype(np.float32), (w, h))
    for _ in range(6):
        c = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.circle(img, tuple(int(v) for v in rng.integers(0, min(h, w), 2)), int(rng.integers(8, 30)), c, -1)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    root = tmp_path / "photos"
    (root / "nested" / "deeper").mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(root / f"p{i}.jpg"), _photo(i))
    cv2.imwrite(str(root / "nested" / "deeper" / "p4.png"), _photo(4))
    cv2.imwrite(str(root / "nested" / "p0_small.jpg"), cv2.resize(_photo(0), (200, 150)))  # same picture
    cv2.imwrite(str(root / "flat.png"), np.full((180, 240, 3), 90, np.uint8))  # a plain colour: no use
    cv2.imwrite(str(root / "icon.png"), _photo(9, 40, 40))  # too small
    (root / "notes.txt").write_text("not an image")
    return root


def test_find_images_is_recursive_and_sorted(photo_dir, tmp_path):
    found = find_images(photo_dir)
    names = [p.relative_to(photo_dir).as_posix() for p in found]
    assert names == sorted(names)
    assert set(names) == {"p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg", "nested/deeper/p4.png",
                          "nested/p0_small.jpg", "flat.png", "icon.png"}
    with pytest.raises(DatasetError, match="no such folder"):
        find_images(tmp_path / "missing")


def test_photo_pool_drops_flat_tiny_and_duplicate_pictures(photo_dir, tmp_path):
    pool = PhotoPool.from_folders(photo_dir, max_side=220)
    assert len(pool) == 5
    assert not any(n.endswith(("flat.png", "icon.png")) for n in pool.names)
    assert sum("p0" in Path(n).name for n in pool.names) == 1
    assert all(max(im.shape[:2]) <= 220 for im in pool.images)
    train, val = pool.split(0.4, seed=0)
    assert (len(train), len(val)) == (3, 2)
    assert not set(train.names) & set(val.names) and set(train.names) | set(val.names) == set(pool.names)
    empty = tmp_path / "flat_only"
    empty.mkdir()
    cv2.imwrite(str(empty / "flat.png"), np.full((200, 200, 3), 10, np.uint8))
    with pytest.raises(DatasetError, match="none usable as a photograph"):
        PhotoPool.from_folders(empty)


def test_sequences_are_deterministic_per_seed_and_index(photo_dir):
    pool = PhotoPool.from_folders(photo_dir)
    a = synthetic_sequences(pool, 3, seed=1, config=SMALL)
    b = synthetic_sequences(pool, 3, seed=1, config=SMALL)
    c = synthetic_sequences(pool, 3, seed=2, config=SMALL)
    assert [len(s) for s in a] == [24, 24, 24]
    frame, factor = a[1].read(5)
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8 and factor == 1
    assert a[1].boxes == b[1].boxes and np.array_equal(frame, b[1].read(5)[0])
    assert a[1].boxes != c[1].boxes
    assert a[0].boxes != a[1].boxes
    # rendering order does not matter, and a pickled copy (a DataLoader worker) renders the same
    later_first = b[1].read(20)[0]
    assert np.array_equal(a[1].read(20)[0], later_first)
    copy = pickle.loads(pickle.dumps(a[1]))
    assert np.array_equal(copy.read(5)[0], frame)


def test_box_is_the_extent_of_the_drawn_target(photo_dir):
    cfg = SyntheticConfig(width=160, height=120, frames=24, min_target=20, max_target=40, distractors=(0, 0),
                          occlusion_prob=0.0, noise=0.0, blur_exposure=0.0)
    pool = PhotoPool.from_folders(photo_dir)
    checked = 0
    for seq in synthetic_sequences(pool, 6, seed=3, config=cfg):
        for k in (0, 11, 23):
            box = seq.boxes[k]
            x0, y0, x1, y1 = box.to_xyxy()
            if x0 < 1 or y0 < 1 or x1 > cfg.width - 1 or y1 > cfg.height - 1:
                continue  # partly outside the frame: the drawn part is cut
            full = seq.reader.render(k).astype(np.int16)
            without = seq.reader.render(k, draw_target=False).astype(np.int16)
            ys, xs = np.nonzero(np.abs(full - without).max(axis=2) > 12)
            assert len(xs) > 0.3 * box.area
            assert xs.min() == pytest.approx(x0, abs=2) and xs.max() + 1 == pytest.approx(x1, abs=2)
            assert ys.min() == pytest.approx(y0, abs=2) and ys.max() + 1 == pytest.approx(y1, abs=2)
            checked += 1
    assert checked >= 6


def test_targets_move_and_change_scale(photo_dir):
    pool = PhotoPool.from_folders(photo_dir)
    for seq in synthetic_sequences(pool, 4, seed=0, config=SyntheticConfig(frames=60)):
        centres = np.array([b.center for b in seq.boxes])
        areas = np.array([b.area for b in seq.boxes])
        assert np.ptp(centres, axis=0).max() > 10
        assert areas.max() / areas.min() > 1.1


def test_training_clips_from_synthetic_sequences(photo_dir):
    pool = PhotoPool.from_folders(photo_dir)
    data = ClipDataset(synthetic_sequences(pool, 4, seed=0, config=SMALL), length=2, seed=0)
    item = data[1]
    assert item["exemplars"].shape == (16, 3, 127, 127) and item["searches"].shape == (16, 3, 255, 255)
    assert np.array_equal(item["searches"].numpy(), data[1]["searches"].numpy())


def test_video_backgrounds(photo_dir, tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (200, 150))
    for i in range(30):
        writer.write(np.roll(_photo(7, 150, 200), 4 * i, axis=1))
    writer.release()
    cfg = SyntheticConfig(width=160, height=120, frames=24, min_target=16, max_target=30, video_prob=1.0,
                          distractors=(0, 0), occlusion_prob=0.0)
    seq = synthetic_sequences(photo_dir, 1, seed=0, config=cfg, videos=[path])[0]
    assert seq.reader.plan.video_start is not None
    first, later = seq.reader.render(0, draw_target=False), seq.reader.render(10, draw_target=False)
    assert np.abs(first.astype(int) - later).mean() > 5  # the real footage moves


def test_config_and_contact_sheet(photo_dir):
    with pytest.raises(ValueError, match="unknown synthetic config keys: colour"):
        SyntheticConfig.from_dict({"colour": 1})
    assert SyntheticConfig.from_dict({"distractors": [0, 1]}).distractors == (0, 1)
    seqs = synthetic_sequences(photo_dir, 2, seed=0, config=SMALL)
    assert contact_sheet(seqs, per_sequence=3).shape == (240, 480, 3)
