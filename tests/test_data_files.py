"""The one ground-truth reader and its single policy on blank lines, NaN and infinity, shared by
evaluation (tracker.evaluation.datasets) and training (tracker.training.data.sequences)."""
from __future__ import annotations

import pytest

from tracker.data_files import DatasetError, GroundTruthError, natural_key, read_groundtruth
from tracker.types import Box


def test_one_policy(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text("\ufeff1,2,3,4\nNaN,NaN,NaN,NaN\n5 6 0 0\n7\t8\t9\t10\n\n\n")
    assert read_groundtruth(p, one_based=True) == [Box(0, 1, 3, 4), None, None, Box(6, 7, 9, 10)]
    assert read_groundtruth(p, one_based=False)[0] == Box(1, 2, 3, 4)
    p.write_text("1,2,3,4\n\n1,2,3,4\n")  # a blank line inside would shift every later frame
    with pytest.raises(GroundTruthError, match=r"gt.txt:2: expected four numbers"):
        read_groundtruth(p, True)
    p.write_text("1,2,3,4\n1,2,inf,4\n")
    with pytest.raises(DatasetError, match=r"gt.txt:2: infinite value"):
        read_groundtruth(p, True)
    p.write_text("\n\n")
    with pytest.raises(DatasetError, match="empty"):
        read_groundtruth(p, True)


def test_training_and_evaluation_read_the_same_boxes(tmp_path):
    from tracker.evaluation.datasets import parse_groundtruth
    from tracker.training.data.sequences import _read_boxes

    p = tmp_path / "groundtruth_rect.txt"
    p.write_text("1,2,3,4\nnan,nan,nan,nan\n3,3,-1,2\n")
    assert parse_groundtruth(p, True) == _read_boxes(p, True) == [Box(0, 1, 3, 4), None, None]
    p.write_text("1,2,3,4\n1,x,3,4\n")
    with pytest.raises(DatasetError, match=r"groundtruth_rect.txt:2: not a number"):
        parse_groundtruth(p, True)
    with pytest.raises(DatasetError, match=r"groundtruth_rect.txt: line 2: not a number"):
        _read_boxes(p, True)


def test_natural_key():
    assert sorted(["img10.jpg", "img9.jpg", "IMG1.jpg"], key=natural_key) == ["IMG1.jpg", "img9.jpg", "img10.jpg"]
