"""Other people's parsers read what we export: Datumaro (CVAT, COCO, VOC, YOLO, MOT), pycocotools
(COCO) and motmetrics (MOT). Each is skipped cleanly when it is not installed.

Datumaro is installed with ``--no-deps`` (it pins opencv-python-headless<5, which would replace
our opencv-contrib build); see pyproject.toml's dev extra.
"""
from __future__ import annotations

import contextlib
import io
import logging

import numpy as np
import pytest

from formats_support import HEIGHT, N_FRAMES, WIDTH, box_close, clip, clipped, count_boxes, project  # noqa: F401
from tracker.formats import coords, export_project
from tracker.types import Box


def expected_boxes(project, *, clip_to_frame: bool):
    """{(frame, track_id): (box, label)} for every box in the project."""
    out = {}
    for obj, frame, entry in project.iter_entries():
        if entry.box is not None:
            out[(frame, obj.track_id)] = (clipped(entry.box) if clip_to_frame else entry.box, obj.label)
    return out


# ----------------------------------------------------------------------------- pycocotools


def test_pycocotools_reads_coco_and_scores_it_perfect(tmp_path, project, clip):
    coco_mod = pytest.importorskip("pycocotools.coco")
    cocoeval = pytest.importorskip("pycocotools.cocoeval")
    path = tmp_path / "instances.json"
    export_project(project, "coco", path)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = coco_mod.COCO(str(path))
    assert len(gt.getImgIds()) == N_FRAMES  # every frame is an image, boxes or not
    anns = gt.loadAnns(gt.getAnnIds())
    assert len(anns) == count_boxes(project)
    names = {c["id"]: c["name"] for c in gt.loadCats(gt.getCatIds())}
    want = expected_boxes(project, clip_to_frame=True)
    got = {}
    for a in anns:
        frame = gt.loadImgs(a["image_id"])[0]["frame_id"]
        got[(frame, a["track_id"])] = (Box(*a["bbox"]), names[a["category_id"]])
    assert got.keys() == want.keys()
    for k, (box, label) in want.items():
        assert box_close(got[k][0], box) and got[k][1] == label, k
    # the detections equal to the ground truth score AP 1.0 in the official evaluator
    dets = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
            for a in anns]
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(dets)
        ev = cocoeval.COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)  # AP@[.5:.95]


# ----------------------------------------------------------------------------- motmetrics


def test_motmetrics_reads_mot_and_scores_it_perfect(tmp_path, project, clip):
    mm = pytest.importorskip("motmetrics")
    out = tmp_path / "mot"
    export_project(project, "mot", out)
    gt = mm.io.loadtxt(str(out / "gt" / "gt.txt"), fmt="mot16", min_confidence=-1)
    assert len(gt) == count_boxes(project)
    want = expected_boxes(project, clip_to_frame=True)
    for (frame_id, track_id), row in gt.iterrows():
        box, _ = want[(coords.from_mot_frame(int(frame_id)), int(track_id))]
        # motmetrics converts MOT's 1-based pixels back to 0-based ones: it must land on our box
        assert (row["X"], row["Y"], row["Width"], row["Height"]) == pytest.approx(box.as_tuple(), abs=1e-3)
        assert row["Confidence"] > 0  # never an "ignore" flag
    # The exported file, evaluated against itself by motmetrics, is a perfect tracking result.
    # (motmetrics 1.4's own iou_matrix calls np.asfarray, gone in numpy 2, so the IoU distances are
    # computed here; loading, matching and the metrics are motmetrics'.)
    acc = mm.MOTAccumulator(auto_id=True)
    for _, rows in gt.groupby(level="FrameId"):
        ids = rows.index.get_level_values("Id").tolist()
        boxes = [Box(*r) for r in rows[["X", "Y", "Width", "Height"]].to_numpy()]
        dist = np.array([[1.0 - a.iou(b) for b in boxes] for a in boxes])
        dist[dist > 0.5] = np.nan
        acc.update(ids, ids, dist)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "num_objects", "num_switches"], name="self")
    assert summary["mota"]["self"] == pytest.approx(1.0)
    assert summary["num_objects"]["self"] == count_boxes(project)
    assert summary["num_switches"]["self"] == 0


# ----------------------------------------------------------------------------- Datumaro


@pytest.fixture
def datumaro():
    pytest.importorskip("datumaro")
    from datumaro.components.dataset import Dataset

    logging.getLogger().setLevel(logging.ERROR)  # Datumaro logs every missing optional field
    return Dataset


def _read(Dataset, path, fmt, **kw):
    from datumaro.components.annotation import AnnotationType

    ds = Dataset.import_from(str(path), fmt, **kw)
    labels = [c.name for c in ds.categories()[AnnotationType.label]]
    items = {str(it.id): [a for a in it.annotations if a.type == AnnotationType.bbox] for it in ds}
    return items, labels


