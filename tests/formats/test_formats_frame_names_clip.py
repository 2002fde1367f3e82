"""Exports name images by their real files and keep every box inside the frame: COCO ``file_name``s
of a frame folder exist on disk (with and without the frames written), and a box reaching past the
frame's edge is clipped in every format's output."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from formats_support import HEIGHT, WIDTH, K, T  # noqa: F401
from tracker.formats import EXPORT_FORMATS, FOLDER_FORMATS, IMPORT_FORMATS, export_project, import_annotations
from tracker.project import BoxEntry, Project, TrackObject, VideoRef
from tracker.types import Box

N = 6


def jpg_folder(folder: Path, n: int = N) -> Path:
    """A frame folder named the way cameras and OTB name frames: 0001.jpg, 0002.jpg, ..."""
    folder.mkdir(parents=True)
    for i in range(n):
        img = np.full((HEIGHT, WIDTH, 3), 20 * i, np.uint8)
        cv2.imwrite(str(folder / f"{i + 1:04d}.jpg"), img)
    return folder


def project_on(source: Path, n: int = N) -> Project:
    p = Project(video=VideoRef(str(source), n, WIDTH, HEIGHT, 25.0), labels=["car"])
    car = TrackObject(1, "car", "#e6194b")
    for f in range(n):
        car.entries[f] = BoxEntry(Box(10 + f, 20, 30, 40), K if f == 0 else T, None if f == 0 else 0.8)
    p.objects[1] = car
    return p


def test_coco_file_names_of_a_frame_folder_exist_on_disk(tmp_path):
    frames = jpg_folder(tmp_path / "data" / "img")
    out = tmp_path / "export" / "coco.json"
    export_project(project_on(frames), "coco", out)
    names = [im["file_name"] for im in json.loads(out.read_text())["images"]]
    assert names == [f"img/{i + 1:04d}.jpg" for i in range(N)]  # the real names, not img/000000.jpg
    assert all((frames.parent / n).is_file() for n in names)  # relative to the folder holding img/


def test_coco_writes_the_frames_beside_the_json_under_those_names(tmp_path):
    frames = jpg_folder(tmp_path / "data" / "img")
    out = tmp_path / "export" / "coco.json"
    paths = export_project(project_on(frames), "coco", out, write_frames=True)
    data = json.loads(out.read_text())
    for im in data["images"]:
        written = out.parent / im["file_name"]
        assert written.is_file() and written in paths
        assert written.read_bytes() == (frames / Path(im["file_name"]).name).read_bytes()  # copied, not re-encoded
    assert import_annotations(out, "coco", frames).objects[1].entries[3].box == Box(13, 20, 30, 40)


def test_coco_frames_already_in_place_are_not_copied(tmp_path):
    frames = jpg_folder(tmp_path / "data" / "img")
    notes = []
    out = frames.parent / "coco.json"  # the JSON's folder already holds img/
    export_project(project_on(frames), "coco", out, write_frames=True, notes=notes.append)
    assert any("already in" in n for n in notes)
    assert sorted(p.name for p in frames.parent.iterdir()) == ["coco.json", "img"]
    assert all((out.parent / im["file_name"]).is_file() for im in json.loads(out.read_text())["images"])


def test_coco_frames_of_a_video_are_the_numbered_images_it_writes(tmp_path):
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (WIDTH, HEIGHT))
    for i in range(N):
        writer.write(np.full((HEIGHT, WIDTH, 3), 30 * i, np.uint8))
    writer.release()
    out = tmp_path / "export" / "coco.json"
    export_project(project_on(video), "coco", out, write_frames=True)
    names = [im["file_name"] for im in json.loads(out.read_text())["images"]]
    assert names == [f"clip/{i:06d}.jpg" for i in range(N)]
    assert all(cv2.imread(str(out.parent / n)).shape == (HEIGHT, WIDTH, 3) for n in names)


def test_a_failed_coco_frame_export_leaves_nothing(tmp_path):
    frames = jpg_folder(tmp_path / "data" / "img")
    (frames / "0004.jpg").write_bytes(b"broken")
    out = tmp_path / "export" / "coco.json"
    with pytest.raises(Exception, match="0004.jpg"):
        export_project(project_on(frames), "coco", out, write_frames=True)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.parametrize("fmt, label_file", [("yolo", "labels/0003.txt"), ("voc", "Annotations/0003.xml")])
def test_yolo_and_voc_label_files_are_named_like_the_images(tmp_path, fmt, label_file):
    frames = jpg_folder(tmp_path / "img")
    out = tmp_path / fmt
    export_project(project_on(frames), fmt, out, write_frames=True)
    assert (out / label_file).is_file()
    images = sorted(p.name for p in out.rglob("*.jpg"))
    assert images == sorted(p.name for p in frames.iterdir())
    if fmt == "voc":
        assert "<filename>0003.jpg</filename>" in (out / label_file).read_text()


# ----------------------------------------------------------------------------- clipping


PAST_BOTTOM = Box(100.0, 73.7, 20.0, 50.0)  # reaches 3.7 px past the bottom edge of the 120 px frame
CLIPPED = Box(100.0, 73.7, 20.0, 46.3)


def exported_box(fmt: str, out: Path, frames: Path) -> Box:
    """Object 1's box on frame 2 as the file holds it (read back by our importer where there is one)."""
    if fmt == "csv":
        row = next(r for r in csv.DictReader(out.open()) if r["frame"] == "2")
        return Box(*(float(row[k]) for k in ("x", "y", "w", "h")))
    return import_annotations(out, fmt, frames).objects[1].entries[2].box


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f not in ("project", "video")])
def test_a_box_past_the_frame_edge_is_clipped_in_every_format(tmp_path, fmt):
    frames = jpg_folder(tmp_path / "img")
    project = project_on(frames)
    project.objects[1].entries[2] = BoxEntry(PAST_BOTTOM, K)
    out = tmp_path / "out" / (fmt if fmt in FOLDER_FORMATS else fmt + ".out")
    options = {"yolo": {"track_ids": True}, "labelstudio": {"media_url": "https://example.org/clip.webm"}}
    export_project(project, fmt, out, **options.get(fmt, {}))
    assert fmt in IMPORT_FORMATS or fmt == "csv"
    box = exported_box(fmt, out, frames)
    tol = 1.0 if fmt == "voc" else 1e-3  # VOC: whole pixels
    assert box.y + box.h <= HEIGHT + 1e-6 and box.x + box.w <= WIDTH + 1e-6
    assert all(abs(a - b) <= tol for a, b in zip(box.as_tuple(), CLIPPED.as_tuple())), box
    if fmt == "coco":  # and in the file itself, not only after reading it back
        bbox = next(a["bbox"] for a in json.loads(out.read_text())["annotations"] if a["image_id"] == 3)
        assert bbox[1] + bbox[3] <= HEIGHT
    if fmt == "mot":
        row = next(r.split(",") for r in (out / "gt" / "gt.txt").read_text().splitlines() if r.startswith("3,"))
        assert float(row[3]) + float(row[5]) - 1 <= HEIGHT  # 1-based top + height - 1 = last row
