"""Bad input: every importer raises FormatError naming the file and the line, element or JSON path."""
from __future__ import annotations

import json

import pytest

from formats_support import clip, project  # noqa: F401
from tracker.formats import FormatError, export_project, import_annotations


def fails(path, fmt, video, *parts):
    with pytest.raises(FormatError) as info:
        import_annotations(path, fmt, video)
    message = str(info.value)
    assert "\n" not in message
    for part in (str(path), *parts):
        assert part in message, f"{part!r} not in {message!r}"
    return message


# ----------------------------------------------------------------------------- MOT


@pytest.mark.parametrize("text, line, problem", [
    ("1,1,10,10,5,5,1,1,1\n2,1,x,10,5,5,1,1,1\n", "line 2", "'x' is not a number"),
    ("1,1,10,10,5,5,1,1,1\n\n2,1,10,10,5\n", "line 3", "expected 6 to 10 numbers, found 5"),
    ("0,1,10,10,5,5,1,1,1\n", "line 1", "MOT frame numbers start at 1"),
    ("13,1,10,10,5,5,1,1,1\n", "line 1", "past the end of the video (12 frames)"),
    ("1,1,10,10,5,5\n1,1,11,10,5,5\n", "line 2", "already has a box on frame 1 (line 1)"),
    ("1,-1,10,10,5,5,0.9\n", "line 1", "untracked detection"),
    ("1,1,10,10,0,5,1,1,1\n", "line 1", "must be positive"),
    ("1,1.5,10,10,5,5\n", "line 1", "whole numbers"),
])
def test_mot_bad_lines(tmp_path, clip, text, line, problem):
    path = tmp_path / "gt.txt"
    path.write_text(text)
    fails(path, "mot", clip, line, problem)


def test_mot_seqinfo_that_does_not_match_the_video(tmp_path, project, clip):
    out = tmp_path / "mot"
    export_project(project, "mot", out)
    ini = out / "seqinfo.ini"
    ini.write_text(ini.read_text().replace("imWidth=160", "imWidth=1920"))
    fails(out, "mot", clip, "seqinfo.ini", "imWidth=1920", "wrong --video")


def test_mot_folder_without_gt(tmp_path, clip):
    fails(tmp_path, "mot", clip, "no gt/gt.txt")


def test_not_utf8(tmp_path, clip):
    path = tmp_path / "gt.txt"
    path.write_bytes(b"1,1,10,10,5,5\n\xff\xfe\n")
    fails(path, "mot", clip, "not a UTF-8 text file")


# ----------------------------------------------------------------------------- CVAT

CVAT_HEAD = ('<?xml version="1.0"?>\n<annotations>\n<meta><task><labels><label><name>car</name></label></labels>'
             '</task></meta>\n')


@pytest.mark.parametrize("body, line, problem", [
    ('<track id="0" label="car">\n<box frame="0" outside="0" xtl="1" ytl="1" xbr="5"/>\n</track>\n',
     "line 5: <box>", "attribute 'ybr' is missing"),
    ('<track id="0" label="car">\n<box frame="0" outside="0" xtl="1" ytl="1" xbr="5" ybr="zz"/>\n</track>\n',
     "line 5: <box>", "ybr='zz' is not a number"),
    ('<track id="0" label="car">\n<box frame="1" xtl="5" ytl="1" xbr="1" ybr="5"/>\n</track>\n',
     "line 5: <box>", "must be positive"),
    ('<track id="0" label="car">\n<box frame="40" xtl="1" ytl="1" xbr="5" ybr="5"/>\n</track>\n',
     "line 5: <box>", "frame 40 is past the end"),
    ('<track id="0" label="car">\n<box frame="1" xtl="1" ytl="1" xbr="5" ybr="5"/>\n'
     '<box frame="1" xtl="1" ytl="1" xbr="5" ybr="5"/>\n</track>\n', "line 6: <box>", "two boxes on frame 1"),
    ('<track id="0" label="car">\n<polygon frame="1" points="1,1;5,5;1,5"/>\n</track>\n',
     "line 5: <polygon>", "only box tracks"),
    ('<image id="0" name="a.jpg">\n<box label="car" xtl="1" ytl="1" xbr="5" ybr="5"/>\n</image>\n',
     "line 4: <image>", "CVAT for images"),
    ('<track label="car">\n</track>\n', "line 4: <track>", "attribute 'id' is missing"),
    ('<track id="0" label="car">\n<box frame="1" xtl="1" ytl="1" xbr="5" ybr="5">\n'
     '<attribute name="provenance">guessed</attribute></box>\n</track>\n', "line 5: <box>", "unknown provenance 'guessed'"),
])
def test_cvat_bad_elements(tmp_path, clip, body, line, problem):
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_HEAD + body + "</annotations>\n")
    fails(path, "cvat", clip, line, problem)


def test_cvat_broken_xml_names_the_line(tmp_path, clip):
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_HEAD + '<track id="0" label="car">\n<box frame="0"\n</annotations>\n')
    fails(path, "cvat", clip, "line 6", "not valid XML")  # where expat finds the broken tag


