"""Export guarantees: nothing dropped (boxes in == boxes out, every frame present), atomic output,
clipping errors that name the box, each format's own structure, frames and the review video."""
from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from formats_support import HEIGHT, N_FRAMES, WIDTH, K, clip, count_boxes, project  # noqa: F401
from tracker.formats import (
    EXPORT_FORMATS, FOLDER_FORMATS, FRAME_FORMATS, FormatError, export_context, export_project,
)
from tracker.project import BoxEntry, load_project
from tracker.types import Box
from tracker.video import open_source

FILE_SUFFIX = {"cvat": ".xml", "video": ".mp4", "csv": ".csv"}
LS_VIDEO_URL = "https://example.org/videos/clip.webm"  # the clip is an image folder: a video made elsewhere


def target(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / "out" / (fmt if fmt in FOLDER_FORMATS else fmt + FILE_SUFFIX.get(fmt, ".json"))


def boxes_and_frames(fmt: str, out: Path) -> tuple[int, int]:
    """(boxes, frames) counted straight from the files, independently of the exporters."""
    if fmt == "mot":
        rows = [r for r in (out / "gt" / "gt.txt").read_text().splitlines() if r]
        length = next(int(line.split("=")[1]) for line in (out / "seqinfo.ini").read_text().splitlines()
                      if line.startswith("seqLength"))
        return len(rows), length
    if fmt == "cvat":
        root = ET.parse(out).getroot()
        boxes = [b for t in root.iter("track") for b in t.iter("box") if b.get("outside") == "0"]
        return len(boxes), int(root.find("meta/task/size").text)
    if fmt == "coco":
        data = json.loads(out.read_text())
        return len(data["annotations"]), len(data["images"])
    if fmt == "yolo":
        files = sorted((out / "labels").glob("*.txt"))
        return sum(len(f.read_text().splitlines()) for f in files), len(files)
    if fmt == "voc":
        files = sorted((out / "Annotations").glob("*.xml"))
        return sum(len(ET.parse(f).getroot().findall("object")) for f in files), len(files)
    if fmt in ("otb", "got10k"):
        name = "groundtruth_rect*.txt" if fmt == "otb" else "*/groundtruth.txt"
        files = sorted(out.glob(name))
        lines = [f.read_text().splitlines() for f in files]
        assert len({len(x) for x in lines}) == 1
        return sum(1 for x in lines for line in x if "NaN" not in line), len(lines[0])
    if fmt == "labelstudio":
        task = json.loads((out / "tasks.json").read_text())[0]
        results = task["annotations"][0]["result"]
        return sum(len(r["value"]["sequence"]) for r in results), results[0]["value"]["framesCount"]
    if fmt == "csv":
        rows = list(csv.DictReader(out.open()))
        return sum(1 for r in rows if r["x"]), max(int(r["frame"]) for r in rows) + 1
    if fmt == "project":
        p = load_project(out)
        return count_boxes(p), p.video.frame_count
    if fmt == "video":
        with open_source(out) as src:
            return -1, len(src)
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_export_never_drops_a_box_or_a_frame(tmp_path, project, clip, fmt):
    calls = []
    out = target(tmp_path, fmt)
    frames = fmt == "labelstudio"  # an image folder: Label Studio needs the frames as a video
    paths = export_project(project, fmt, out, video_path=clip, progress=lambda d, t: calls.append((d, t)),
                           write_frames=frames)
    assert paths and all(p.is_file() for p in paths)
    boxes, frames = boxes_and_frames(fmt, out)
    assert frames == N_FRAMES
    if fmt != "video":
        assert boxes == count_boxes(project) == 16
    assert calls and calls[-1][0] == calls[-1][1]  # progress reached its total
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_exporter_that_drops_a_box_is_caught(tmp_path, project, monkeypatch):
    original = export_context.ExportContext.boxes_by_frame

    def lossy(self):
        frames = original(self)
        frames[3] = frames[3][:1]
        return frames

    monkeypatch.setattr(export_context.ExportContext, "boxes_by_frame", lossy)
    out = tmp_path / "mot"
    with pytest.raises(FormatError, match="wrote 15 boxes but the project has 16"):
        export_project(project, "mot", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]  # neither the output nor a staging folder


# ----------------------------------------------------------------------------- atomic output


@pytest.mark.parametrize("fmt", ["yolo", "voc", "mot", "otb", "video"])
def test_export_failing_midway_leaves_nothing(tmp_path, project, clip, fmt):
    (clip / "0007.png").write_bytes(b"not an image")  # frames 0-6 are written before this fails
    out = tmp_path / "out" / ("x.mp4" if fmt == "video" else fmt)
    frames = fmt != "video"
    with pytest.raises(FormatError, match="0007.png: cannot decode image"):
        export_project(project, fmt, out, video_path=clip, write_frames=frames)
    assert list((tmp_path / "out").iterdir()) == []


def test_failed_overwrite_keeps_the_old_export(tmp_path, project, clip):
    out = tmp_path / "yolo"
    export_project(project, "yolo", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (clip / "0003.png").write_bytes(b"broken")
    with pytest.raises(FormatError):
        export_project(project, "yolo", out, video_path=clip, write_frames=True, overwrite=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip", "yolo"]


def test_existing_output_needs_overwrite(tmp_path, project):
    folder = tmp_path / "mot"
    folder.mkdir()
    export_project(project, "mot", folder)  # an empty folder is fine
    with pytest.raises(FormatError, match="not empty"):
        export_project(project, "mot", folder)
    (folder / "stale.txt").write_text("old")
    export_project(project, "mot", folder, overwrite=True)
    assert not (folder / "stale.txt").exists() and (folder / "gt" / "gt.txt").is_file()
    file = tmp_path / "a.xml"
    file.write_text("mine")
    with pytest.raises(FormatError, match="file exists"):
        export_project(project, "cvat", file)
    assert file.read_text() == "mine"
    export_project(project, "cvat", file, overwrite=True)
    assert file.read_text().startswith("<?xml")
    with pytest.raises(FormatError, match="is a folder"):
        export_project(project, "coco", folder, overwrite=True)


# ----------------------------------------------------------------------------- clipping and bad projects


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f not in ("project", "video")])
def test_box_entirely_outside_the_frame_is_exported_as_absent(tmp_path, project, fmt):
    project.objects[2].entries[3] = BoxEntry(Box(-50, 40, 20, 50), K)
    out = target(tmp_path, fmt)
    notes = []
    export_project(project, fmt, out, notes=notes.append,
                   **({"media_url": LS_VIDEO_URL} if fmt == "labelstudio" else {}))
    assert boxes_and_frames(fmt, out)[0] == count_boxes(project) - 1
    assert any("1 box with no part inside the frame exported as absent" in n for n in notes)
    if fmt == "cvat":  # an outside shape, as an absent mark
        box = next(b for t in ET.parse(out).getroot().iter("track") if t.get("id") == "2"
                   for b in t.iter("box") if b.get("frame") == "3")
        assert box.get("outside") == "1"
    if fmt == "coco":
        assert 3 in next(t for t in json.loads(out.read_text())["tracks"] if t["id"] == 2)["absent_frames"]
    if fmt == "got10k":
        assert (out / "track_002" / "groundtruth.txt").read_text().splitlines()[3] == "NaN,NaN,NaN,NaN"
    assert project.objects[2].entries[3].box == Box(-50, 40, 20, 50)  # the project itself is not changed


def test_project_file_keeps_boxes_outside_the_frame(tmp_path, project):
    project.objects[2].entries[3] = BoxEntry(Box(-50, 40, 20, 50), K)
    export_project(project, "project", tmp_path / "p.json")
    assert load_project(tmp_path / "p.json").objects[2].entries[3].box == Box(-50, 40, 20, 50)


def test_entries_past_the_video_and_missing_sizes_are_errors(tmp_path, project):
    project.objects[1].entries[12] = BoxEntry(Box(1, 1, 5, 5), K)
    with pytest.raises(FormatError, match="object 1 .* frame 12, outside the video's 12 frames"):
        export_project(project, "coco", tmp_path / "a.json")
    del project.objects[1].entries[12]
    project.video = replace(project.video, width=0, height=0)
    with pytest.raises(FormatError, match="does not record the video's size, which YOLO needs"):
        export_project(project, "yolo", tmp_path / "y")


def test_options_only_where_they_apply(tmp_path, project):
    with pytest.raises(FormatError, match="csv cannot write frames"):
        export_project(project, "csv", tmp_path / "a.csv", write_frames=True)
    with pytest.raises(FormatError, match="YOLO option"):
        export_project(project, "mot", tmp_path / "m", track_ids=True)
    with pytest.raises(FormatError, match="unknown export format 'kitti'"):
        export_project(project, "kitti", tmp_path / "k")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]


