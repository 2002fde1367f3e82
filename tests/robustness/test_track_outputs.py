"""`track --out` / `--diagnostics`: nothing existing is replaced without --force, the input video
never, and an output that cannot be written is refused before the run (one line, exit 2)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import pytest

from app.cli import main
from tests.conftest import REPO, moving_square_frames


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(moving_square_frames(n=3)[0]):
        cv2.imwrite(str(folder / f"{i:02d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return folder


def track(folder: Path, *extra: str) -> int:
    return main(["track", str(folder), "--init", "20,30,24,24", "--device", "cpu", *extra])


def one_error_line(capsys, *parts: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    for part in parts:
        assert part in err[0], err[0]
    return err[0]


@pytest.mark.parametrize("flag", ["--out", "--diagnostics"])
def test_an_existing_output_is_refused_without_force_and_kept(frames, tmp_path, capsys, flag):
    target = tmp_path / "old.txt"
    target.write_text("precious\n")
    assert track(frames, flag, str(target)) == 2
    one_error_line(capsys, str(target), "file exists", "--force")
    assert target.read_text() == "precious\n"


def test_force_replaces_an_existing_output(frames, tmp_path):
    target = tmp_path / "old.txt"
    target.write_text("precious\n")
    assert track(frames, "--out", str(target), "--force", "--end-frame", "1") == 0
    assert len(target.read_text().splitlines()) == 2


def test_the_input_video_is_never_an_output_even_with_force(frames, tmp_path, capsys):
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for f in moving_square_frames(n=3)[0]:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    before = video.read_bytes()
    assert track(video, "--out", str(video), "--force") == 2
    one_error_line(capsys, str(video), "would overwrite the video being tracked")
    assert video.read_bytes() == before
    image = next(iter(sorted(frames.iterdir())))
    image_bytes = image.read_bytes()
    assert track(frames, "--diagnostics", str(image), "--force") == 2
    one_error_line(capsys, "would overwrite the video")
    assert image.read_bytes() == image_bytes


def test_a_folder_as_output_is_refused_before_tracking(frames, tmp_path, capsys):
    folder = tmp_path / "somewhere"
    folder.mkdir()
    assert track(frames, "--out", str(folder)) == 2
    one_error_line(capsys, str(folder), "is a folder")


def test_an_output_under_a_file_is_refused_before_tracking(frames, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    target = blocker / "out.txt"
    assert track(frames, "--out", str(target)) == 2
    one_error_line(capsys, str(target), "not a folder")
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_tracking(frames, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert track(frames, "--out", str(locked / "out.txt")) == 2
        one_error_line(capsys, "cannot write in")
    finally:
        locked.chmod(0o700)


def test_the_same_file_for_both_outputs_is_refused(frames, tmp_path, capsys):
    target = tmp_path / "both.txt"
    assert track(frames, "--out", str(target), "--diagnostics", str(target)) == 2
    one_error_line(capsys, "same file")
    assert not target.exists()


def test_a_write_that_fails_after_the_run_is_one_line_and_keeps_the_old_file(frames, tmp_path):
    # a real write failure at the end of the run: files may not grow past 1 kB (as on a full disk,
    # the write call fails); one frame of diagnostics is larger than that
    diag = tmp_path / "d.jsonl"
    diag.write_text("old\n")
    code = textwrap.dedent(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        from app.cli import main
        sys.exit(main(["track", {str(frames)!r}, "--init", "20,30,24,24", "--device", "cpu",
                       "--end-frame", "1", "--diagnostics", {str(diag)!r}, "--force"]))
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    assert result.returncode == 2, result.stderr
    err = [line for line in result.stderr.splitlines() if line.strip()]
    assert err == [f"error: {diag}: cannot write: File too large"]
    assert diag.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".d.jsonl")] == []
