"""Round trips: export, import, compare, for every format that has both directions; and imports of
hand-written files in each tool's own style (what other programs write, not what we write)."""
from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from formats_support import (
    HEIGHT, N_FRAMES, WIDTH, A, I, M, assert_same_tracks, clip, clipped, count_boxes, project,  # noqa: F401
)
from tracker.formats import FOLDER_FORMATS, IMPORT_FORMATS, export_project, import_annotations
from tracker.project import BoxEntry, Project
from tracker.types import Box

SUFFIX = {"cvat": ".xml", "coco": ".json", "project": ".json"}


def out_path(tmp_path, fmt):
    return tmp_path / (f"export_{fmt}" + ("" if fmt in FOLDER_FORMATS else SUFFIX.get(fmt, ".json")))


def expected_after(project: Project, fmt: str) -> Project:
    """What a round trip through ``fmt`` must give back, given what the format can hold."""
    e = copy.deepcopy(project)
    if fmt == "project":
        return e  # lossless
    for obj in e.objects.values():  # every export clips boxes to the frame
        obj.entries = {f: replace(x, box=clipped(x.box)) if x.box else x for f, x in obj.entries.items()}
        if fmt in ("coco", "cvat"):  # the rest is kept (COCO: provenance, score, absent marks in extra keys)
            continue
        if fmt == "mot":  # no provenance column, no absent rows; conf column = score
            obj.entries = {f: BoxEntry(x.box, M, x.score) for f, x in obj.entries.items() if x.box}
        elif fmt in ("otb", "got10k"):  # a line per frame: a box, or NaN (read back as absent)
            obj.entries = {f: (BoxEntry(obj.entries[f].box, M) if f in obj.entries and obj.entries[f].box
                               else BoxEntry(None, A)) for f in range(N_FRAMES)}
            if fmt == "otb":
                obj.label = "object"  # OTB has no label
        elif fmt in ("yolo", "labelstudio"):  # boxes only: no provenance, score or absent mark
            obj.entries = {f: BoxEntry(x.box, M) for f, x in obj.entries.items() if x.box}
        elif fmt == "voc":  # provenance and score attributes; no absent marks
            obj.entries = {f: x for f, x in obj.entries.items() if x.box}
    return e


# what each format can hold of a box: VOC rounds every edge to a whole pixel (at most half a pixel
# off, so a width up to one), YOLO six decimals of a fraction of the frame, the others 1/1000 px
TOLERANCE = {"voc": 1.0, "yolo": 1e-3}
# the export options a round trip needs: YOLO's identity column; Label Studio's video URL (the
# clip is a frame folder, which Label Studio cannot play)
EXPORT_OPTIONS = {"yolo": {"track_ids": True}, "labelstudio": {"media_url": "https://example.org/clip.webm"}}


@pytest.mark.parametrize("fmt", sorted(IMPORT_FORMATS))
def test_round_trip(tmp_path, project, clip, fmt):
    out = out_path(tmp_path, fmt)
    export_project(project, fmt, out, video_path=clip, **EXPORT_OPTIONS.get(fmt, {}))
    back = import_annotations(out, fmt, clip)
    assert_same_tracks(back, expected_after(project, fmt), tol=TOLERANCE.get(fmt, 1e-3))
    assert back.video.frame_count == N_FRAMES and (back.video.width, back.video.height) == (WIDTH, HEIGHT)


@pytest.mark.parametrize("fmt", ["mot", "cvat", "coco", "got10k", "project"])
def test_round_trip_keeps_labels_in_order(tmp_path, project, clip, fmt):
    project.labels = ["person", "car", "unused"]
    out = out_path(tmp_path, fmt)
    export_project(project, fmt, out, video_path=clip)
    back = import_annotations(out, fmt, clip)
    if fmt == "got10k":  # only the objects' own labels travel
        assert set(back.labels) == {"car", "person"}
    else:
        assert back.labels == ["person", "car", "unused"]


