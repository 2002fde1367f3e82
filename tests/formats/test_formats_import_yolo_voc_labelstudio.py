"""The YOLO, VOC and Label Studio importers on files in the other tools' own style, and on malformed
input: one FormatError line naming the file and the line, element or JSON path.
(Round trips through our own exports are in test_formats_roundtrip.)"""
from __future__ import annotations

import json

import pytest

from formats_support import HEIGHT, WIDTH, A, I, M, clip, project  # noqa: F401
from test_formats_malformed import fails
from tracker.formats import export_project, import_annotations
from tracker.project import BoxEntry
from tracker.types import Box


# ----------------------------------------------------------------------------- Label Studio


def ls_export(tmp_path, results, **task):
    """A file as Label Studio's own "JSON" export writes it for the video object tracking template."""
    data = [{"id": 7, "data": {"video": "/data/upload/1/5b1e-clip.mp4"}, "meta": {}, "project": 1,
             "annotations": [{"id": 1, "was_cancelled": True, "result": []},
                             {"id": 2, "completed_by": 1, "was_cancelled": False, "ground_truth": False,
                              "lead_time": 41.2, "result": results}], **task}]
    path = tmp_path / "project-1-at-2026.json"
    path.write_text(json.dumps(data))
    return path


def rect(sequence, labels=("car",), rid="Xk3"):
    return {"id": rid, "type": "videorectangle", "from_name": "box", "to_name": "video", "origin": "manual",
            "value": {"framesCount": 12, "duration": 0.48, "sequence": sequence, "labels": list(labels)}}


def kf(frame, x, enabled=True, **extra):
    return {"frame": frame, "enabled": enabled, "rotation": 0, "x": x, "y": 10.0, "width": 10.0, "height": 20.0,
            "time": frame / 25, **extra}


def test_labelstudio_own_export_follows_its_keyframe_semantics(tmp_path, clip):
    path = ls_export(tmp_path, [
        rect([kf(1, 10.0), kf(4, 40.0, enabled=False), kf(7, 50.0)], rid="a"),  # interpolate 1..4, gap, then on
        rect([kf(3, 0.0, enabled=False)], labels=("person",), rid="b"),
        {"id": "c", "type": "labels", "value": {"start": 1, "end": 2}},  # another result type: skipped
    ])
    p = import_annotations(path, "labelstudio", clip)
    assert {t: o.label for t, o in p.objects.items()} == {1: "car", 2: "person"}
    e = p.objects[1].entries
    px = WIDTH / 100
    assert e[0] == BoxEntry(Box(10 * px, 0.1 * HEIGHT, 16, 24), M)
    assert e[1].provenance is I and e[1].box.x == pytest.approx(20 * px)  # a third of the way to frame 4
    assert e[3] == BoxEntry(Box(40 * px, 0.1 * HEIGHT, 16, 24), M)
    assert 4 not in e and 5 not in e  # enabled false: hidden until the next keyframe
    assert [f for f in range(6, 12) if e[f].box.x == pytest.approx(50 * px)] == list(range(6, 12))  # to the end
    assert list(p.objects[2].entries) == [2]  # a lone disabled keyframe: that frame only


def test_labelstudio_picks_the_task_of_the_video(tmp_path, clip):
    path = tmp_path / "tasks.json"
    other = {"data": {"video": "https://example.org/other.mp4"}, "annotations": [{"result": [rect([kf(1, 5.0)])]}]}
    ours = {"data": {"video": "/data/local-files/?d=videos/clip"}, "annotations": [{"result": [rect([kf(2, 5.0, enabled=False)])]}]}
    path.write_text(json.dumps([other, ours]))
    assert list(import_annotations(path, "labelstudio", clip).objects[1].entries) == [1]


@pytest.mark.parametrize("result, where, problem", [
    (rect([kf(1, 10.0, rotation=30)]), "result[0].value.sequence[0].rotation", "rotated box cannot be imported"),
    (rect([kf(0, 10.0)]), "result[0].value.sequence[0].frame", "frame numbers start at 1"),
    (rect([kf(13, 10.0)]), "result[0].value.sequence[0]", "past the end of the video (12 frames)"),
    (rect([kf(1, "10")]), "result[0].value.sequence[0].x", "is not a number"),
    (rect([kf(1, 10.0, enabled="yes")]), "result[0].value.sequence[0].enabled", "not true or false"),
    (rect([kf(2, 10.0), kf(2, 11.0)]), "result[0].value.sequence[1]", "a second keyframe on frame 2"),
    (rect([{**kf(1, 10.0), "width": 0}]), "result[0].value.sequence[0]", "must be positive"),
    ({"type": "videorectangle", "value": {"labels": ["car"]}}, "result[0].value.sequence", "missing or not a list"),
    ({**rect([kf(1, 1.0)]), "meta": {"track_id": 0}}, "result[0].meta.track_id", "is not a track id"),
])
def test_labelstudio_bad_content(tmp_path, clip, result, where, problem):
    fails(ls_export(tmp_path, [result]), "labelstudio", clip, "[0].annotations[1]." + where, problem)