# ----------------------------------------------------------------------------- each format's content


def test_yolo_lines_and_track_id_column(tmp_path, project):
    out = tmp_path / "yolo"
    export_project(project, "yolo", out, track_ids=True)
    assert (out / "classes.txt").read_text() == "car\nperson\n"
    assert "names:\n  0: \"car\"\n  1: \"person\"\n" in (out / "data.yaml").read_text()
    lines = (out / "labels" / "0003.txt").read_text().splitlines()  # named like the image 0003.png
    car = Box(19.25, 23.5, 30, 18.75)
    assert lines[0] == (f"0 {(car.x + car.w / 2) / WIDTH:.6f} {(car.y + car.h / 2) / HEIGHT:.6f} "
                        f"{car.w / WIDTH:.6f} {car.h / HEIGHT:.6f} 1")
    cls, cx, cy, w, h, tid = lines[1].split()
    assert (cls, tid) == ("1", "2") and float(cx) - float(w) / 2 == pytest.approx(0, abs=1e-6)  # clipped
    assert (out / "labels" / "0009.txt").read_text() == ""  # a frame without boxes still has its file
    assert (out / "labels" / "0006.txt").read_text().splitlines()[1].startswith("1 0.500000 0.500000 1.000000 1.000000")


def test_labelstudio_sequences(tmp_path, project):
    out = tmp_path / "ls"
    export_project(project, "labelstudio", out, media_url=LS_VIDEO_URL)
    task = json.loads((out / "tasks.json").read_text())[0]
    assert task["data"]["video"] == LS_VIDEO_URL
    results = {r["meta"]["track_id"]: r for r in task["annotations"][0]["result"]}
    assert all(r["type"] == "videorectangle" and r["to_name"] == "video" for r in results.values())
    car = results[1]["value"]
    assert car["labels"] == ["car"] and car["framesCount"] == N_FRAMES
    seq = {s["frame"]: s for s in car["sequence"]}
    assert sorted(seq) == [1, 2, 3, 4, 5, 6, 7, 8, 11, 12]  # 1-based frames with a box
    assert [f for f, s in seq.items() if not s["enabled"]] == [8, 12]  # each run of boxes ends disabled
    assert (seq[1]["x"], seq[1]["y"], seq[1]["width"]) == pytest.approx((10.25 / 1.6, 20.5 / 1.2, 30 / 1.6), abs=1e-4)
    assert seq[1]["time"] == pytest.approx(1 / 25)
    assert results[2]["value"]["sequence"][1]["x"] == 0  # clipped


