"""The batch manifest: CSV and JSON lines, relative paths, format guessing, clear errors."""
from __future__ import annotations

import pytest

from tracker.prelabel import ManifestError, read_manifest


def test_csv_and_jsonl_give_the_same_jobs(tmp_path):
    (tmp_path / "kf.json").write_text('{"schema": "memtrack-project"}')
    (tmp_path / "m.csv").write_text("video,keyframes,format,id\nclips/one.mp4,kf.json,,\nclips/two,gt.txt,mot,second\n")
    (tmp_path / "m.jsonl").write_text('{"video": "clips/one.mp4", "keyframes": "kf.json"}\n\n# a comment\n'
                                      '{"video": "clips/two", "keyframes": "gt.txt", "format": "mot", "id": "second"}\n')
    csv_jobs, jsonl_jobs = read_manifest(tmp_path / "m.csv"), read_manifest(tmp_path / "m.jsonl")
    assert csv_jobs == jsonl_jobs
    one, two = csv_jobs
    assert (one.id, one.keyframes_format, one.video) == ("one", "project", tmp_path / "clips" / "one.mp4")
    assert (two.id, two.keyframes_format, two.keyframes) == ("second", "mot", tmp_path / "gt.txt")


def test_a_coco_or_cvat_file_is_recognised_by_its_suffix_and_content(tmp_path):
    (tmp_path / "c.json").write_text('{"images": []}')
    (tmp_path / "m.csv").write_text("video,keyframes\nv1.mp4,c.json\nv2.mp4,t.xml\n")
    assert [j.keyframes_format for j in read_manifest(tmp_path / "m.csv")] == ["coco", "cvat"]


@pytest.mark.parametrize("text, problem", [
    ("video,keyframes\nv.mp4,gt.txt\n", "line 2: cannot tell the format of gt.txt"),
    ("video,keyframes,format\nv.mp4,gt.txt,csv\n", "line 2: unknown keyframe format 'csv'"),
    ("video,keyframes,format\nv.mp4,a.txt,mot\nother/v.mp4,b.txt,mot\n", "line 3: id 'v' is already used on line 2"),
    ("video,keyframes,format\n,a.txt,mot\n", "line 2: no video"),
    ("video,frames\nv.mp4,a.txt\n", "line 1: unknown column(s) frames"),
    ("video,keyframes,format,id\nv.mp4,a.txt,mot,../up\n", "id '../up' is not a plain name"),
    ("video,keyframes\n", "lists no videos"),
])
def test_a_bad_manifest_names_the_line_and_the_problem(tmp_path, text, problem):
    (tmp_path / "m.csv").write_text(text)
    with pytest.raises(ManifestError, match="m.csv: .*") as info:
        read_manifest(tmp_path / "m.csv")
    assert problem in str(info.value)


def test_a_bad_jsonl_line_is_named(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"video": "v.mp4", "keyframes": "k.json"}\n{"video": 3}\n')
    with pytest.raises(ManifestError, match=r"m.jsonl: line 2: video must be a string"):
        read_manifest(tmp_path / "m.jsonl")
    (tmp_path / "m.txt").write_text("")
    with pytest.raises(ManifestError, match="must be a .csv or .jsonl"):
        read_manifest(tmp_path / "m.txt")
