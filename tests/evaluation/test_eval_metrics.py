"""OPE metrics against numbers derived by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from tracker.evaluation.metrics import (
    SUCCESS_THRESHOLDS,
    mean_metrics,
    sequence_metrics,
)
from tracker.types import Box

# Four ground-truth frames and a tracker that always answers Box(0, 0, 10, 10):
#   frame  gt                IoU    centre error   normalised error
#   0      (0, 0, 10, 10)    1      0              0
#   1      (5, 0, 10, 10)    1/3    5              5/10 = 0.5
#   2      (0, 0, 10, 15)    2/3    2.5            2.5/15 = 1/6
#   3      (30, 0, 10, 10)   0      30             3
GT = [Box(0, 0, 10, 10), Box(5, 0, 10, 10), Box(0, 0, 10, 15), Box(30, 0, 10, 10)]
CONST = Box(0, 0, 10, 10)


def test_success_thresholds_are_otb_ones():
    assert len(SUCCESS_THRESHOLDS) == 21
    assert SUCCESS_THRESHOLDS[0] == 0.0 and SUCCESS_THRESHOLDS[-1] == 1.0
    assert np.allclose(np.diff(SUCCESS_THRESHOLDS), 0.05)


def test_perfect_tracker_scores_twenty_of_twenty_one():
    # Success counts IoU > t (OTB). IoU is exactly 1 everywhere, so every threshold below 1 counts
    # every frame and t = 1.0 counts none: AUC = 20/21, not 1.
    gt = [Box(3 + i, 4, 10 + i, 12) for i in range(7)]
    m = sequence_metrics(gt, gt, seconds=0.5, calls=7)
    assert m.auc == pytest.approx(20 / 21, abs=1e-12)
    assert list(m.success_curve) == [1.0] * 20 + [0.0]
    assert m.precision == 1.0 and m.norm_precision == 1.0 and m.miou == 1.0
    assert m.fps == pytest.approx(14.0)
    assert m.failures is None and m.frames == 7


def test_constant_box_matches_hand_computation():
    m = sequence_metrics([CONST] * 4, GT)
    # IoUs 1, 1/3, 2/3, 0. Frames with IoU > t:
    #   t = 0.00 .. 0.30 (7 thresholds): 3 of 4;  t = 0.35 .. 0.65 (7): 2;  t = 0.70 .. 0.95 (6): 1;  t = 1: 0
    # AUC = (7*3 + 7*2 + 6*1 + 0) / 4 / 21 = 41/84
    assert m.auc == pytest.approx(41 / 84, abs=1e-12)
    assert m.success_curve[:7].tolist() == [0.75] * 7
    assert m.success_curve[7:14].tolist() == [0.5] * 7
    assert m.success_curve[14:20].tolist() == [0.25] * 6
    assert m.success_curve[20] == 0.0
    assert m.precision == 0.75  # errors 0, 5, 2.5 <= 20; 30 is not
    assert m.norm_precision == 0.5  # 0 and 1/6 <= 0.2; 0.5 and 3 are not
    assert m.miou == pytest.approx(0.5)  # (1 + 1/3 + 2/3 + 0) / 4
    assert m.precision_curve[0] == 0.25  # only the exact hit at 0 px
    assert m.precision_curve[5] == 0.75  # <= 5 px includes the 5 px error


def test_absent_frames_are_left_out():
    pred = [CONST, CONST, Box(100, 100, 5, 5), CONST, CONST]
    gt = [GT[0], GT[1], None, GT[2], GT[3]]
    m = sequence_metrics(pred, gt)
    assert m.frames == 4
    assert m.auc == pytest.approx(41 / 84, abs=1e-12)
    assert m.miou == pytest.approx(0.5)


def test_missing_prediction_counts_as_miss():
    m = sequence_metrics([GT[0], None], [GT[0], GT[1]], failures=1)
    assert m.miou == 0.5
    assert m.precision == 0.5 and m.norm_precision == 0.5
    assert m.failures == 1


def test_mean_over_sequences():
    a = sequence_metrics(GT, GT, seconds=1.0, calls=4, failures=0)
    b = sequence_metrics([CONST] * 4, GT, seconds=3.0, calls=4, failures=2)
    m = mean_metrics([a, b])
    assert m.auc == pytest.approx((20 / 21 + 41 / 84) / 2)
    assert m.auc == pytest.approx(float(np.mean(m.success_curve)))
    assert m.precision == pytest.approx((1 + 0.75) / 2)
    assert m.fps == pytest.approx(8 / 4.0)  # all calls over all seconds
    assert m.failures == 2
    assert m.to_json() == {
        "auc": round(m.auc, 6), "precision": 0.875, "norm_precision": 0.75, "miou": 0.75,
        "fps": 2.0, "failures": 2,
    }


def test_unmeasured_fps_is_null_in_json():
    m = sequence_metrics(GT, GT)
    assert math.isnan(m.fps)
    assert m.to_json()["fps"] is None


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        sequence_metrics([CONST], GT)
