"""Dataset adapters: each reads a tiny fixture in its dataset's real layout, and a bad path or layout
raises DatasetError naming the path."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tracker.project import BoxEntry, Project, Provenance, VideoRef, save_project
from tracker.training.data import (
    DatasetError,
    got10k_sequences,
    lasot_sequences,
    otb_sequences,
    project_sequences,
    vid_sequences,
)
from tracker.types import Box


def _write_frames(folder: Path, count: int, name: str = "{:08d}.jpg", start: int = 1,
                  size: tuple[int, int] = (48, 32)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        image = np.full((size[1], size[0], 3), 20 * i % 255, np.uint8)
        path = folder / name.format(i + start)
        cv2.imwrite(str(path), image)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------- GOT-10k


def _got10k(root: Path) -> Path:
    split = root / "train"
    for name, n in (("GOT-10k_Train_000001", 4), ("GOT-10k_Train_000002", 3)):
        _write_frames(split / name, n)
        (split / name / "groundtruth.txt").write_text(
            "".join(f"{10 + i},{5 + i},{20 + i},{12}\n" for i in range(n)))
    (split / "GOT-10k_Train_000001" / "absence.label").write_text("0\n0\n1\n0\n")
    (split / "list.txt").write_text("GOT-10k_Train_000001\nGOT-10k_Train_000002\n")
    return root


def test_got10k_reads_boxes_as_zero_based_and_absence(tmp_path):
    seqs = got10k_sequences(_got10k(tmp_path), "train")
    assert [s.name for s in seqs] == ["got10k/GOT-10k_Train_000001", "got10k/GOT-10k_Train_000002"]
    first = seqs[0]
    assert len(first) == 4
    assert first.boxes[0] == Box(10, 5, 20, 12)  # 0-based: taken as is
    assert first.boxes[2] is None  # absence.label
    assert list(first.present) == [0, 1, 3]
    image, factor = first.read(1)
    assert image.shape == (32, 48, 3) and factor == 1
    # the split folder itself works too
    assert len(got10k_sequences(tmp_path / "train")) == 2


def test_got10k_errors_name_the_path(tmp_path):
    with pytest.raises(DatasetError, match="not a GOT-10k folder"):
        got10k_sequences(tmp_path / "nowhere")
    root = _got10k(tmp_path)
    gt = root / "train" / "GOT-10k_Train_000002" / "groundtruth.txt"
    gt.write_text("1,2,3,4\n")  # a test-split style file: one box for three frames
    with pytest.raises(DatasetError, match=r"GOT-10k_Train_000002.*groundtruth.txt: 1 boxes for 3 frames"):
        got10k_sequences(root)
    assert len(got10k_sequences(root, skip_bad=True)) == 1


# ----------------------------------------------------------------------------- LaSOT


def test_lasot_converts_one_based_and_marks_occlusion_and_out_of_view(tmp_path):
    seq_dir = tmp_path / "airplane" / "airplane-1"
    _write_frames(seq_dir / "img", 5)
    (seq_dir / "groundtruth.txt").write_text("".join(f"{11 + i},{21},{30},{15}\n" for i in range(5)))
    (seq_dir / "full_occlusion.txt").write_text("0,0,1,0,0")
    (seq_dir / "out_of_view.txt").write_text("0,0,0,0,1")
    other = tmp_path / "bird" / "bird-2"
    _write_frames(other / "img", 2)
    (other / "groundtruth.txt").write_text("1,1,5,5\n2,2,5,5\n")
    seqs = lasot_sequences(tmp_path)
    assert [s.name for s in seqs] == ["lasot/airplane-1", "lasot/bird-2"]
    a = seqs[0]
    assert a.boxes[0] == Box(10, 20, 30, 15)
    assert a.boxes[1] == Box(11, 20, 30, 15)
    assert a.boxes[2] is None and a.boxes[4] is None
    assert [s.name for s in lasot_sequences(tmp_path, names=["bird-2"])] == ["lasot/bird-2"]


def test_lasot_bad_layout(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no LaSOT sequences"):
        lasot_sequences(tmp_path)
    with pytest.raises(DatasetError, match="no such folder"):
        lasot_sequences(tmp_path / "missing")


# ----------------------------------------------------------------------------- ImageNet VID

_XML = """<annotation><folder>x</folder><filename>{stem}</filename>
<size><width>48</width><height>32</height></size>{objects}</annotation>"""
_OBJ = """<object><trackid>{tid}</trackid><name>n02958343</name>
<bndbox><xmax>{xmax}</xmax><xmin>{xmin}</xmin><ymax>{ymax}</ymax><ymin>{ymin}</ymin></bndbox>
<occluded>0</occluded><generated>0</generated></object>"""


def _vid(root: Path, split: str = "train") -> None:
    rel = Path("ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000") if split == "train" else \
        Path("ILSVRC2015_val_00000000")
    frames = root / "Data" / "VID" / split / rel
    anns = root / "Annotations" / "VID" / split / rel
    _write_frames(frames, 6, name="{:06d}.JPEG", start=0)
    anns.mkdir(parents=True)
    for i in range(6):
        objects = _OBJ.format(tid=0, xmin=2 + i, xmax=11 + i, ymin=3, ymax=12)  # 10x10
        if i < 3:
            objects += _OBJ.format(tid=1, xmin=20, xmax=29, ymin=5, ymax=9)
        (anns / f"{i:06d}.xml").write_text(_XML.format(stem=f"{i:06d}", objects=objects))


def test_vid_one_sequence_per_track_with_minimum_length(tmp_path):
    _vid(tmp_path)
    seqs = vid_sequences(tmp_path, "train", min_frames=3)
    assert [s.name for s in seqs] == [
        "vid/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/0",
        "vid/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/1",
    ]
    track0, track1 = seqs
    assert len(track0) == 6
    assert track0.boxes[0] == Box(2, 3, 10, 10)  # w = xmax - xmin + 1
    assert track1.boxes[2] == Box(20, 5, 10, 5) and track1.boxes[3] is None
    # the default minimum (50 annotated frames, spec 8.1) drops these short tracks
    assert vid_sequences(tmp_path, "train") == []
    assert [s.name for s in vid_sequences(tmp_path, "train", min_frames=4)] == [track0.name]


def test_vid_val_layout_and_errors(tmp_path):
    _vid(tmp_path, "val")
    assert len(vid_sequences(tmp_path, "val", min_frames=1)) == 2
    with pytest.raises(DatasetError, match="not an ImageNet VID folder"):
        vid_sequences(tmp_path, "train")
    xml = next((tmp_path / "Annotations").rglob("000002.xml"))
    xml.write_text("<annotation><object><trackid>0</trackid></object></annotation>")
    with pytest.raises(DatasetError, match="000002.xml: an <object> lacks"):
        vid_sequences(tmp_path, "val", min_frames=1)


# ----------------------------------------------------------------------------- OTB


def test_otb_folder_of_sequences_with_separators_and_multiple_targets(tmp_path):
    one = tmp_path / "Couple"
    _write_frames(one / "img", 3, name="{:04d}.jpg")
    (one / "groundtruth_rect.txt").write_text("1,1,10,10\n2\t2\t10\t10\n3 3 10 10\n")
    two = tmp_path / "Jogging"
    _write_frames(two / "img", 2, name="{:04d}.jpg")
    (two / "groundtruth_rect.1.txt").write_text("5,5,4,8\n6,5,4,8\n")
    (two / "groundtruth_rect.2.txt").write_text("20,5,4,8\n0,0,0,0\n")
    seqs = otb_sequences(tmp_path)
    assert [s.name for s in seqs] == ["otb/Couple", "otb/Jogging.1", "otb/Jogging.2"]
    assert seqs[0].boxes[1] == Box(1, 1, 10, 10)  # 1-based -> 0-based
    assert seqs[2].boxes[1] is None  # zero-size box marks an absent target
    assert [s.name for s in otb_sequences(one)] == ["otb/Couple"]  # one sequence folder


def test_otb_errors(tmp_path):
    with pytest.raises(DatasetError, match="no OTB sequences"):
        otb_sequences(tmp_path)
    seq = tmp_path / "Bad"
    _write_frames(seq / "img", 3)
    (seq / "groundtruth_rect.txt").write_text("1,1,10,10\n1,1,ten,10\n")
    with pytest.raises(DatasetError, match=r"Bad.groundtruth_rect.txt: line 2"):
        otb_sequences(tmp_path)


# ----------------------------------------------------------------------------- projects


def test_project_objects_become_sequences(tmp_path):
    frames = _write_frames(tmp_path / "video", 6, name="{:03d}.png")
    project = Project(VideoRef(str(tmp_path / "video"), 6, 48, 32, 25.0))
    car = project.new_object("car")
    car.entries[0] = BoxEntry(Box(1, 2, 10, 8), Provenance.KEYFRAME)
    car.entries[1] = BoxEntry(Box(2, 2, 10, 8), Provenance.TRACKED, 0.9)
    car.entries[2] = BoxEntry(None, Provenance.ABSENT)
    car.entries[4] = BoxEntry(Box(4, 2, 10, 8), Provenance.INTERPOLATED)
    dog = project.new_object("dog")
    dog.entries[5] = BoxEntry(Box(30, 10, 5, 5), Provenance.IMPORTED)
    path = tmp_path / "labels.memtrack.json"
    save_project(path, project)

    seqs = project_sequences(path)
    assert [s.name for s in seqs] == ["project/labels.memtrack/1-car", "project/labels.memtrack/2-dog"]
    c = seqs[0]
    assert len(c) == 6
    assert c.boxes[:5] == (Box(1, 2, 10, 8), Box(2, 2, 10, 8), None, None, Box(4, 2, 10, 8))
    image, _ = c.read(4)
    assert np.array_equal(image, cv2.cvtColor(cv2.imread(str(frames[4])), cv2.COLOR_BGR2RGB))
    only_keyframes = project_sequences(path, provenances=["keyframe"])
    assert [s.name for s in only_keyframes] == ["project/labels.memtrack/1-car"]
    assert only_keyframes[0].boxes[1] is None


def test_project_errors(tmp_path):
    with pytest.raises(DatasetError, match="cannot read project file"):
        project_sequences(tmp_path / "missing.json")
    project = Project(VideoRef("gone.mp4", 5, 48, 32, 25.0))
    path = tmp_path / "p.json"
    save_project(path, project)
    with pytest.raises(DatasetError, match="gone.mp4 does not exist"):
        project_sequences(path)