def test_round_trip_twice_is_stable(tmp_path, project, clip):
    """Export -> import -> export gives the same file for the lossless formats."""
    project.video = replace(project.video, path=str(clip.resolve()), fps=30.0)  # what an import sees
    for fmt in ("cvat", "coco", "mot"):
        a, b = tmp_path / f"a_{fmt}", tmp_path / f"b_{fmt}"
        if fmt != "mot":
            a, b = a.with_suffix(SUFFIX[fmt]), b.with_suffix(SUFFIX[fmt])
        export_project(project, fmt, a, video_path=clip)
        export_project(import_annotations(a, fmt, clip), fmt, b, video_path=clip)
        if fmt == "mot":
            assert (a / "gt" / "gt.txt").read_text() == (b / "gt" / "gt.txt").read_text()
        else:
            assert a.read_text() == b.read_text()


def test_otb_single_object_writes_plain_name_and_reads_folder(tmp_path, project, clip):
    del project.objects[2], project.objects[5]
    out = tmp_path / "otb"
    export_project(project, "otb", out)
    assert sorted(p.name for p in out.iterdir()) == ["groundtruth_rect.txt"]
    back = import_annotations(out, "otb", clip)
    assert list(back.objects) == [1]
    assert sum(e.box is not None for e in back.objects[1].entries.values()) == count_boxes(project)


# ----------------------------------------------------------------------------- files in other tools' style


def test_import_cvat_follows_cvat_interpolation_semantics(tmp_path, clip):
    xml = tmp_path / "annotations.xml"
    xml.write_text("""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><size>12</size><labels><label><name>dog</name></label></labels>
    <original_size><width>160</width><height>120</height></original_size></task></meta>
  <track id="0" label="dog" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="10" ytl="10" xbr="30" ybr="30" z_order="0"/>
    <box frame="4" outside="0" occluded="0" keyframe="1" xtl="14" ytl="10" xbr="38" ybr="30" z_order="0"/>
    <box frame="6" outside="1" occluded="0" keyframe="1" xtl="14" ytl="10" xbr="38" ybr="30" z_order="0"/>
    <box frame="8" outside="0" occluded="0" keyframe="0" xtl="50.5" ytl="60" xbr="70.5" ybr="80" z_order="0"/>
  </track>
</annotations>
""")
    p = import_annotations(xml, "cvat", clip)
    assert p.labels == ["dog"] and list(p.objects) == [1]  # CVAT's id 0 becomes track 1
    e = p.objects[1].entries
    assert e[0] == BoxEntry(Box(10, 10, 20, 20), M)
    assert e[2].provenance is I and e[2].box == Box(12, 10, 22, 20)  # halfway between 0 and 4
    assert e[4] == BoxEntry(Box(14, 10, 24, 20), M)
    assert e[5] == BoxEntry(Box(14, 10, 24, 20), I)  # the box lasts until the outside shape
    assert e[6] == BoxEntry(None, A) and 7 not in e
    assert e[8] == BoxEntry(Box(50.5, 60, 20, 20), I)  # keyframe="0": CVAT interpolated it
    assert [f for f in range(9, 12) if e[f].box == Box(50.5, 60, 20, 20)] == [9, 10, 11]  # to the end


def test_import_mot17_style_gt(tmp_path, clip):
    seq = tmp_path / "MOT17-02"
    (seq / "gt").mkdir(parents=True)
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=MOT17-02\nimDir=img1\nframeRate=30\nseqLength=12\n"
                                     "imWidth=160\nimHeight=120\nimExt=.jpg\n")
    (seq / "gt" / "gt.txt").write_text(
        "1,1,11,21,30,40,1,1,1\n"
        "2,1,12,21,30,40,1,1,0.8\n"
        "1,2,100,50,10,20,0,7,0.5\n"  # an "ignore" row of class 7 (static person)
        "12,3,1,1,160,120,1,1,1\n"
    )
    p = import_annotations(seq, "mot", clip)
    assert {t: o.label for t, o in p.objects.items()} == {1: "pedestrian", 2: "static person", 3: "pedestrian"}
    assert p.objects[1].entries[0] == BoxEntry(Box(10, 20, 30, 40), M)  # 1-based pixels -> 0-based
    assert p.objects[1].entries[1].score is None  # a 0/1 GT flag is not a score
    assert p.objects[3].entries[11].box == Box(0, 0, 160, 120)
    assert count_boxes(p) == 4


