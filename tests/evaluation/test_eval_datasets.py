"""Dataset layouts on disk: detection, 1-based / 0-based conversion, absent frames, malformed files."""
from __future__ import annotations

import numpy as np
import pytest

from tests.evaluation.conftest import write_got10k, write_images, write_lasot, write_otb
from tracker.evaluation.datasets import DatasetError, detect_format, load_dataset, parse_groundtruth
from tracker.types import Box

FRAMES = [np.full((20, 30, 3), 10 * i, np.uint8) for i in range(4)]
BOXES = [(0.0, 1.0, 5.0, 6.0), (1.5, 2.0, 5.0, 6.0), (2.0, 3.0, 4.0, 7.0), (3.0, 4.0, 5.0, 5.0)]
AS_BOX = [Box(*b) for b in BOXES]


def test_otb_layout_is_one_based_and_tab_separated(tmp_path):
    write_otb(tmp_path, "Alpha", FRAMES, BOXES, sep="\t")
    write_otb(tmp_path, "Beta", FRAMES, BOXES, sep=" ")
    (tmp_path / "SOURCES.txt").write_text("not a sequence\n")
    assert detect_format(tmp_path) == "otb"
    seqs, problems = load_dataset(tmp_path)
    assert problems == []
    assert [s.name for s in seqs] == ["Alpha", "Beta"]
    assert list(seqs[0].groundtruth) == AS_BOX  # file holds x+1, y+1
    assert [p.name for p in seqs[0].frames] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    assert seqs[1].format == "otb"


def test_one_sequence_folder_is_a_dataset(tmp_path):
    seq = write_otb(tmp_path, "Alpha", FRAMES, BOXES)
    seqs, _ = load_dataset(seq)
    assert [s.name for s in seqs] == ["Alpha"]


def test_got10k_layout_is_zero_based(tmp_path):
    write_got10k(tmp_path, "GOT-10k_Val_000001", FRAMES, BOXES)
    write_got10k(tmp_path, "GOT-10k_Val_000002", FRAMES[:3], BOXES[:3])
    assert detect_format(tmp_path) == "got10k"
    seqs, problems = load_dataset(tmp_path)
    assert problems == []
    assert [len(s) for s in seqs] == [4, 3]
    assert list(seqs[0].groundtruth) == AS_BOX
    assert all(p.suffix == ".png" for p in seqs[0].frames)  # the .label and .txt files are not frames


def test_lasot_layout_nested_by_class(tmp_path):
    write_lasot(tmp_path, "airplane", 1, FRAMES, BOXES)
    write_lasot(tmp_path, "airplane", 13, FRAMES, BOXES)
    write_lasot(tmp_path, "bear", 2, FRAMES[:2], BOXES[:2])
    assert detect_format(tmp_path) == "lasot"
    seqs, _ = load_dataset(tmp_path)
    assert [s.name for s in seqs] == ["airplane-1", "airplane-13", "bear-2"]
    assert list(seqs[0].groundtruth) == AS_BOX


def test_named_format_overrides_detection(tmp_path):
    # An OTB-like folder read as LaSOT would need groundtruth.txt: nothing found is a clear error.
    write_otb(tmp_path, "Alpha", FRAMES, BOXES)
    with pytest.raises(DatasetError, match="no sequences in lasot layout"):
        load_dataset(tmp_path, "lasot")


def test_absent_rows_become_none(tmp_path):
    path = tmp_path / "gt.txt"
    path.write_text("1,2,3,4\nNaN,NaN,NaN,NaN\n5,6,0,0\n7\t8\t9\t10\n\n")
    gt = parse_groundtruth(path, one_based=True)
    assert gt == [Box(0, 1, 3, 4), None, None, Box(6, 7, 9, 10)]


def test_malformed_line_names_file_and_line_and_others_still_load(tmp_path):
    write_otb(tmp_path, "Good", FRAMES, BOXES)
    write_otb(tmp_path, "Bad", FRAMES, BOXES, text="1,2,3,4\n2,3,4,5\n3,3;4,5\n4,5,6,7\n")
    seqs, problems = load_dataset(tmp_path)
    assert [s.name for s in seqs] == ["Good"]
    assert len(problems) == 1
    assert str(tmp_path / "Bad" / "groundtruth_rect.txt") + ":3:" in problems[0]


def test_wrong_field_count_is_reported(tmp_path):
    path = tmp_path / "gt.txt"
    path.write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(DatasetError, match=r"gt.txt:2: expected four numbers"):
        parse_groundtruth(path, one_based=False)


def test_first_frame_must_have_a_box(tmp_path):
    write_otb(tmp_path, "Alpha", FRAMES, BOXES, text="nan,nan,nan,nan\n1,2,3,4\n1,2,3,4\n1,2,3,4\n")
    seqs, problems = load_dataset(tmp_path)
    assert seqs == [] and "groundtruth_rect.txt:1:" in problems[0]


def test_more_images_than_rows_evaluates_annotated_frames(tmp_path):
    write_otb(tmp_path, "Alpha", FRAMES, BOXES[:3])
    seqs, _ = load_dataset(tmp_path)
    assert len(seqs[0]) == 3 and "1 images past" in seqs[0].note


def test_more_rows_than_images_is_an_error(tmp_path):
    write_otb(tmp_path, "Alpha", FRAMES[:2], BOXES)
    seqs, problems = load_dataset(tmp_path)
    assert seqs == [] and "4 ground-truth rows but only 2 images" in problems[0]


def test_multi_target_otb_sequence(tmp_path):
    seq = tmp_path / "Jogging"
    write_images(seq / "img", FRAMES)
    (seq / "groundtruth_rect.1.txt").write_text("1,1,3,3\n" * 4)
    (seq / "groundtruth_rect.2.txt").write_text("5,5,3,3\n" * 4)
    seqs, _ = load_dataset(tmp_path)
    assert [s.name for s in seqs] == ["Jogging.1", "Jogging.2"]
    assert seqs[1].groundtruth[0] == Box(4, 4, 3, 3)


def test_selecting_sequences(tmp_path):
    for name in ("A", "B", "C"):
        write_otb(tmp_path, name, FRAMES, BOXES)
    seqs, _ = load_dataset(tmp_path, names=["C", "A"])
    assert [s.name for s in seqs] == ["C", "A"]
    with pytest.raises(DatasetError, match="no sequence named D"):
        load_dataset(tmp_path, names=["D"])


def test_unknown_layout_is_a_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(DatasetError, match="no sequences found"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset(tmp_path / "missing")
