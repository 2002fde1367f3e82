"""Label Studio export: the labelling config matches the tasks, data.video is a URL the page can load
(or an absolute path with a note), image folders get a browser-playable video or a clear refusal."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formats_support import HEIGHT, N_FRAMES, WIDTH, K, clip, count_boxes, project  # noqa: F401
from tracker import video_writer
from tracker.formats import FormatError, export_project
from tracker.formats.labelstudio_config import labeling_config, project_fps
from tracker.formats.labelstudio_media import browser_playable, check_media_url, media_reference
from tracker.project import BoxEntry, TrackObject
from tracker.types import Box
from tracker.video import open_source

VIDEO_URL = "https://example.org/videos/clip.webm"


def read_export(out: Path) -> tuple[dict, ET.Element]:
    task = json.loads((out / "tasks.json").read_text())[0]
    return task, ET.fromstring((out / "labeling_config.xml").read_text())


# ----------------------------------------------------------------------------- the labelling config


def test_config_names_labels_and_frame_rate_match_the_tasks(tmp_path, project):
    project.labels = ["car", "person", "bicycle"]  # a label no object uses yet stays selectable
    project.objects[7] = TrackObject(7, "dog", "#123456")  # a label only an object carries
    project.objects[7].entries[4] = BoxEntry(Box(5, 5, 10, 10), K)
    out = tmp_path / "ls"
    export_project(project, "labelstudio", out, media_url=VIDEO_URL)
    task, view = read_export(out)
    video, rect, labels = view.find("Video"), view.find("VideoRectangle"), view.find("Labels")
    assert video.get("value") == "$video" and "video" in task["data"]
    assert video.get("framerate") == "25"
    results = task["annotations"][0]["result"]
    assert {r["from_name"] for r in results} == {rect.get("name")}
    assert {r["to_name"] for r in results} == {video.get("name")}
    assert {video.get("name")} == {rect.get("toName")} == {labels.get("toName")}
    colours = {lab.get("value"): lab.get("background") for lab in labels.findall("Label")}
    assert list(colours) == ["car", "person", "bicycle", "dog"]
    assert colours["dog"] == "#123456" and colours["car"] == "#e6194b"  # the first car object's colour
    assert {label for r in results for label in r["value"]["labels"]} <= set(colours)


def test_config_frame_rate_is_the_one_the_task_times_use(project):
    project.video = replace(project.video, fps=30000 / 1001)
    assert ET.fromstring(labeling_config(project)).find("Video").get("framerate") == "29.97003"
    project.video = replace(project.video, fps=0.0)  # unknown (an image folder): both sides use 30
    assert project_fps(project) == 30.0
    assert ET.fromstring(labeling_config(project)).find("Video").get("framerate") == "30"


def test_labels_with_markup_characters_stay_well_formed(project):
    project.labels = ['a "quoted" <label> & more']
    view = ET.fromstring(labeling_config(project))
    assert view.find("Labels/Label").get("value") == 'a "quoted" <label> & more'
    project.labels = ["bad\x01label"]
    with pytest.raises(FormatError, match="XML cannot store"):
        labeling_config(project)


# ----------------------------------------------------------------------------- data.video


@pytest.mark.parametrize("url, expected", [
    ("/data/local-files/?d=exports/ls/", "/data/local-files/?d=exports/ls/my%20clip.mp4"),
    ("/data/local-files/?d=", "/data/local-files/?d=my%20clip.mp4"),
    ("https://example.org/media/", "https://example.org/media/my%20clip.mp4"),
    ("https://example.org/media/other.webm", "https://example.org/media/other.webm"),  # a file's own URL
    ("s3://bucket/clip.mp4", "s3://bucket/clip.mp4"),
])
def test_media_url_prefix_or_full_url(tmp_path, url, expected):
    assert media_reference(tmp_path / "my clip.mp4", url) == expected


def test_no_media_url_gives_the_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert media_reference(Path("videos/clip.mp4"), None) == (tmp_path / "videos" / "clip.mp4").as_posix()


@pytest.mark.parametrize("url, problem", [
    ("videos/", "relative URL"), ("clip.mp4", "relative URL"), ("C:/videos/", "relative URL"),
    ("http:///clip.mp4", "names no host"), ("/data/x\n.mp4", "control characters"),
    ("", "control characters"),
])
def test_media_urls_the_page_cannot_load_are_refused(url, problem):
    with pytest.raises(FormatError, match=problem):
        check_media_url(url)


def test_media_url_only_for_label_studio_and_checked_before_writing(tmp_path, project):
    with pytest.raises(FormatError, match="Label Studio option"):
        export_project(project, "coco", tmp_path / "a.json", media_url=VIDEO_URL)
    with pytest.raises(FormatError, match="relative URL"):
        export_project(project, "labelstudio", tmp_path / "ls", media_url="videos/")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]


def test_video_file_without_media_url_gets_its_absolute_path_and_a_note(tmp_path, project):
    video = tmp_path / "clip.webm"
    writer = video_writer.CheckedVideoWriter(video, video_writer.candidates_for(video), 25, (WIDTH, HEIGHT))
    for _ in range(N_FRAMES):
        writer.write(np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    writer.finish()
    notes = []
    export_project(project, "labelstudio", tmp_path / "ls", video_path=video, notes=notes.append)
    task, _ = read_export(tmp_path / "ls")
    assert task["data"]["video"] == video.resolve().as_posix()
    assert len(notes) == 1
    assert "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED" in notes[0] and "--media-url" in notes[0]
    notes.clear()
    export_project(project, "labelstudio", tmp_path / "ls2", video_path=video, notes=notes.append,
                   media_url="/data/local-files/?d=")
    assert read_export(tmp_path / "ls2")[0]["data"]["video"] == "/data/local-files/?d=clip.webm"
    assert notes == []  # served, browser codec: nothing to say


def test_a_codec_browsers_do_not_play_is_noted(tmp_path, project):
    video = tmp_path / "clip.avi"
    motion_jpeg = video_writer.Codec("MJPG", ".avi", "Motion JPEG", False)
    writer = video_writer.CheckedVideoWriter(video, [motion_jpeg], 25, (WIDTH, HEIGHT))
    for _ in range(N_FRAMES):
        writer.write(np.zeros((HEIGHT, WIDTH, 3), np.uint8))
    writer.finish()
    assert browser_playable(video) == (False, "MJPG")
    notes = []
    export_project(project, "labelstudio", tmp_path / "ls", video_path=video, notes=notes.append,
                   media_url="https://example.org/videos/")
    assert notes == ["clip.avi is encoded as MJPG, which browsers may not play; "
                     "add --frames to write a copy they do"]


# ----------------------------------------------------------------------------- image folders


def test_image_folder_without_frames_is_refused_with_how(tmp_path, project, clip):
    with pytest.raises(FormatError, match=r"clip: Label Studio's video player cannot play a folder of "
                                          r"images; add --frames"):
        export_project(project, "labelstudio", tmp_path / "ls", video_path=clip)
    assert not (tmp_path / "ls").exists()


def test_image_folder_with_frames_gets_a_browser_video_the_tasks_point_at(tmp_path, project, clip):
    codec = video_writer.first_available(video_writer.BROWSER_CODECS)
    if codec is None:
        pytest.skip("this OpenCV build has no H.264, VP9 or VP8 encoder")
    out = tmp_path / "ls"
    paths = export_project(project, "labelstudio", out, video_path=clip, write_frames=True,
                           media_url="/data/local-files/?d=exports/ls/")
    video = out / ("clip" + codec.container)
    assert sorted(paths) == sorted([out / "tasks.json", out / "labeling_config.xml", video])
    task, _ = read_export(out)
    assert task["data"]["video"] == "/data/local-files/?d=exports/ls/" + video.name
    assert browser_playable(video)[0]
    with open_source(video) as back, open_source(clip) as src:
        assert len(back) == N_FRAMES and (back.width, back.height) == (WIDTH, HEIGHT)
        for k in (0, 7, N_FRAMES - 1):  # each frame lands on its own index (frame numbers are drawn in)
            err = np.abs(back.read(k).astype(int) - src.read(k).astype(int)).mean()
            assert err < 6 and err < np.abs(back.read(k).astype(int) - src.read((k + 3) % N_FRAMES)).mean()
    assert count_boxes(project) == sum(len(r["value"]["sequence"]) for r in task["annotations"][0]["result"])


def test_frames_without_a_browser_encoder_is_refused_with_how(tmp_path, project, clip, monkeypatch):
    monkeypatch.setattr(video_writer, "codec_available", lambda codec: codec.fourcc == "mp4v")
    with pytest.raises(FormatError, match="no H.264, VP9 or VP8 encoder.*--media-url"):
        export_project(project, "labelstudio", tmp_path / "ls", video_path=clip, write_frames=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]


def test_cli_media_url_and_its_errors(tmp_path, project, clip, capsys):
    from app.cli import main
    from tracker.project import save_project

    project_file = tmp_path / "p.memtrack.json"
    save_project(project_file, project)
    assert main(["export", str(project_file), "--format", "labelstudio", "--out", str(tmp_path / "ls"),
                 "--media-url", VIDEO_URL]) == 0
    assert read_export(tmp_path / "ls")[0]["data"]["video"] == VIDEO_URL
    capsys.readouterr()
    assert main(["export", str(project_file), "--format", "labelstudio", "--out", str(tmp_path / "ls2"),
                 "--media-url", "videos/"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --media-url 'videos/': Label Studio would resolve")
    assert main(["export", str(project_file), "--format", "labelstudio", "--out", str(tmp_path / "ls3")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot play a folder of images; add --frames" in err[0]