def test_import_mot15_ten_columns_and_spaces(tmp_path, clip):
    txt = tmp_path / "res.txt"
    txt.write_text("1 4 11.5 21 30 40 0.42 -1 -1 -1\n\n3 4 12 22 30 40 35.2 -1 -1 -1\n")
    p = import_annotations(txt, "mot", clip)
    assert list(p.objects) == [4] and p.objects[4].label == "object"
    assert p.objects[4].entries[0] == BoxEntry(Box(10.5, 20, 30, 40), M, 0.42)
    assert p.objects[4].entries[2].score == 35.2


def test_import_coco_vid_style_without_our_keys(tmp_path, clip):
    data = {
        "videos": [{"id": 7, "name": "other"}, {"id": 9, "name": "clip"}],
        "images": [{"id": 100 + f, "video_id": 9, "frame_id": f, "file_name": f"clip/{f}.jpg",
                    "width": 160, "height": 120} for f in range(12)]
        + [{"id": 5, "video_id": 7, "frame_id": 0, "file_name": "other/0.jpg"}],
        "annotations": [
            {"id": 1, "image_id": 100, "category_id": 3, "bbox": [1.5, 2, 10, 20], "instance_id": 0},
            {"id": 2, "image_id": 105, "category_id": 3, "bbox": [3, 4, 10, 20], "instance_id": 0},
            {"id": 3, "image_id": 105, "category_id": 4, "bbox": [50, 60, 5, 6], "instance_id": 1},
            {"id": 4, "image_id": 5, "category_id": 4, "bbox": [50, 60, 5, 6], "instance_id": 3},
        ],
        "categories": [{"id": 3, "name": "cat"}, {"id": 4, "name": "dog"}],
    }
    path = tmp_path / "vid.json"
    path.write_text(json.dumps(data))
    p = import_annotations(path, "coco", clip)  # two videos: the one named like the clip is taken
    assert {t: o.label for t, o in p.objects.items()} == {1: "cat", 2: "dog"}  # ids from 0 shifted to 1
    assert p.objects[1].entries == {0: BoxEntry(Box(1.5, 2, 10, 20), M), 5: BoxEntry(Box(3, 4, 10, 20), M)}
    assert count_boxes(p) == 3  # the other video's annotation is not taken


def test_import_got10k_sequence_without_meta(tmp_path, clip):
    seq = tmp_path / "GOT-10k_Val_000001"
    seq.mkdir()
    (seq / "groundtruth.txt").write_text("10,20,30,40\n11,20,30,40\n12,20,30,40\n")
    (seq / "absence.label").write_text("0\n1\n0\n")
    p = import_annotations(seq / "groundtruth.txt", "got10k", clip)
    e = p.objects[1].entries
    assert e == {0: BoxEntry(Box(10, 20, 30, 40), M), 1: BoxEntry(None, A), 2: BoxEntry(Box(12, 20, 30, 40), M)}
    assert p.objects[1].label == "object"


def test_import_project_repoints_video(tmp_path, project, clip):
    from tracker.project import save_project

    path = tmp_path / "p.json"
    save_project(path, project)
    moved = tmp_path / "moved"
    clip.rename(moved)
    p = import_annotations(path, "project", moved)
    assert p.video.path == str(moved.resolve()) and p.video.frame_count == N_FRAMES
    assert_same_tracks(p, project)


@pytest.mark.shared_data
def test_import_otb_shared_sequence(shared_sequences, tmp_path):
    import numpy as np

    seq = shared_sequences / "Couple"
    gt = seq / "groundtruth_rect.txt"
    p = import_annotations(gt, "otb", seq / "img")
    rows = np.loadtxt(gt, delimiter="," if "," in gt.read_text().splitlines()[0] else None)
    entries = p.objects[1].entries
    assert len(entries) == len(rows)
    for f in (0, len(rows) // 2, len(rows) - 1):
        assert entries[f].box == Box(rows[f][0] - 1, rows[f][1] - 1, rows[f][2], rows[f][3])
    # and back out: the OTB export reproduces the file's numbers
    out = tmp_path / "otb"
    export_project(p, "otb", out)
    again = np.loadtxt(out / "groundtruth_rect.txt", delimiter=",")
    assert np.allclose(again[: len(rows)], rows)
