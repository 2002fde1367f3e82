"""`python main.py track`: outputs, diagnostics and one-line errors for bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from app.cli import main
from tests.conftest import REPO, moving_square_frames


@pytest.fixture
def frame_folder(tmp_path: Path) -> tuple[Path, list]:
    frames, boxes = moving_square_frames(n=8)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        # names sort naturally: 2 before 10
        cv2.imwrite(str(folder / f"f{i}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder, boxes


def _box_arg(b) -> str:
    return ",".join(f"{v:g}" for v in b)


def test_track_writes_one_line_per_frame_from_the_start_frame(frame_folder, tmp_path, capsys):
    folder, boxes = frame_folder
    out = tmp_path / "boxes.txt"
    import torch

    before = torch.get_num_threads()
    try:
        rc = main(["track", str(folder), "--init", _box_arg(boxes[2]), "--start-frame", "2", "--out", str(out),
                   "--device", "cpu", "--threads", "1"])
        assert torch.get_num_threads() == 1  # --threads reached the engine's libraries
    finally:
        torch.set_num_threads(before)
    assert rc == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 6  # frames 2..7, the start frame included
    first = [float(v) for v in lines[0].split(",")]
    assert first == pytest.approx(list(boxes[2]))
    last = [float(v) for v in lines[-1].split(",")]
    gx, gy, gw, gh = boxes[7]
    assert abs(last[0] + last[2] / 2 - (gx + gw / 2)) < 4
    assert abs(last[1] + last[3] / 2 - (gy + gh / 2)) < 4


def test_track_backward_to_stdout_with_diagnostics(frame_folder, tmp_path, capsys):
    folder, boxes = frame_folder
    diag = tmp_path / "d.jsonl"
    rc = main(["track", str(folder), "--init", _box_arg(boxes[5]), "--start-frame", "5", "--end-frame", "2",
               "--backward", "--diagnostics", str(diag), "--device", "cpu"])
    assert rc == 0
    assert len(capsys.readouterr().out.splitlines()) == 4  # frames 5, 4, 3, 2
    records = [json.loads(line) for line in diag.read_text().splitlines()]
    assert [r["frame"] for r in records] == [4, 3, 2]
    keys = {"frame", "box", "score", "attention", "response", "read_weights", "write_weights", "usage", "gates",
            "residual_gate", "read_strength", "scale"}
    assert set(records[0]) == keys
    assert sum(records[0]["read_weights"]) == pytest.approx(1.0, abs=1e-3)
    assert sum(records[0]["gates"].values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(map(sum, records[0]["attention"])) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "args, message",
    [
        (["track", "/no/such/video.mp4", "--init", "1,2,3,4"], "no such file"),
        (["track", "{folder}", "--init", "1,2,3"], "four numbers"),
        (["track", "{folder}", "--init", "1,2,x,4"], "not a number"),
        (["track", "{folder}", "--init", "500,500,10,10"], "outside"),
        (["track", "{folder}", "--init", "1,2,-3,4"], "positive"),
        (["track", "{folder}", "--init", "1,2,30,40", "--start-frame", "99"], "outside the video"),
        (["track", "{folder}", "--init", "1,2,30,40", "--weights", "{bad}"], "not a readable checkpoint"),
        (["track", "{folder}", "--init", "1,2,30,40", "--threads", "0"], "--threads '0': must be from 1"),
        (["track", "{folder}", "--init", "1,2,30,40", "--threads", "many"], "'auto' or a whole number"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(frame_folder, tmp_path, capsys, args, message):
    folder, _ = frame_folder
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    args = [a.format(folder=folder, bad=bad) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]


def test_unreadable_video_file(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    assert main(["track", str(broken), "--init", "1,2,3,4"]) == 2
    assert "cannot open video" in capsys.readouterr().err


def test_main_py_runs_as_a_script(frame_folder):
    folder, boxes = frame_folder
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), "track", str(folder), "--init",
                           _box_arg(boxes[0]), "--end-frame", "1", "--device", "cpu"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2


def test_a_path_without_a_command_opens_the_window(monkeypatch):
    import app.commands.gui as gui

    seen = []
    monkeypatch.setattr(gui, "run", lambda args: seen.append(args) or 0)  # build_parser reads it
    assert main(["clip.mp4"]) == 0
    assert main([]) == 0
    assert [vars(a).get("path") for a in seen] == ["clip.mp4", None]
