"""Frame sources that would give silently wrong results: an image folder of mixed frame sizes is
refused, and a video that yields fewer frames than its container lists is opened with a warning."""
from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.cli import main
from tests.robustness.support import write_frames
from tracker.video import ShortVideoWarning, VideoError, open_source


def test_a_folder_of_mixed_frame_sizes_is_refused_on_open(tmp_path):
    folder = write_frames(tmp_path / "f", 3, sizes=[(64, 48), (64, 48), (80, 48)])
    with pytest.raises(VideoError) as info:
        open_source(folder)
    message = str(info.value)
    assert message == f"{folder / '0002.png'}: image is 80x48 but 0000.png is 64x48; all frames of a folder " \
                      "must have one size"


def test_a_mixed_size_frame_in_the_middle_is_refused_when_read(tmp_path, capsys):
    folder = write_frames(tmp_path / "f", 4, sizes=[(64, 48), (48, 64), (64, 48), (64, 48)])
    with open_source(folder) as source:
        source.read(0)
        with pytest.raises(VideoError, match="0001.png: image is 48x64 but 0000.png is 64x48"):
            source.read(1)
    assert main(["track", str(folder), "--init", "4,4,20,20", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "all frames of a folder must have one size" in err[0]


def truncated_avi(tmp_path: Path, frames: int = 20, keep: float = 0.8) -> Path:
    """An MJPEG AVI whose header lists ``frames`` frames, cut short (the index at its end goes too)."""
    full = tmp_path / "full.avi"
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 10 * i, np.uint8))
    writer.release()
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[:int(len(data) * keep)])
    return cut


def test_a_truncated_video_opens_shorter_with_one_warning(tmp_path):
    video = truncated_avi(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = open_source(video)
    readable = len(source)
    source.close()
    assert 0 < readable < 20
    ours = [w for w in caught if issubclass(w.category, ShortVideoWarning)]
    assert [str(w.message) for w in ours] == [
        f"{video}: only {readable} of the 20 frames the file lists can be read (truncated or damaged?); "
        f"using those {readable}"]


def test_a_whole_video_opens_without_a_warning(tmp_path):
    video = truncated_avi(tmp_path, keep=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShortVideoWarning)
        with open_source(video) as source:
            assert len(source) == 20


def test_the_command_line_shows_the_warning_as_one_line(tmp_path, capsys):
    video = truncated_avi(tmp_path)
    out = tmp_path / "boxes.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["track", str(video), "--init", "4,4,20,20", "--device", "cpu", "--end-frame", "1",
                     "--out", str(out)]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(err) == 1 and "frames the file lists can be read" in err[0]
