"""The project file and the recovery file: hostile JSON is one line naming the file and the place;
a frame index `true`, duplicate frame rows, unknown keys, bad labels and video paths are refused
instead of being read wrongly or dropped on the next save."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.recovery import RecoveryStore
from tests.robustness.support import clip, one_line, small_project  # noqa: F401
from tracker.project import ProjectError, load_project, project_to_dict, save_project


def project_dict(clip: Path) -> dict:
    return project_to_dict(small_project(str(clip)))


def refused(path: Path, *parts: str) -> str:
    with pytest.raises(ProjectError) as info:
        load_project(path)
    return one_line(info.value, str(path), *parts)


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "p.memtrack.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_valid_project_still_loads(tmp_path, clip):
    project = load_project(write(tmp_path, project_dict(clip)))
    assert sorted(project.objects) == [1, 2] and project.labels == ["car", "person"]


@pytest.mark.parametrize("text, problem", [
    ("[" * 200000 + "]" * 200000, "nested too deeply"),
    ('{"schema": "memtrack-project", "version": ' + "7" * 5000 + "}", "thousands of digits"),
    ('{"schema": "memtrack-project", "version": 1, "video": {"fps": NaN}}', "NaN is not a JSON number"),
    ('{"schema": ', "line 1: not valid JSON"),
])
def test_json_that_cannot_be_read(tmp_path, text, problem):
    refused(write(tmp_path, text), problem)


def set_in(data: dict, keys: list, value) -> dict:
    node = data
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    return data


@pytest.mark.parametrize("keys, value, where, problem", [
    (["objects", 0, "frames", 1, 0], True, "objects[0].frames[1]", "frame index True"),
    (["objects", 0, "frames", 1, 0], 0, "objects[0].frames[1]", "a second row for frame 0"),
    (["extra_notes"], "kept?", "top level", "unknown key(s) 'extra_notes'"),
    (["video", "codec"], "h264", "video", "unknown key(s) 'codec'"),
    (["objects", 0, "notes"], "x", "objects[0]", "unknown key(s) 'notes'"),
    (["video", "frame_count"], 10**9, "video.frame_count", "from 0 to"),
    (["video", "width"], True, "video.width", "must be an integer"),
    (["video", "path"], "clip.mp4\n[Sequence]\nseqLength=1", "video.path", "control character U+000A"),
    (["objects", 0, "track_id"], 10**30, "objects[0].track_id", "must be an integer from 1"),
    (["objects", 0, "track_id"], [1], "objects[0].track_id", "must be an integer from 1"),
    (["objects", 0, "label"], "car\nperson", "objects[0].label", "control character U+000A"),
    (["objects", 0, "label"], "car\x00", "objects[0].label", "control character U+0000"),
    (["objects", 0, "label"], "car\u2028", "objects[0].label", "U+2028"),
    (["objects", 0, "label"], "   ", "objects[0].label", "must not be empty"),
    (["objects", 0, "label"], "x" * 201, "objects[0].label", "at most 200"),
    (["labels", 1], "bad\rlabel", "labels[1]", "control character U+000D"),
    (["objects", 0, "color"], "#fff\x00", "objects[0].color", "not a colour"),
    (["objects", 0, "frames", 0, 2], ["keyframe"], "objects[0].frames[0]", "unknown provenance"),
])
def test_fields_that_are_refused(tmp_path, clip, keys, value, where, problem):
    refused(write(tmp_path, set_in(project_dict(clip), keys, value)), where, problem)


def test_a_lone_surrogate_label_is_refused(tmp_path, clip):
    # json.dumps writes "\ud800" as an escape, which json.loads turns back into a lone surrogate
    path = write(tmp_path, set_in(project_dict(clip), ["objects", 1, "label"], "\ud800"))
    refused(path, "objects[1].label", "lone surrogate U+D800")


def test_saving_never_writes_a_file_that_would_not_load(tmp_path, clip):
    project = small_project(str(clip))
    project.objects[1].label = "two\nlines"
    path = tmp_path / "p.json"
    path.write_text("old\n")
    with pytest.raises(ProjectError, match="control character"):
        save_project(path, project)
    assert path.read_text() == "old\n"


@pytest.mark.parametrize("text", [
    "{" * 100000,
    '{"schema": "memtrack-recovery", "saved_at": ' + "1" * 5000 + "}",
    '{"schema": "memtrack-recovery", "saved_at": 1e999, "project_path": null, "video_path": "v"}',
    '{"schema": "memtrack-recovery", "saved_at": 1, "project_path": [1], "video_path": "v"}',
    "[1, 2]",
])
def test_damaged_recovery_files_are_not_offered_and_not_deleted(tmp_path, text):
    store = RecoveryStore(tmp_path)
    bad = tmp_path / "0123456789abcdef.recovery.json"
    bad.write_text(text)
    assert store.all() == []
    assert bad.read_text() == text


def test_a_recovery_file_with_a_hostile_project_is_one_line(tmp_path, clip):
    store = RecoveryStore(tmp_path / "rec")
    path = store.write(small_project(str(clip)), None, clip)
    data = json.loads(path.read_text())
    data["project"]["objects"] = [[[[]]]] * 3
    path.write_text(json.dumps(data))
    info = store.all()[0]
    with pytest.raises(ProjectError) as e:
        store.load(info)
    one_line(e.value, str(path), "objects[0]")
    path.write_text('{"schema": "memtrack-recovery", "saved_at": 1, "project_path": null, "video_path": "v", '
                    '"project": ' + "[" * 100000)
    with pytest.raises(ProjectError) as e:
        store.load(info)
    one_line(e.value, str(path), "nested too deeply")


def test_edits_refuse_labels_that_would_break_files(clip):
    from app.core import edits
    from app.core.store import StoreError

    project = small_project(str(clip))
    for build in (lambda: edits.set_object_meta(project, 1, label="a\nb"),
                  lambda: edits.set_labels(project, ["car", "x\x00"]),
                  lambda: edits.add_object(project, label="\ud800")):
        with pytest.raises(StoreError) as info:
            build()
        one_line(info.value, "label")
    assert edits.set_object_meta(project, 1, label="truck").changes  # a plain rename still works


def test_an_autosave_removes_what_a_killed_autosave_left(tmp_path, clip):
    store = RecoveryStore(tmp_path / "rec")
    path = store.path_for(None, clip)
    path.parent.mkdir()
    stale = path.parent / f".{path.name}.pid{2**22 + 12345}.x.tmp"
    stale.write_text('{"half": ')
    store.write(small_project(str(clip)), None, clip)
    assert not stale.exists() and store.all()[0].path == path