def test_datumaro_reads_cvat_video_tracks(tmp_path, project, clip, datumaro):
    path = tmp_path / "annotations.xml"
    export_project(project, "cvat", path)
    items, labels = _read(datumaro, path, "cvat")
    want = expected_boxes(project, clip_to_frame=True)
    got = {}
    outside = {}
    for item_id, anns in items.items():
        frame = int(item_id.rsplit("_", 1)[1])
        for a in anns:
            key = (frame, a.attributes["track_id"])
            if a.attributes["outside"]:
                outside[key] = a
                continue
            got[key] = (Box(*a.get_bbox()), labels[a.label], a.attributes)
    assert got.keys() == want.keys()
    for k, (box, label) in want.items():
        assert box_close(got[k][0], box) and got[k][1] == label, k
        entry = project.objects[k[1]].entries[k[0]]
        assert got[k][2]["provenance"] == entry.provenance.value
        assert got[k][2]["keyframe"] is True
    # absent marks are outside shapes; a run of boxes is closed by an outside shape on the next frame
    assert {(8, 1), (0, 5), (1, 5), (7, 2)} == set(outside)


def test_datumaro_reads_coco(tmp_path, project, clip, datumaro):
    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)  # Datumaro wants the COCO folder layout
    export_project(project, "coco", root / "annotations" / "instances_default.json")
    items, labels = _read(datumaro, root / "annotations" / "instances_default.json", "coco_instances")
    assert len(items) == N_FRAMES
    want = expected_boxes(project, clip_to_frame=True)
    got = {}
    for item_id, anns in items.items():
        frame = int(item_id.rsplit("/", 1)[1])
        for a in anns:
            tid = next(t for (f, t), (b, _) in want.items() if f == frame and box_close(b, Box(*a.get_bbox())))
            got[(frame, tid)] = (Box(*a.get_bbox()), labels[a.label])
    assert got.keys() == want.keys()
    assert all(got[k][1] == want[k][1] for k in want)


def test_datumaro_reads_voc_one_based(tmp_path, project, clip, datumaro):
    out = tmp_path / "voc"
    export_project(project, "voc", out, video_path=clip, write_frames=True)
    items, labels = _read(datumaro, out, "voc_detection", coordinate_mode="voc-one-based")
    assert len(items) == N_FRAMES
    want = expected_boxes(project, clip_to_frame=True)
    got = {}
    for item_id, anns in items.items():
        for a in anns:
            got[(int(item_id), int(a.attributes["track_id"]))] = (Box(*a.get_bbox()), labels[a.label], a)
    assert got.keys() == want.keys()
    for k, (box, label) in want.items():
        # VOC stores whole pixels: every edge within half a pixel
        edges = zip(got[k][0].to_xyxy(), box.to_xyxy())
        assert all(abs(a - b) <= 0.5 for a, b in edges) and got[k][1] == label, (k, got[k][0], box)
    assert got[(3, 2)][2].attributes["truncated"] is True  # the box clipped on the left
    assert got[(6, 2)][0] == Box(0, 0, WIDTH, HEIGHT)  # the whole frame is exactly the whole frame


def test_datumaro_reads_yolo(tmp_path, project, clip, datumaro):
    out = tmp_path / "yolo"
    export_project(project, "yolo", out, video_path=clip, write_frames=True)
    items, labels = _read(datumaro, out, "yolo")
    assert len(items) == N_FRAMES and labels == ["car", "person"]
    want = expected_boxes(project, clip_to_frame=True)
    per_frame = {}
    for (frame, _), (box, label) in want.items():
        per_frame.setdefault(frame, []).append((box, label))
    for item_id, anns in items.items():
        frame = int(item_id)
        got = sorted((tuple(round(v, 2) for v in a.get_bbox()), labels[a.label]) for a in anns)
        exp = sorted((tuple(round(v, 2) for v in b.as_tuple()), lab) for b, lab in per_frame.get(frame, []))
        assert len(got) == len(exp), frame
        for (gb, gl), (eb, el) in zip(got, exp):
            assert gl == el and gb == pytest.approx(eb, abs=0.01), frame  # 6 decimals of normalised values


def test_datumaro_reads_mot(tmp_path, project, clip, datumaro):
    out = tmp_path / "mot"
    export_project(project, "mot", out, video_path=clip, write_frames=True)
    items, labels = _read(datumaro, out, "mot_seq")
    assert labels == ["car", "person"]  # from gt/labels.txt
    assert len(items) == N_FRAMES  # seqinfo.ini's seqLength
    want = expected_boxes(project, clip_to_frame=True)
    got = {}
    for item_id, anns in items.items():
        for a in anns:
            # Datumaro keeps MOT's 1-based pixels as they are
            got[(coords.from_mot_frame(int(item_id)), a.attributes["track_id"])] = (
                coords.from_mot(*a.get_bbox()), labels[a.label])
    assert got.keys() == want.keys()
    for k, (box, label) in want.items():
        assert box_close(got[k][0], box) and got[k][1] == label, k
