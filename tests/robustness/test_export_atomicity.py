"""Folder exports across crashes and write failures: a run killed between the two renames of a
replacement is undone by the next run, stale temporary siblings are removed, and a write failure
(file size limit, a path under a file) is one line with the old output untouched."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.cli import main
from tests.conftest import REPO
from tests.robustness.support import clip, one_line, small_project, snapshot  # noqa: F401
from tracker.atomic import clean_stale_siblings
from tracker.formats import FormatError, export_project
from tracker.project import BoxEntry, Provenance, save_project
from tracker.types import Box

DEAD_PID = 2**22 + 12345  # above Linux's pid_max default range: never a running process


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_a_run_killed_between_the_renames_is_undone_by_the_next(tmp_path, clip):
    project_file = tmp_path / "p.json"
    save_project(project_file, small_project(str(clip)))
    out = tmp_path / "mot"
    export_project(small_project(str(clip)), "mot", out)
    (out / "mine.txt").write_text("user notes\n")
    before = snapshot(out)
    # a real process that dies (os._exit, no cleanup) right after moving the old folder aside
    killed = run_python(f"""
        import os
        from tracker.formats import export_project
        from tracker.project import load_project
        real = os.rename
        def rename(a, b):
            real(a, b)
            if str(a) == {str(out)!r}:
                os._exit(9)
        os.rename = rename
        export_project(load_project({str(project_file)!r}), "mot", {str(out)!r}, overwrite=True)
    """, tmp_path)
    assert killed.returncode == 9, killed.stderr
    assert not out.exists()
    assert len(list(tmp_path.glob(".mot.pid*.old"))) == 1 and len(list(tmp_path.glob(".mot.pid*.partial"))) == 1
    # the next run without overwrite puts the old content back and then refuses to replace it
    with pytest.raises(FormatError, match="not empty"):
        export_project(small_project(str(clip)), "mot", out)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mot")] == []
    # and with overwrite it finishes the replacement
    export_project(small_project(str(clip)), "mot", out, overwrite=True)
    assert not (out / "mine.txt").exists() and (out / "gt" / "gt.txt").is_file()


def test_stale_siblings_of_dead_runs_are_removed_live_ones_kept(tmp_path):
    target = tmp_path / "p.json"
    dead_file = tmp_path / f".p.json.pid{DEAD_PID}.abc.tmp"
    dead_dir = tmp_path / f".p.json.pid{DEAD_PID}.def.partial"
    mine = tmp_path / f".p.json.pid{os.getpid()}.ghi.tmp"
    old_untagged = tmp_path / ".p.json.xyz.tmp"
    fresh_untagged = tmp_path / ".p.json.uvw.tmp"
    other = tmp_path / ".q.json.pid1.abc.tmp"
    for f in (dead_file, mine, old_untagged, fresh_untagged, other):
        f.write_text("x")
    dead_dir.mkdir()
    (dead_dir / "000001.txt").write_text("x")
    hour_ago = time.time() - 7200
    os.utime(old_untagged, (hour_ago, hour_ago))
    removed = clean_stale_siblings(target)
    assert sorted(removed) == sorted([dead_file, dead_dir, old_untagged])
    assert mine.exists() and fresh_untagged.exists() and other.exists()


def test_save_and_export_clean_up_after_killed_runs(tmp_path, clip):
    stale_save = tmp_path / f".p.json.pid{DEAD_PID}.a.tmp"
    stale_export = tmp_path / f".out.json.pid{DEAD_PID}.b.tmp"
    stale_save.write_text("half")
    stale_export.write_text("half")
    save_project(tmp_path / "p.json", small_project(str(clip)))
    export_project(small_project(str(clip)), "coco", tmp_path / "out.json")
    assert not stale_save.exists() and not stale_export.exists()


def test_a_folder_export_under_a_file_is_one_line(tmp_path, clip):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FormatError) as info:
        export_project(small_project(str(clip)), "yolo", blocker / "out")
    one_line(info.value, str(blocker / "out"), "not a folder")


@pytest.mark.parametrize("fmt", ["mot", "cvat"])
def test_a_write_failure_midway_is_one_line_and_keeps_the_old_output(tmp_path, clip, fmt):
    # a real write failure: the process may not write files larger than 2 kB (as on a full disk,
    # the write call fails with an OSError); the command must report one line, exit 2 and leave
    # the previous export as it was
    project = small_project(str(clip))
    for k in range(3, 40):
        obj = project.new_object("car")
        for f in range(4):
            obj.entries[f] = BoxEntry(Box(1.0 + k, 2.0, 10.0, 10.0), Provenance.TRACKED, 0.5)
    project_file = tmp_path / "p.json"
    save_project(project_file, project)
    out = tmp_path / ("out" if fmt == "mot" else "out.xml")
    assert main(["export", str(project_file), "--format", fmt, "--out", str(out)]) == 0
    before = snapshot(tmp_path)
    result = run_python(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
        from app.cli import main
        sys.exit(main(["export", {str(project_file)!r}, "--format", {fmt!r}, "--out", {str(out)!r}, "--force"]))
    """, tmp_path)
    assert result.returncode == 2, result.stderr
    err = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith(f"error: {out}: cannot write"), err
    assert snapshot(tmp_path) == before


def test_import_refuses_a_project_path_under_a_file_before_reading(tmp_path, clip, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,5,5,1,1,1\n")
    assert main(["import", str(gt), "--format", "mot", "--video", str(clip), "--out", str(blocker / "p.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {blocker / 'p.json'}: {blocker} is not a folder"]
