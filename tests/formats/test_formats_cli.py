"""The headless commands end to end: ``main.py export`` and ``main.py import``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from formats_support import clip, count_boxes, project  # noqa: F401
from tracker.project import load_project, save_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project_file(tmp_path, project):
    path = tmp_path / "proj.json"
    save_project(path, project)  # the video path is stored relative to the project file
    return path


def test_export_then_import_cli(tmp_path, project_file, project, clip, capsys):
    out = tmp_path / "exports" / "cvat.xml"
    assert main(["export", str(project_file), "--format", "cvat", "--out", str(out)]) == 0
    assert "exported 3 objects, 16 boxes as cvat" in capsys.readouterr().out
    back = tmp_path / "back.json"
    assert main(["import", str(out), "--format", "cvat", "--video", str(clip), "--out", str(back)]) == 0
    assert "imported 3 objects, 16 boxes" in capsys.readouterr().out
    reopened = load_project(back)
    assert reopened.video.frame_count == 12
    assert count_boxes(reopened) == count_boxes(project)


def test_export_with_frames_uses_the_projects_video(tmp_path, project_file, capsys):
    out = tmp_path / "yolo"
    assert main(["export", str(project_file), "-f", "yolo", "-o", str(out), "--frames", "--track-ids"]) == 0
    assert len(list((out / "images").glob("*.png"))) == 12  # the frame folder's own images, copied
    assert (out / "labels" / "0000.txt").read_text().split("\n")[0].split()[-1] == "1"


@pytest.mark.parametrize("argv, message", [
    (["export", "{project}", "--format", "yolo", "--out", "{tmp}/y", "--frames", "--video", "{tmp}/none.mp4"],
     "none.mp4: no such file or folder"),
    (["export", "{tmp}/missing.json", "--format", "mot", "--out", "{tmp}/m"], "missing.json: cannot read"),
    (["export", "{project}", "--format", "coco", "--out", "{project}"], "file exists"),
    (["import", "{tmp}/bad.txt", "--format", "mot", "--video", "{clip}", "--out", "{tmp}/p.json"],
     "bad.txt: line 2: 'oops' is not a number"),
    (["import", "{tmp}/bad.txt", "--format", "mot", "--out", "{tmp}/p.json"], "--video is required"),
    (["import", "{tmp}/bad.txt", "--format", "mot", "--video", "{clip}", "--out", "{project}"],
     "file exists (use --force"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, project_file, clip, capsys, argv, message):
    (tmp_path / "bad.txt").write_text("1,1,10,10,5,5\n2,1,oops,10,5,5\n")
    argv = [a.format(project=project_file, tmp=tmp_path, clip=clip) for a in argv]
    before = project_file.read_bytes()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert project_file.read_bytes() == before
    assert not (tmp_path / "p.json").exists() and not (tmp_path / "y").exists()


def test_import_force_replaces(tmp_path, project_file, clip):
    (tmp_path / "gt.txt").write_text("1,7,11,21,30,40,1,1,1\n")
    assert main(["import", str(tmp_path / "gt.txt"), "-f", "mot", "--video", str(clip), "-o", str(project_file),
                 "--force"]) == 0
    assert list(load_project(project_file).objects) == [7]


def test_commands_run_as_a_program(tmp_path, project_file, clip):
    """The real entry point, in a fresh interpreter, with no display."""
    out = tmp_path / "mot"
    run = subprocess.run([sys.executable, "main.py", "export", str(project_file), "--format", "mot", "--out",
                          str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    back = tmp_path / "back.json"
    run = subprocess.run([sys.executable, "main.py", "import", str(out), "--format", "mot", "--video", str(clip),
                          "--out", str(back)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert count_boxes(load_project(back)) == 16
