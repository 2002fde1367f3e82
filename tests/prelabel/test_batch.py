"""The prelabel batch: a broken video is reported and skipped, results are published whole, --resume
continues an interrupted batch, and Ray / a process pool write the same bytes as one process."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from app.cli import main
from tracker.prelabel import (PrelabelSettings, read_manifest, run_inline, run_pool, run_ray, ray_available,
                              weights_digest)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _prelabel(manifest: Path, out: Path, *extra: str) -> int:
    return main(["prelabel", str(manifest), "--out", str(out), "--format", "coco,mot", "--runner", "pool",
                 "--workers", "1", "--device", "cpu", *extra])


@pytest.fixture(scope="module")
def settings_digest() -> str:
    return weights_digest(None)


def test_a_broken_video_is_reported_and_the_others_are_written(collection, tmp_path, capsys):
    out = tmp_path / "out"
    assert _prelabel(collection, out) == 0  # some videos finished: the batch succeeded, failures listed
    failed = json.loads((out / "failed.json").read_text())
    assert [f["id"] for f in failed] == ["broken"]
    assert "broken.mp4" in failed[0]["problem"] and "cannot open video" in failed[0]["problem"]
    assert "failed: broken:" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["a", "b", "failed.json", "summary.json"]  # no partial folders
    for name in ("a", "b"):
        result = json.loads((out / name / "result.json").read_text())
        assert sorted(result["files"]) == sorted(_files(out / name).keys() - {"result.json"})
        assert result["tracked"] > 0
    project = json.loads((out / "a" / "project.json").read_text())
    provenance = [row[2] for row in project["objects"][0]["frames"]]
    assert provenance == ["keyframe", "tracked", "tracked", "tracked", "keyframe", "tracked", "tracked"]
    summary = json.loads((out / "summary.json").read_text())
    assert [v["status"] for v in summary["videos"]] == ["done", "done", "failed"]


def test_every_video_failing_is_exit_status_1(tmp_path, collection):
    manifest = collection.parent / "only_broken.csv"
    manifest.write_text("video,keyframes\nbroken.mp4,broken.json\n")
    assert _prelabel(manifest, tmp_path / "out") == 1


def test_resume_skips_finished_videos_and_redoes_the_rest(collection, tmp_path, capsys):
    out = tmp_path / "out"
    _prelabel(collection, out)
    first = {name: _files(out / name) for name in ("a", "b")}
    a_marker = (out / "a" / "result.json").stat().st_mtime_ns
    # as if the batch had been killed while writing b: its folder never appeared, a stage was left behind
    shutil.rmtree(out / "b")
    stale = out / ".b.pid999999999.x.partial"
    stale.mkdir()
    (stale / "project.json").write_text("half")
    capsys.readouterr()
    assert _prelabel(collection, out) == 2  # results exist: neither --resume nor --force given
    assert "--resume" in capsys.readouterr().err
    assert _prelabel(collection, out, "--resume") == 0
    assert "1 of 3 videos already finished, skipped" in capsys.readouterr().err
    assert (out / "a" / "result.json").stat().st_mtime_ns == a_marker  # not touched
    assert _files(out / "b") == first["b"]
    assert not stale.exists()
    summary = json.loads((out / "summary.json").read_text())
    assert [v["status"] for v in summary["videos"]] == ["skipped", "done", "failed"]
    # other settings (formats) are not "finished": --resume redoes the video
    assert _prelabel(collection, out, "--resume", "--format", "coco") == 0
    assert "mot" not in {p.name for p in (out / "a").iterdir()}


def _reference(collection: Path, tmp_path: Path, settings_digest: str):
    jobs = read_manifest(collection)
    settings = PrelabelSettings(tmp_path / "single", ("coco", "mot"), weights_id=settings_digest, device="cpu")
    results = {r.id: r for r in run_inline(jobs, settings)}
    return jobs, settings, results


@pytest.mark.skipif(not ray_available(), reason="ray is not installed (pip install '.[scale]')")
def test_a_local_ray_with_two_workers_writes_what_one_process_writes(collection, tmp_path, settings_digest):
    import ray

    jobs, single, reference = _reference(collection, tmp_path, settings_digest)
    settings = PrelabelSettings(tmp_path / "ray", single.formats, weights_id=settings_digest, device="cpu")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        results = {r.id: r for r in run_ray(jobs, settings, workers=2)}
    finally:
        ray.shutdown()
    assert {k: (r.ok, r.tracked) for k, r in results.items()} == {k: (r.ok, r.tracked) for k, r in reference.items()}
    assert "cannot open video" in results["broken"].problem
    assert all(int(r.worker.rsplit(":", 1)[1]) != os.getpid() for r in results.values())  # ran in Ray workers
    for name in ("a", "b"):
        assert _files(tmp_path / "ray" / name) == _files(tmp_path / "single" / name)
    assert not (tmp_path / "ray" / "broken").exists()


def test_a_process_pool_writes_what_one_process_writes(collection, tmp_path, settings_digest):
    jobs, single, reference = _reference(collection, tmp_path, settings_digest)
    settings = PrelabelSettings(tmp_path / "pool", single.formats, weights_id=settings_digest, device="cpu")
    results = {r.id: r for r in run_pool(jobs[:2], settings, workers=2)}
    assert all(r.ok for r in results.values())
    for name in ("a", "b"):
        assert _files(tmp_path / "pool" / name) == _files(tmp_path / "single" / name)


def test_without_ray_the_command_says_so_and_runs_on_the_local_pool(collection, tmp_path, capsys, monkeypatch):
    import tracker.prelabel

    monkeypatch.setattr(tracker.prelabel, "ray_available", lambda: False)
    manifest = collection.parent / "one.csv"
    manifest.write_text("video,keyframes\na,a.json\n")
    args = ["prelabel", str(manifest), "--out", str(tmp_path / "out"), "--workers", "1", "--device", "cpu"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "Ray is not installed (pip install '.[scale]'); running on a local process pool" in err
    assert "prelabelled 1 videos (0 skipped, 0 failed)" in err and "frames/s" in err
    assert main([*args, "--force", "--ray-address", "ray://head:10001"]) == 2  # a cluster needs Ray
    assert "Ray is not installed" in capsys.readouterr().err


@pytest.mark.skipif(not ray_available(), reason="ray is not installed (pip install '.[scale]')")
def test_an_address_where_no_ray_cluster_answers_is_one_clear_line(collection, tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["prelabel", str(collection), "--out", str(tmp_path / "out"), "--ray-address", f"127.0.0.1:{port}"]
    assert main(args) == 2
    assert f"error: cannot connect to the Ray cluster at 127.0.0.1:{port}: " in capsys.readouterr().err
    assert not (tmp_path / "out" / "a").exists()