def test_csv_rows(tmp_path, project):
    out = tmp_path / "a.csv"
    export_project(project, "csv", out)
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["frame", "track_id", "label", "x", "y", "w", "h", "provenance", "score", "occluded"]
    assert len(rows) == sum(len(o.entries) for o in project.objects.values())
    assert rows[0] == {"frame": "0", "track_id": "1", "label": "car", "x": "10.25", "y": "20.5", "w": "30",
                       "h": "18.75", "provenance": "keyframe", "score": "", "occluded": "0"}
    absent = [r for r in rows if r["provenance"] == "absent"]
    assert [(r["frame"], r["track_id"], r["x"]) for r in absent] == [("0", "5", ""), ("1", "5", ""), ("8", "1", "")]


def test_mot_conf_column_never_reads_as_ignore(tmp_path, project):
    project.objects[1].entries[1] = BoxEntry(Box(1, 1, 5, 5), project.objects[1].entries[1].provenance, 0.0)
    out = tmp_path / "mot"
    export_project(project, "mot", out)
    rows = [r.split(",") for r in (out / "gt" / "gt.txt").read_text().splitlines()]
    conf = {(r[0], r[1]): float(r[6]) for r in rows}
    assert conf[("2", "1")] == 0.001 and conf[("1", "1")] == 1.0 and conf[("3", "1")] == 0.8
    assert (out / "gt" / "labels.txt").read_text() == "car\nperson\n"


