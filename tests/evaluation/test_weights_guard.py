"""bench/weights_guard.py: fails weights that are not better than the start point, passes better ones."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from tracker import UNTRAINED_WEIGHTS

GUARD = Path(__file__).resolve().parents[2] / "bench" / "weights_guard.py"


def _guard():
    spec = importlib.util.spec_from_file_location("weights_guard", GUARD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_the_start_point_against_itself_fails_and_a_lower_bar_passes(square_otb, capsys):
    root, _ = square_otb
    args = [str(UNTRAINED_WEIGHTS), "--data", str(root), "--sequences", "Square", "--threads", "1"]
    assert _guard()(args) == 1  # equal is not better
    out = capsys.readouterr().out
    assert "FAIL" in out and "+0.000" in out
    assert _guard()(args + ["--margin", "-0.01"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_absent_data_is_a_clean_skip(tmp_path, capsys):
    assert _guard()(["--data", str(tmp_path / "absent")]) == 0
    assert "skipped" in capsys.readouterr().out