@pytest.mark.parametrize("text, problem", [
    ('{"data": {}}', "annotations: missing or not a list"),
    ("[]", "holds no task"),
    ('"tasks"', "expected a list of tasks"),
    ('[{"annotations": [{"was_cancelled": true, "result": []}]}]', "no annotation (or all were cancelled)"),
    ("[{", "not valid JSON"),
])
def test_labelstudio_bad_files(tmp_path, clip, text, problem):
    path = tmp_path / "tasks.json"
    path.write_text(text)
    fails(path, "labelstudio", clip, problem)


# ----------------------------------------------------------------------------- YOLO


def yolo_folder(tmp_path, labels: dict[str, str], classes="car\nperson\n"):
    folder = tmp_path / "yolo"
    (folder / "labels").mkdir(parents=True)
    if classes is not None:
        (folder / "classes.txt").write_text(classes)
    for name, text in labels.items():
        (folder / "labels" / name).write_text(text)
    return folder


def test_yolo_without_track_ids_makes_one_object_per_class(tmp_path, clip):
    folder = yolo_folder(tmp_path, {"0000.txt": "0 0.5 0.5 0.25 0.5\n1 0.1 0.2 0.1 0.2\n",
                                    "0003.txt": "0 0.55 0.5 0.25 0.5\n", "0004.txt": ""})
    p = import_annotations(folder, "yolo", clip)
    assert {t: o.label for t, o in p.objects.items()} == {1: "car", 2: "person"}
    assert p.objects[1].entries == {0: BoxEntry(Box(60, 30, 40, 60), M), 3: BoxEntry(Box(68, 30, 40, 60), M)}


def test_yolo_class_names_from_data_yaml_of_another_tool(tmp_path, clip):
    folder = yolo_folder(tmp_path, {"0001.txt": "2 0.5 0.5 0.25 0.5\n"}, classes=None)
    (folder / "data.yaml").write_text("path: ../datasets/x\ntrain: images/train\nnames:\n  - bus\n  - car\n  - dog\n")
    assert import_annotations(folder / "labels", "yolo", clip).objects[1].label == "dog"


@pytest.mark.parametrize("labels, file, line, problem", [
    ({"0000.txt": "0 0.5 0.5 0.2\n"}, "0000.txt", "line 1", "expected 5 to 6 numbers, found 4"),
    ({"0000.txt": "0 0.5 x 0.2 0.2\n"}, "0000.txt", "line 1", "'x' is not a number"),
    ({"0000.txt": "0 0.5 0.5 0.2 0.2\n0 80 60 30 20\n"}, "0000.txt", "line 2", "not a normalised value"),
    ({"0000.txt": "1.5 0.5 0.5 0.2 0.2\n"}, "0000.txt", "line 1", "class 1.5 is not a whole number"),
    ({"0000.txt": "0 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1\n"}, "0000.txt", "line 2", "a second box of class 0"),
    ({"0000.txt": "0 0.5 0.5 0.2 0.2 1\n", "0001.txt": "0 0.5 0.5 0.2 0.2\n"}, "0001.txt", "line 1",
     "other lines have a track id column"),
    ({"0000.txt": "0 0.5 0.5 0.2 0.2 -1\n"}, "0000.txt", "line 1", "track id -1"),
    ({"0000.txt": "0 0.5 0.5 0 0.2\n"}, "0000.txt", "line 1", "must be positive"),
    ({"frame_a.txt": "0 0.5 0.5 0.2 0.2\n"}, "frame_a.txt", "", "no frame of"),
    ({"000012.txt": "0 0.5 0.5 0.2 0.2\n"}, "000012.txt", "", "past the end of the video"),
])
def test_yolo_bad_lines(tmp_path, clip, labels, file, line, problem):
    folder = yolo_folder(tmp_path, labels)
    with pytest.raises(Exception) as info:
        import_annotations(folder, "yolo", clip)
    message = str(info.value)
    assert "\n" not in message and str(folder / "labels" / file) in message and line in message
    assert problem in message


def test_yolo_folder_without_labels(tmp_path, clip):
    fails(tmp_path, "yolo", clip, "holds no YOLO label files")


