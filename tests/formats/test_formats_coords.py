"""Each format's coordinate convention, at the edges of the frame (tracker/formats/coords.py)."""
from __future__ import annotations

import pytest

from tracker.formats import coords
from tracker.types import Box

W, H = 160, 120
FULL = Box(0, 0, W, H)
TOP_LEFT_PIXEL = Box(0, 0, 1, 1)
BOTTOM_RIGHT_PIXEL = Box(W - 1, H - 1, 1, 1)


def test_one_based_formats_put_the_first_pixel_at_one():
    assert coords.to_mot(TOP_LEFT_PIXEL) == (1, 1, 1, 1)
    assert coords.to_mot(BOTTOM_RIGHT_PIXEL) == (W, H, 1, 1)
    assert coords.to_otb(FULL) == (1, 1, W, H)
    assert coords.to_voc(TOP_LEFT_PIXEL, W, H) == (1, 1, 1, 1)  # inclusive: pixel 1 to pixel 1
    assert coords.to_voc(BOTTOM_RIGHT_PIXEL, W, H) == (W, H, W, H)
    assert coords.to_voc(FULL, W, H) == (1, 1, W, H)
    assert coords.mot_frame(0) == 1 and coords.labelstudio_frame(0) == 1


def test_zero_based_formats_keep_the_box():
    assert coords.to_got10k(BOTTOM_RIGHT_PIXEL) == (W - 1, H - 1, 1, 1)
    assert coords.to_coco(FULL) == [0, 0, W, H]
    assert coords.to_cvat(FULL, W, H) == (0, 0, W, H)
    assert coords.to_cvat(BOTTOM_RIGHT_PIXEL, W, H) == (W - 1, H - 1, W, H)


def test_normalised_and_percent_formats():
    assert coords.to_yolo(FULL, W, H) == (0.5, 0.5, 1.0, 1.0)
    assert coords.to_yolo(TOP_LEFT_PIXEL, W, H) == pytest.approx((0.5 / W, 0.5 / H, 1 / W, 1 / H))
    assert coords.to_labelstudio(Box(16, 12, 80, 60), W, H) == pytest.approx((10, 10, 50, 50))
    assert coords.to_labelstudio(Box(-16, 0, 32, 12), W, H) == pytest.approx((-10, 0, 20, 10))  # not clipped


@pytest.mark.parametrize("box", [Box(10.25, 20.5, 30, 18.75), TOP_LEFT_PIXEL, BOTTOM_RIGHT_PIXEL, FULL,
                                 Box(-5.5, -3, 20, 10), Box(150, 110, 20, 20)])
def test_unclipped_conversions_invert_exactly(box):
    assert coords.from_mot(*coords.to_mot(box)) == box
    assert coords.from_otb(*coords.to_otb(box)) == box
    assert coords.from_got10k(*coords.to_got10k(box)) == box
    assert coords.from_coco(coords.to_coco(box)) == box
    assert coords.from_labelstudio(*coords.to_labelstudio(box, W, H), W, H).iou(box) == pytest.approx(1.0)


@pytest.mark.parametrize("box", [Box(10.25, 20.5, 30, 18.75), TOP_LEFT_PIXEL, BOTTOM_RIGHT_PIXEL, FULL])
def test_clipping_conversions_invert_inside_the_frame(box):
    assert coords.from_cvat(*coords.to_cvat(box, W, H)) == box
    assert coords.from_yolo(*coords.to_yolo(box, W, H), W, H).iou(box) == pytest.approx(1.0)
    if box.as_tuple() == tuple(map(round, box.as_tuple())):  # VOC holds whole pixels only
        assert coords.from_voc(*coords.to_voc(box, W, H)) == box


def test_boxes_sticking_out_are_clipped_where_the_format_requires():
    left = Box(-5.5, 40, 20, 50)  # 5.5 px outside on the left
    right_bottom = Box(150, 100, 20, 30)  # 10 px outside on the right, 10 at the bottom
    assert coords.to_cvat(left, W, H) == (0, 40, 14.5, 90)
    assert coords.to_cvat(right_bottom, W, H) == (150, 100, W, H)
    cx, cy, w, h = coords.to_yolo(right_bottom, W, H)
    assert (cx + w / 2, cy + h / 2) == pytest.approx((1.0, 1.0)) and 0 <= cx - w / 2
    assert coords.to_voc(left, W, H) == (1, 41, 15, 90)  # pixels 0..14 (0-based), 1..15 (1-based)
    assert coords.to_voc(right_bottom, W, H) == (151, 101, W, H)
    # the formats that do not clip keep the box as it is
    assert coords.to_mot(left) == (-4.5, 41, 20, 50)
    assert coords.to_coco(right_bottom) == [150, 100, 20, 30]


@pytest.mark.parametrize("box", [Box(-30, 10, 20, 20), Box(W, 0, 5, 5), Box(0, H + 1, 5, 5), Box(-10, -10, 10, 10)])
def test_box_entirely_outside_cannot_be_clipped(box):
    for convert in (coords.to_cvat, coords.to_yolo, coords.to_voc):
        with pytest.raises(coords.OutsideFrame, match="outside the 160x120 frame"):
            convert(box, W, H)


def test_voc_never_produces_an_inverted_box_for_a_sub_pixel_box():
    xmin, ymin, xmax, ymax = coords.to_voc(Box(10.4, 10.4, 0.2, 0.2), W, H)
    assert xmax >= xmin and ymax >= ymin
