"""Importers and exporters on hostile input: ids of the wrong type or size, NaN classes, labels and
paths that would break line- and XML-based files, formula cells, and a frame count the video does
not have. Each is one FormatError line naming the file; nothing is written."""
from __future__ import annotations

import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.robustness.support import clip, one_line, small_project, snapshot  # noqa: F401
from tracker.formats import EXPORT_FORMATS, FOLDER_FORMATS, FormatError, export_project, import_annotations
from tracker.project import MAX_FRAMES


def coco_file(tmp_path: Path, annotation: dict | None = None, **top) -> Path:
    data = {"images": [{"id": 1, "frame_id": 0}], "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "track_id": 1, "bbox": [1, 2, 10, 10],
                             **(annotation or {})}], **top}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(data))
    return path


def import_fails(path: Path, fmt: str, video: Path, *parts: str) -> str:
    with pytest.raises(FormatError) as info:
        import_annotations(path, fmt, video)
    return one_line(info.value, str(path), *parts)


def test_a_plain_coco_file_imports(tmp_path, clip):
    project = import_annotations(coco_file(tmp_path), "coco", clip)
    assert project.objects[1].label == "car"


@pytest.mark.parametrize("annotation, where, problem", [
    ({"image_id": [1]}, "annotations[0].image_id", "is not an integer id"),
    ({"image_id": {"a": 1}}, "annotations[0].image_id", "is not an integer id"),
    ({"category_id": [1, 2]}, "annotations[0].category_id", "is not an integer id"),
    ({"category_id": {"id": 1}}, "annotations[0].category_id", "is not an integer id"),
    ({"track_id": [1]}, "annotations[0]", "no integer track_id"),
    ({"track_id": 10**50}, "objects[0].track_id", "must be an integer from 1"),
    ({"image_id": list(range(5000))}, "annotations[0].image_id", "..."),  # the message stays short
])
def test_coco_ids_of_the_wrong_type_or_size(tmp_path, clip, annotation, where, problem):
    message = import_fails(coco_file(tmp_path, annotation), "coco", clip, where, problem)
    assert len(message) < 400


def test_coco_category_names_that_break_files(tmp_path, clip):
    path = coco_file(tmp_path, categories=[{"id": 1, "name": "car\nperson"}])
    import_fails(path, "coco", clip, "labels[0]", "control character U+000A")


def test_coco_track_category_that_is_a_list_is_ignored_like_a_missing_one(tmp_path, clip):
    path = coco_file(tmp_path, tracks=[{"id": 1, "category_id": [1]}])
    assert import_annotations(path, "coco", clip).objects[1].label == "car"


@pytest.mark.parametrize("text, problem", [
    ('{"images": ' + "[" * 100000, "nested too deeply"),
    ('{"images": [{"id": ' + "1" * 5000 + "}]}", "thousands of digits"),
])
def test_coco_json_that_cannot_be_read(tmp_path, clip, text, problem):
    path = tmp_path / "coco.json"
    path.write_text(text)
    import_fails(path, "coco", clip, problem)


@pytest.mark.parametrize("line, problem", [
    ("1,1e400,10,10,5,5,1,1,1", "whole numbers"),
    ("1,nan,10,10,5,5,1,1,1", "whole numbers"),
    ("1," + "9" * 30 + ",10,10,5,5,1,1,1", "too large"),
    ("1,1,10,10,5,5,1,nan,1", "class NaN is not a whole number"),
    ("1,1,10,10,5,5,1,inf,1", "is not a whole number"),
    ("1,1,10,10,5,5,1,1.5,1", "class 1.5 is not a whole number"),
])
def test_mot_ids_and_classes(tmp_path, clip, line, problem):
    path = tmp_path / "gt.txt"
    path.write_text(line + "\n")
    import_fails(path, "mot", clip, "line 1", problem)


def test_mot_label_names_are_checked(tmp_path, clip):
    (tmp_path / "gt").mkdir()
    path = tmp_path / "gt" / "gt.txt"
    path.write_text("1,1,10,10,5,5,1,1,1\n")
    (tmp_path / "gt" / "labels.txt").write_text("car\x00\n")
    import_fails(path, "mot", clip, "control character U+0000")