def test_got10k_side_files(tmp_path, project):
    out = tmp_path / "got"
    export_project(project, "got10k", out)
    person = out / "track_002"
    assert (person / "absence.label").read_text().split() == ["1", "1", "0", "0", "0", "0", "0"] + ["1"] * 5
    assert (person / "cut_by_image.label").read_text().split()[3] == "1"  # frame 3 sticks out
    assert "object_class: person" in (person / "meta_info.ini").read_text()
    assert (person / "groundtruth.txt").read_text().splitlines()[3] == "0,40,14.5,50"  # clipped


@pytest.mark.parametrize("fmt, image", [("yolo", "images/0005.png"), ("voc", "JPEGImages/0005.png"),
                                        ("mot", "img1/000006.jpg"), ("otb", "img/0006.jpg")])
def test_frames_written_next_to_labels(tmp_path, project, clip, fmt, image):
    """A frame folder's images keep their names where the labels name images (YOLO, VOC); MOT and OTB
    readers find frames by number, so those get numbered JPEG files."""
    assert fmt in FRAME_FORMATS
    out = tmp_path / fmt
    export_project(project, fmt, out, video_path=clip, write_frames=True)
    assert len([p for p in out.rglob("*" + Path(image).suffix)]) == N_FRAMES
    if Path(image).suffix == ".png":  # copied unchanged
        assert (out / image).read_bytes() == (clip / "0005.png").read_bytes()
    written = cv2.cvtColor(cv2.imread(str(out / image)), cv2.COLOR_BGR2RGB).astype(int)
    with open_source(clip) as src:
        assert np.abs(written - src.read(5).astype(int)).mean() < 3  # frame 5, JPEG-close


def test_review_video_has_the_boxes_drawn(tmp_path, project, clip):
    out = tmp_path / "review.mp4"
    export_project(project, "video", out, video_path=clip)
    with open_source(out) as video, open_source(clip) as src:
        assert len(video) == N_FRAMES and (video.width, video.height) == (WIDTH, HEIGHT)
        drawn, plain = video.read(0).astype(int), src.read(0).astype(int)
    car = project.objects[1].entries[0].box
    # the car's box outline (red, #e6194b) on frame 0: the top edge changed, the middle of the box did not
    y, x0, x1 = round(car.y), round(car.x) + 3, round(car.x + car.w) - 3
    assert np.abs(drawn[y, x0:x1] - plain[y, x0:x1]).mean() > 40
    assert drawn[y, x0:x1, 0].mean() > drawn[y, x0:x1, 2].mean()
    cy, cx = round(car.y + car.h / 2), round(car.x + car.w / 2)
    assert np.abs(drawn[cy - 2:cy + 2, cx - 2:cx + 2] - plain[cy - 2:cy + 2, cx - 2:cx + 2]).mean() < 25
