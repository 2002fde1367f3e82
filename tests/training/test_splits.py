"""Choosing training and validation sequences by name (the fixed split of the team's real video)."""
from __future__ import annotations

import cv2
import pytest

from app.cli import main
from tests.conftest import moving_square_frames
from tracker.training.data.sequences import DatasetError, Sequence
from tracker.training.data.splits import VALIDATION_SPLIT, parse_names, select_sequences
from tracker.types import Box


def _seq(name: str) -> Sequence:
    return Sequence(name, (Box(0, 0, 1, 1),), reader=lambda i: None)


def test_names_from_a_list_a_named_split_and_a_file(tmp_path):
    assert parse_names("A, B") == ("A", "B")
    assert parse_names("validation") == VALIDATION_SPLIT and len(VALIDATION_SPLIT) == 8
    f = tmp_path / "names.txt"
    f.write_text("# my split\nA\n\nB  # the second\n")
    assert parse_names(f"@{f}") == ("A", "B")
    with pytest.raises(DatasetError, match="names no sequence"):
        parse_names(" , ")
    with pytest.raises(DatasetError, match="missing.txt"):
        parse_names(f"@{tmp_path / 'missing.txt'}")


def test_include_and_exclude_match_full_or_short_names():
    seqs = [_seq("otb/Jumping"), _seq("otb/Bolt"), _seq("otb/Deer")]
    assert [s.name for s in select_sequences(seqs, exclude=["Jumping"])] == ["otb/Bolt", "otb/Deer"]
    assert [s.name for s in select_sequences(seqs, include=["otb/Deer", "Bolt"])] == ["otb/Bolt", "otb/Deer"]
    with pytest.raises(DatasetError, match="Jumpin"):
        select_sequences(seqs, exclude=["Jumpin"])  # a misspelt name is an error, not a no-op
    with pytest.raises(DatasetError, match="no sequence"):
        select_sequences(seqs, include=["Bolt"], exclude=["Bolt"])


def _write_otb(root, names):
    for k, name in enumerate(names):
        frames, boxes = moving_square_frames(n=6, height=120, width=160, size=30, seed=k)
        (root / name / "img").mkdir(parents=True)
        for i, frame in enumerate(frames):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.jpg"), frame[:, :, ::-1])
        (root / name / "groundtruth_rect.txt").write_text(
            "".join(f"{x + 1},{y + 1},{w},{h}\n" for x, y, w, h in boxes))


def test_train_command_takes_an_exclusion_list_and_a_validation_subset(tmp_path, capsys):
    from tracker.checkpoint import load_checkpoint

    _write_otb(tmp_path / "data", ["A", "B", "C"])
    data = f"otb:{tmp_path / 'data'}"
    rc = main(["train", "--out", str(tmp_path / "run"), "--data", data, "--exclude", "C", "--steps", "1",
               "--device", "cpu", "--set", "batch_size=1", "--set", "clip_steps=2", "--set", "cache_clips=1",
               "--set", "validate_every=100", "--set", "checkpoint_every=100"])
    err = capsys.readouterr().err
    assert rc == 0, err
    # progress shows when stderr is not a terminal too (a log file): the cache build and the steps
    assert "caching features" in err and "training" in err
    _, _, extra = load_checkpoint(tmp_path / "run" / "final.safetensors")
    assert extra["exclude"] == "C" and extra["include"] is None
    for flag in ("--exclude", "--val-include"):
        rc = main(["train", "--out", str(tmp_path / "run2"), "--data", data, "--val", data, flag, "Z",
                   "--steps", "1", "--device", "cpu"])
        assert rc == 2 and "'Z'" in capsys.readouterr().err


def test_train_command_refuses_the_evaluation_set_but_not_the_training_video(tmp_path, capsys):
    from pathlib import Path

    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (shared / "sequences").is_dir():
        pytest.skip("../shared/data is not present")
    rc = main(["train", "--out", str(tmp_path / "run"), "--data", f"otb:{shared / 'sequences'}", "--steps", "1"])
    assert rc == 2 and "evaluation set" in capsys.readouterr().err
