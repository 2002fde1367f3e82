"""Videos the project writes: a codec browsers play where OpenCV has one (read back to prove it), a
noted fallback where it has none, and a failed write (a full disk) never replaces an existing video."""
from __future__ import annotations

import numpy as np
import pytest

from formats_support import HEIGHT, N_FRAMES, WIDTH, clip, project  # noqa: F401
from tracker import video_writer
from tracker.formats import FormatError, export_project
from tracker.formats.labelstudio_media import browser_playable
from tracker.project import save_project
from tracker.video import open_source
from tracker.video_writer import CheckedVideoWriter, VideoWriteError, candidates_for


def test_candidates_follow_the_container():
    assert [c.fourcc for c in candidates_for("a.MP4")] == ["avc1", "vp09", "mp4v"]
    assert [c.fourcc for c in candidates_for("a.webm")] == ["VP90", "VP80"]
    assert [(c.fourcc, c.browser) for c in candidates_for("a.avi")] == [("mp4v", False)]
    assert all(c.browser for c in candidates_for("a.webm"))


@pytest.mark.parametrize("name", ["review.mp4", "review.webm"])
def test_review_video_uses_a_browser_codec_and_reads_back(tmp_path, project, clip, name):
    codec = video_writer.first_available(candidates_for(name))
    if codec is None or not codec.browser:
        pytest.skip(f"this OpenCV build has no browser codec for {name}")
    out = tmp_path / name
    notes = []
    export_project(project, "video", out, video_path=clip, notes=notes.append)
    assert notes == []
    playable, fourcc = browser_playable(out)
    assert playable, fourcc
    with open_source(out) as back, open_source(clip) as src:
        assert len(back) == N_FRAMES and (back.width, back.height) == (WIDTH, HEIGHT)
        assert back.fps == pytest.approx(25.0)
        # away from the drawn boxes the frames are the source's, each on its own index
        k = 9
        diff = np.abs(back.read(k)[100:, :].astype(int) - src.read(k)[100:, :].astype(int)).mean()
        assert diff < 6


def test_without_a_browser_codec_the_fallback_is_noted(tmp_path, project, clip, monkeypatch):
    monkeypatch.setattr(video_writer, "codec_available", lambda codec: codec.fourcc == "mp4v")
    notes = []
    out = tmp_path / "review.mp4"
    export_project(project, "video", out, video_path=clip, notes=notes.append)
    assert len(notes) == 1 and "mp4v" in notes[0] and "browsers do not play" in notes[0]
    with open_source(out) as back:
        assert len(back) == N_FRAMES


def test_webm_without_vp9_or_vp8_is_refused(tmp_path, project, clip, monkeypatch):
    monkeypatch.setattr(video_writer, "codec_available", lambda codec: codec.fourcc == "mp4v")
    with pytest.raises(FormatError, match="review.webm: OpenCV cannot write a 160x120 video with any of VP9"):
        export_project(project, "video", tmp_path / "review.webm", video_path=clip)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]


# ----------------------------------------------------------------------------- a full disk (issue 13)


class _DiskFillsAfter:
    """A real writer whose writes start failing after ``n`` frames, as on a full disk."""

    def __init__(self, writer, n):
        self.writer, self.left = writer, n

    def write(self, image):
        self.left -= 1
        return self.writer.write(image) if self.left >= 0 else False

    def isOpened(self):
        return self.writer.isOpened()

    def release(self):
        self.writer.release()


class _TruncatedOnClose:
    """A real writer whose file loses its end when closed, while every write reported success."""

    def __init__(self, writer, path):
        self.writer, self.path = writer, path

    def write(self, image):
        return self.writer.write(image)

    def isOpened(self):
        return self.writer.isOpened()

    def release(self):
        self.writer.release()
        data = self.path.read_bytes()
        self.path.write_bytes(data[: len(data) // 3])


@pytest.fixture
def old_video(tmp_path):
    out = tmp_path / "out" / "review.mp4"
    out.parent.mkdir()
    out.write_bytes(b"the user's existing video")
    return out


@pytest.mark.parametrize("fault", ["write refused", "file truncated"])
def test_failed_video_write_keeps_the_existing_file(tmp_path, project, clip, old_video, monkeypatch, fault):
    real_open = video_writer._open

    def faulty_open(path, codec, fps, size, crf=30):
        writer = real_open(path, codec, fps, size, crf)
        if writer is None or "probe" in path.name:
            return writer
        return _DiskFillsAfter(writer, 5) if fault == "write refused" else _TruncatedOnClose(writer, path)

    monkeypatch.setattr(video_writer, "_open", faulty_open)
    expected = ("cannot write frame 5 \\(disk full or encoder failure\\)" if fault == "write refused"
                else f"the written video reads back with \\d+ of {N_FRAMES} frames")
    with pytest.raises(FormatError, match=f"^{old_video}: {expected}.*nothing was replaced$"):
        export_project(project, "video", old_video, video_path=clip, overwrite=True)
    assert old_video.read_bytes() == b"the user's existing video"
    assert [p.name for p in old_video.parent.iterdir()] == ["review.mp4"]  # no temporary left


def test_cli_reports_a_failed_video_write_in_one_line(tmp_path, project, clip, old_video, monkeypatch,
                                                      capsys):
    from app.cli import main

    real_open = video_writer._open

    def faulty_open(path, codec, fps, size, crf=30):
        writer = real_open(path, codec, fps, size, crf)
        return writer if writer is None or "probe" in path.name else _DiskFillsAfter(writer, 2)

    monkeypatch.setattr(video_writer, "_open", faulty_open)
    project_file = tmp_path / "p.memtrack.json"
    save_project(project_file, project)
    code = main(["export", str(project_file), "--format", "video", "--out", str(old_video), "--force",
                 "--video", str(clip)])
    err = [line for line in capsys.readouterr().err.splitlines()
           if line.strip() and "export video" not in line]  # the progress bar
    assert code == 2
    assert err == [f"error: {old_video}: cannot write frame 2 (disk full or encoder failure); "
                   "nothing was replaced"]
    assert old_video.read_bytes() == b"the user's existing video"


def test_writer_refuses_frames_of_another_size(tmp_path):
    codec = video_writer.first_available(candidates_for("a.avi"))
    writer = CheckedVideoWriter(tmp_path / "a.avi", [codec], 10, (32, 24))
    with pytest.raises(VideoWriteError, match="frame 0 is 30x24, the video is 32x24"):
        writer.write(np.zeros((24, 30, 3), np.uint8))
    writer.abort()
    assert not (tmp_path / "a.avi").exists()
