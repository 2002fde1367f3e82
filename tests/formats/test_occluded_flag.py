"""The per-entry occluded flag: stored in the project file (version 2, old files still load) and
exported where the format has a place for it (CVAT occluded, COCO attributes.occluded, VOC
<occluded>, MOT visibility, CSV), read back by the importers."""
from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from formats_support import clip, project  # noqa: F401
from tracker.formats import export_project, import_annotations
from tracker.project import BoxEntry, Provenance, ProjectError, load_project, save_project
from tracker.types import Box


def occlude(project):
    """Object 1 occluded on frames 2 and 3."""
    for f in (2, 3):
        project.objects[1].entries[f] = replace(project.objects[1].entries[f], occluded=True)
    return project


def occluded_frames(project, tid=1):
    return sorted(f for f, e in project.objects[tid].entries.items() if e.occluded)


def test_project_file_keeps_the_flag_and_says_version_2(tmp_path, project):
    path = tmp_path / "p.json"
    save_project(path, occlude(project))
    data = json.loads(path.read_text())
    assert data["version"] == 2
    assert data["objects"][0]["frames"][2][4] is True and len(data["objects"][0]["frames"][1]) == 4
    assert occluded_frames(load_project(path)) == [2, 3]


def test_a_project_without_occlusion_is_written_as_version_1_and_old_files_load(tmp_path, project):
    path = tmp_path / "p.json"
    save_project(path, project)
    data = json.loads(path.read_text())
    assert data["version"] == 1  # older programs still open it
    assert all(len(row) == 4 for o in data["objects"] for row in o["frames"])
    assert not any(e.occluded for o in load_project(path).objects.values() for e in o.entries.values())


@pytest.mark.parametrize("version, row, problem", [
    (1, [0, [1, 2, 3, 4], "keyframe", None, True], "must be [frame, box, provenance, score]"),
    (2, [0, [1, 2, 3, 4], "keyframe", None, 1], "occluded flag 1 is not true or false"),
    (2, [0, None, "absent", None, True], "an absent mark cannot be occluded"),
])
def test_bad_occluded_rows_are_refused(tmp_path, version, row, problem):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"schema": "memtrack-project", "version": version,
                                "video": {"path": "v.mp4", "frame_count": 5, "width": 10, "height": 10, "fps": 25},
                                "objects": [{"track_id": 1, "label": "car", "frames": [row]}]}))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_only_a_box_can_be_occluded():
    with pytest.raises(ValueError, match="only an entry with a box"):
        BoxEntry(None, Provenance.ABSENT, None, True)


@pytest.mark.parametrize("fmt, suffix", [("cvat", ".xml"), ("coco", ".json"), ("voc", ""), ("mot", "")])
def test_formats_with_an_occlusion_field_round_trip_the_flag(tmp_path, project, clip, fmt, suffix):
    out = tmp_path / (fmt + suffix)
    export_project(occlude(project), fmt, out, video_path=clip)
    back = import_annotations(out, fmt, clip)
    assert occluded_frames(back) == [2, 3]
    assert not any(e.occluded for t in (2, 5) for e in back.objects[t].entries.values())


def test_how_each_format_writes_the_flag(tmp_path, project, clip):
    occlude(project)
    export_project(project, "cvat", tmp_path / "a.xml")
    boxes = {b.get("frame"): b for t in ET.parse(tmp_path / "a.xml").getroot().iter("track") if t.get("id") == "1"
             for b in t.iter("box")}
    assert boxes["2"].get("occluded") == "1" and boxes["1"].get("occluded") == "0"
    export_project(project, "coco", tmp_path / "a.json")
    anns = [a for a in json.loads((tmp_path / "a.json").read_text())["annotations"] if a["track_id"] == 1]
    assert [a["attributes"]["occluded"] for a in anns[:4]] == [False, False, True, True]
    export_project(project, "mot", tmp_path / "mot")
    rows = [r.split(",") for r in (tmp_path / "mot" / "gt" / "gt.txt").read_text().splitlines()]
    assert {r[0]: r[8] for r in rows if r[1] == "1"}["3"] == "0.5"  # frame 2 (1-based 3): partly visible
    assert {r[0]: r[8] for r in rows if r[1] == "1"}["2"] == "1"
    export_project(project, "voc", tmp_path / "voc")
    obj = ET.parse(tmp_path / "voc" / "Annotations" / "0002.xml").getroot().find("object")
    assert (obj.findtext("occluded"), obj.findtext("difficult"), obj.findtext("truncated")) == ("1", "0", "0")
    export_project(project, "csv", tmp_path / "a.csv")
    rows = [r for r in csv.DictReader((tmp_path / "a.csv").open()) if r["track_id"] == "1"]
    assert [r["occluded"] for r in rows[:4]] == ["0", "0", "1", "1"]


def test_cvat_interpolated_frames_take_the_flag_of_the_shape_before(tmp_path, clip):
    xml = tmp_path / "a.xml"
    xml.write_text('<annotations><track id="0" label="dog">'
                   '<box frame="0" outside="0" occluded="1" keyframe="1" xtl="1" ytl="1" xbr="9" ybr="9"/>'
                   '<box frame="3" outside="0" occluded="0" keyframe="1" xtl="4" ytl="1" xbr="12" ybr="9"/>'
                   '</track></annotations>')
    e = import_annotations(xml, "cvat", clip).objects[1].entries
    assert [e[f].occluded for f in range(5)] == [True, True, True, False, False]
    assert e[1].box == Box(2, 1, 8, 8)