def test_cvat_wrong_root_and_wrong_size(tmp_path, clip):
    path = tmp_path / "a.xml"
    path.write_text("<annotation><object/></annotation>")
    fails(path, "cvat", clip, "line 1: <annotation>", "not a CVAT XML file")
    path.write_text("<annotations>\n<meta><task>\n<original_size>\n<width>640</width><height>120</height>"
                    "</original_size></task></meta></annotations>")
    fails(path, "cvat", clip, "line 4: <width>", "width 640 but the video has 160")


# ----------------------------------------------------------------------------- COCO


def coco_file(tmp_path, **changes):
    data = {
        "images": [{"id": 1, "frame_id": 0, "width": 160, "height": 120},
                   {"id": 2, "frame_id": 1, "width": 160, "height": 120}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "track_id": 1},
                        {"id": 2, "image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "track_id": 1}],
        "categories": [{"id": 1, "name": "car"}],
    }
    for key, (index, field, value) in changes.items():
        if field is None:
            data[key] = value
        elif value is None:
            del data[key][index][field]
        else:
            data[key][index][field] = value
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(data, indent=1))
    return path


@pytest.mark.parametrize("changes, where, problem", [
    ({"annotations": (1, "track_id", None)}, "annotations[1]", "no integer track_id or instance_id"),
    ({"annotations": (0, "bbox", [1, 2, 3])}, "annotations[0].bbox", "four numbers"),
    ({"annotations": (0, "bbox", [1, 2, -3, 4])}, "annotations[0].bbox", "must be positive"),
    ({"annotations": (1, "image_id", 99)}, "annotations[1].image_id", "no image with id 99"),
    ({"annotations": (1, "category_id", 7)}, "annotations[1].category_id", "no category with id 7"),
    ({"annotations": (0, "score", "high")}, "annotations[0].score", "'high' is not a number"),
    ({"images": (1, "frame_id", None)}, "images[1]", "no integer frame_id or frame_index"),
    ({"images": (1, "frame_id", 12)}, "images[1]", "frame 12 is past the end"),
    ({"images": (0, "width", 640)}, "images[0].width is 640", "wrong --video"),
    ({"categories": (None, None, "car")}, "categories", "missing or not a list"),
])
def test_coco_bad_content(tmp_path, clip, changes, where, problem):
    fails(coco_file(tmp_path, **changes), "coco", clip, where, problem)


def test_coco_invalid_json_names_the_line(tmp_path, clip):
    path = tmp_path / "coco.json"
    path.write_text('{\n "images": [],\n "annotations": [,]\n}\n')
    fails(path, "coco", clip, "line 3", "not valid JSON")


def test_coco_duplicate_box_for_a_track(tmp_path, clip):
    path = coco_file(tmp_path, annotations=(1, "image_id", 1))
    fails(path, "coco", clip, "annotations[1]", "track 1 already has a box on frame 0")


# ----------------------------------------------------------------------------- OTB / GOT-10k


@pytest.mark.parametrize("text, line, problem", [
    ("1,2,3,4\n1,2,3\n", "line 2", "expected 4 numbers, found 3"),
    ("1,2,3,4\n1\t2\tthree\t4\n", "line 2", "'three' is not a number"),
    ("1,2,3,4\n\n1,2,3,4\n", "line 2", "empty line"),
    ("1,2,3,4\n1,2,-3,4\n", "line 2", "must be positive"),
    ("1,2,3,4\n" * 13, "13 lines", "12 frames"),
])
def test_otb_bad_lines(tmp_path, clip, text, line, problem):
    path = tmp_path / "groundtruth_rect.txt"
    path.write_text(text)
    fails(path, "otb", clip, line, problem)


def test_otb_folder_without_groundtruth(tmp_path, clip):
    fails(tmp_path, "otb", clip, "no groundtruth_rect")


def test_got10k_bad_absence_label(tmp_path, clip):
    (tmp_path / "groundtruth.txt").write_text("1,2,3,4\n1,2,3,4\n")
    (tmp_path / "absence.label").write_text("0\nyes\n")
    with pytest.raises(FormatError, match=r"absence\.label: line 2: expected 0 or 1, found 'yes'"):
        import_annotations(tmp_path, "got10k", clip)


def test_got10k_bad_groundtruth_line(tmp_path, clip):
    (tmp_path / "groundtruth.txt").write_text("1,2,3,4\n1,2,3,4,5\n")
    fails(tmp_path / "groundtruth.txt", "got10k", clip, "line 2", "expected 4 numbers, found 5")


# ----------------------------------------------------------------------------- any format


def test_missing_file_and_missing_video(tmp_path, clip):
    fails(tmp_path / "nothing.xml", "cvat", clip, "no such file")
    path = tmp_path / "gt.txt"
    path.write_text("1,1,10,10,5,5\n")
    with pytest.raises(FormatError, match="no such file or folder"):
        import_annotations(path, "mot", tmp_path / "missing.mp4")
    with pytest.raises(FormatError, match="needs the video"):
        import_annotations(path, "mot", None)


def test_unknown_format(tmp_path, clip):
    with pytest.raises(FormatError, match="unknown import format 'kitti'"):
        import_annotations(tmp_path, "kitti", clip)


def test_bad_project_file(tmp_path, clip):
    path = tmp_path / "p.json"
    path.write_text('{"schema": "memtrack-project", "version": 1}')
    fails(path, "project", clip, "video")