# ----------------------------------------------------------------------------- VOC


VOC = """<annotation>
  <folder>JPEGImages</folder>
  <filename>{name}</filename>
  <size><width>160</width><height>{height}</height><depth>3</depth></size>
  {objects}
</annotation>
"""
OBJ = ("<object><name>{label}</name><truncated>0</truncated><difficult>1</difficult><occluded>{occ}</occluded>"
       "<bndbox><xmin>{xmin}</xmin><ymin>11</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>")


def voc_file(folder, stem, objects, name=None, height=120):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.xml"
    path.write_text(VOC.format(name=name or f"{stem}.png", height=height, objects="\n".join(objects)))
    return path


def test_voc_from_another_tool_one_object_per_label(tmp_path, clip):
    folder = tmp_path / "voc" / "Annotations"
    voc_file(folder, "0002", [OBJ.format(label="dog", occ=0, xmin=11), OBJ.format(label="cat", occ=1, xmin=5)])
    voc_file(folder, "whatever", [OBJ.format(label="dog", occ=0, xmin=13)], name="0005.png")  # <filename> decides
    p = import_annotations(tmp_path / "voc", "voc", clip)
    assert {t: o.label for t, o in p.objects.items()} == {1: "dog", 2: "cat"}
    assert p.objects[1].entries == {2: BoxEntry(Box(10, 10, 20, 30), M), 5: BoxEntry(Box(12, 10, 18, 30), M)}
    assert p.objects[2].entries[2].occluded  # <occluded>, not <difficult> or <truncated>
    assert not p.objects[1].entries[2].occluded


@pytest.mark.parametrize("objects, kwargs, where, problem", [
    (["<object><name>dog</name></object>"], {}, "line 5: <object>", "<bndbox> is missing"),
    ([OBJ.format(label="dog", occ=0, xmin="a")], {}, "line 5: <xmin>", "'a' is not a number"),
    ([OBJ.format(label="dog", occ=2, xmin=11)], {}, "line 5: <occluded>", "'2' is not 0 or 1"),
    ([OBJ.format(label="dog", occ=0, xmin=31)], {}, "line 5: <object>", "must be positive"),
    ([OBJ.format(label="dog", occ=0, xmin=11)] * 2, {}, "line 6: <object>", "a second 'dog' on this frame"),
    ([], {"height": 480}, "line 4: <height>", "height 480 but the video has 120"),
    ([], {"name": "IMG_77.png"}, "line 1: <annotation>", "no frame of"),
])
def test_voc_bad_elements(tmp_path, clip, objects, kwargs, where, problem):
    path = voc_file(tmp_path, "0001", objects, **kwargs)
    fails(path, "voc", clip, where, problem)


def test_voc_broken_and_foreign_xml(tmp_path, clip):
    path = tmp_path / "a.xml"
    path.write_text("<annotation>\n<filename>0001.png</filename>\n<object>\n</annotation>\n")
    fails(path, "voc", clip, "line 4", "not valid XML")
    path.write_text("<annotations><track/></annotations>")
    fails(path, "voc", clip, "line 1: <annotations>", "not a Pascal VOC file")
    fails(tmp_path / "empty_dir_that_is_missing", "voc", clip, "no such file or folder")
    path.write_text('<!DOCTYPE a [\n<!ENTITY x "x">]>\n<annotation>&x;</annotation>')
    fails(path, "voc", clip, "line 2", "declares the entity 'x'", "refused")


@pytest.mark.parametrize("text", ["names: " + "[" * 3000, "names: [" + "9" * 5000 + "]", "names: {a: 1}", "names: 5"])
def test_yolo_data_yaml_that_cannot_be_used(tmp_path, clip, text):
    folder = yolo_folder(tmp_path, {"0001.txt": "0 0.5 0.5 0.25 0.5\n"}, classes=None)
    (folder / "data.yaml").write_text(text)
    fails(folder, "yolo", clip, str(folder / "data.yaml"))


def test_voc_round_trip_of_a_frame_folder_with_track_ids(tmp_path, project, clip):
    out = tmp_path / "voc"
    export_project(project, "voc", out)
    back = import_annotations(out, "voc", clip)
    assert sorted(back.objects) == [1, 2, 5] and back.objects[2].entries[3].box == Box(0, 40, 15, 50)  # clipped
    assert back.objects[1].entries[1].score == pytest.approx(0.85) and 8 not in back.objects[1].entries  # no absent
    assert back.objects[5].entries[11].box == Box(150, 110, 10, 10) and back.objects[5].entries[11].provenance is not A
