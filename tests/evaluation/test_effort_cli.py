"""`main.py eval --protocol correct` end to end on a tiny generated OTB folder."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.evaluation.test_eval_cli import _leftovers, _png_size


def test_correct_protocol_end_to_end(square_otb, tmp_path, capsys):
    root, _ = square_otb
    out = tmp_path / "out"
    rc = main(["eval", str(root), "--protocol", "correct", "--iou", "0.5,0.9", "--device", "cpu",
               "--trackers", "memtrack:reset,memtrack:keyframe,csrt,interp", "--out", str(out),
               "--no-progress", "-v", "--threads", "1"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "corrections per 100 frames, 2 sequences, 20 judged frames" in captured.out
    assert "Auto-pause calibration for memtrack:" in captured.out
    doc = json.loads((out / "results.json").read_text())
    assert doc["protocol"] == "correct" and doc["iou"] == [0.5, 0.9]
    assert list(doc["trackers"]) == ["memtrack:reset", "memtrack:keyframe", "csrt", "interp"]
    for tracker, per_iou in doc["trackers"].items():
        assert set(per_iou) == {"0.5", "0.9"}
        for per_seq in per_iou.values():
            assert set(per_seq) == {"Square", "Square2", "all"}
            total = per_seq["all"]
            assert total["frames"] == 20
            assert total["corrections"] == per_seq["Square"]["corrections"] + per_seq["Square2"]["corrections"]
            assert total["per_100"] == pytest.approx(100 * total["corrections"] / 20, abs=1e-3)
            assert len(per_seq["Square"]["corrected_frames"]) == per_seq["Square"]["corrections"]
    # a stricter annotator never corrects less; interpolation of a moving square needs keyframes
    for tracker, per_iou in doc["trackers"].items():
        assert per_iou["0.9"]["all"]["corrections"] >= per_iou["0.5"]["all"]["corrections"], tracker
    assert doc["trackers"]["interp"]["0.9"]["all"]["corrections"] >= 2
    assert set(doc["pause"]) == {"memtrack:reset", "memtrack:keyframe"}
    assert all(row["frames"] == 20 for row in doc["pause"]["memtrack:reset"])
    width, height = _png_size(out / "effort.png")
    assert width == 900 and height >= 300 and (out / "effort.png").stat().st_size > 8_000
    assert _leftovers(out) == []


def test_correct_protocol_user_errors_exit_2(square_otb, tmp_path, capsys):
    root, _ = square_otb
    base = ["eval", str(root), "--protocol", "correct", "--out", str(tmp_path), "--no-progress"]
    assert main(base + ["--trackers", "interp", "--iou", "0"]) == 2
    assert "--iou: 0 must be in (0, 1]" in capsys.readouterr().err
    assert main(base + ["--trackers", "interp", "--iou", "half"]) == 2
    assert main(base + ["--trackers", "memtrack:bogus"]) == 2
    assert "unknown correction strategy in memtrack:bogus" in capsys.readouterr().err
    assert main(base + ["--strategies", "reset,nope"]) == 2
    assert main(base + ["--trackers", "siamrpn"]) == 2
    assert main(base + ["--trackers", "interp", "--restart"]) == 2


def test_interpolation_alone_needs_no_tracker(square_otb, tmp_path, capsys):
    root, _ = square_otb
    out = tmp_path / "out"
    assert main(["eval", str(root), "--protocol", "correct", "--trackers", "interp", "--iou", "0.5",
                 "--out", str(out), "--no-progress"]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert list(doc["trackers"]) == ["interp"] and doc["pause"] == {}
    assert "interp" in capsys.readouterr().out


def test_fill_protocol_end_to_end(square_otb, tmp_path, capsys):
    root, _ = square_otb
    out = tmp_path / "out"
    rc = main(["eval", str(root), "--protocol", "fill", "--trackers", "csrt", "--iou", "0.5",
               "--out", str(out), "--no-progress", "--threads", "1"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "Keyframe-and-fill protocol" in captured.out
    doc = json.loads((out / "results.json").read_text())
    assert doc["protocol"] == "fill" and list(doc["trackers"]) == ["csrt:forward", "csrt:two-sided"]
    for lane in doc["trackers"].values():
        # the last frame of each sequence is always drawn: at least one correction per sequence
        assert lane["0.5"]["Square"]["corrections"] >= 1 and lane["0.5"]["Square"]["corrected_frames"][-1] == 11
    assert (out / "effort.png").is_file()
    assert main(["eval", str(root), "--protocol", "fill", "--trackers", "interp", "--out", str(out)]) == 2