def test_cvat_labels_with_a_newline_reference_are_refused(tmp_path, clip):
    path = tmp_path / "a.xml"
    path.write_text('<annotations><track id="0" label="a&#10;b"><box frame="0" xtl="1" ytl="1" xbr="9" '
                    'ybr="9" outside="0"/></track></annotations>')
    import_fails(path, "cvat", clip, "control character U+000A")


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f != "video"])
@pytest.mark.parametrize("label", ["car\nperson", "car\x00", "car\ud800", "a\u2029b"])
def test_no_writer_takes_a_label_that_breaks_its_files(tmp_path, clip, fmt, label):
    project = small_project(str(clip), labels=("car", label))
    out = tmp_path / "out" / ("x" if fmt in FOLDER_FORMATS else "x.out")
    with pytest.raises(FormatError) as info:
        export_project(project, fmt, out)
    one_line(info.value, "label", "cannot export")
    assert not (tmp_path / "out").exists() or snapshot(tmp_path / "out") == {}


def test_a_newline_in_the_video_path_cannot_inject_into_seqinfo(tmp_path, clip):
    project = small_project(str(clip))
    project.video = replace(project.video, path=str(clip) + "\n[Sequence]\nseqLength=1")
    with pytest.raises(FormatError) as info:
        export_project(project, "mot", tmp_path / "mot")
    one_line(info.value, "video path", "U+000A")
    assert not (tmp_path / "mot").exists()


def test_csv_cells_are_never_live_formulas(tmp_path, clip):
    project = small_project(str(clip), labels=("=HYPERLINK(\"http://x\")", "@SUM(A1)"))
    project.objects[1].label = "+cmd"
    out = tmp_path / "a.csv"
    export_project(project, "csv", out)
    rows = list(csv.DictReader(out.open()))
    assert {r["label"] for r in rows} == {"'+cmd", "'@SUM(A1)"}
    project.objects[2].entries[3] = replace(project.objects[2].entries[3],
                                            box=replace(project.objects[2].entries[3].box, x=-3.5))
    export_project(project, "csv", out, overwrite=True)
    assert "0" in [r["x"] for r in csv.DictReader(out.open())]  # clipped; numbers never get the quote


@pytest.mark.parametrize("fmt", ["coco", "yolo", "mot"])
def test_a_frame_count_the_video_does_not_have_is_refused(tmp_path, clip, fmt):
    project = small_project(str(clip))
    project.video = replace(project.video, frame_count=10**9)
    with pytest.raises(FormatError) as info:
        export_project(project, fmt, tmp_path / "out")
    one_line(info.value, "frames", "cannot export")
    assert not (tmp_path / "out").exists()
    project.video = replace(project.video, frame_count=500)  # within the limit, but not this video's
    with pytest.raises(FormatError) as info:
        export_project(project, fmt, tmp_path / "out")
    one_line(info.value, str(clip), "says the video has 500 frames but it has 4")


def test_without_the_video_the_frame_count_is_still_bounded(tmp_path, clip):
    project = small_project(str(tmp_path / "gone.mp4"))
    project.video = replace(project.video, frame_count=MAX_FRAMES + 1)
    with pytest.raises(FormatError, match="at most"):
        export_project(project, "yolo", tmp_path / "out")


def test_coco_is_written_as_a_stream_that_reads_back(tmp_path, clip):
    project = small_project(str(tmp_path / "gone.mp4"))
    project.video = replace(project.video, frame_count=20_000)
    out = tmp_path / "big.json"
    export_project(project, "coco", out)
    data = json.loads(out.read_text())
    assert len(data["images"]) == 20_000 and data["images"][-1]["frame_id"] == 19_999
    assert len(data["annotations"]) == 3 and [c["name"] for c in data["categories"]] == ["car", "person"]


def test_coco_with_many_annotations_of_another_video_reads_in_linear_time(tmp_path, clip):
    n = 20_000  # searching the image list per annotation made this take minutes
    data = {"videos": [{"id": 1, "name": clip.name}, {"id": 2, "name": "other"}],
            "images": [{"id": 1, "video_id": 1, "frame_id": 0}]
            + [{"id": k, "video_id": 2, "frame_id": 0} for k in range(2, n + 2)],
            "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": k, "image_id": k, "category_id": 1, "track_id": 1, "bbox": [1, 2, 10, 10]}
                            for k in range(2, n + 2)]}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(data))
    started = time.perf_counter()
    project = import_annotations(path, "coco", clip)
    assert time.perf_counter() - started < 5
    assert project.objects == {}
