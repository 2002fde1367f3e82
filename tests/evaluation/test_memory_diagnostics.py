"""Memory diagnostics: attention sharpness and position, gate spreads, and the `diagnose` command."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from tracker.evaluation.memory_diagnostics import (attention_peak_point, attention_peak_ratio, format_report,
                                                   summarise)
from tracker.result import Diagnostics
from tracker.search_geometry import ResponseGeometry
from tracker.types import Box

GEOMETRY = ResponseGeometry(zero_cell=13.0, stride=8, search_size=255)


def _diag(attention: np.ndarray, gates=(0.1, 0.2, 0.7), residual=0.5, search_box=Box(0, 0, 255, 255)):
    n = 8
    return Diagnostics(attention=attention, response=np.zeros((26, 26)), read_weights=np.full(n, 1 / n),
                       write_weights=np.zeros(n), usage=np.zeros(n), gates=np.asarray(gates), residual_gate=residual,
                       read_strength=2.0, scale=0, search_box=search_box)


def _peaked(row: int, col: int, cells: int = 26) -> np.ndarray:
    a = np.full((cells, cells), 0.5 / (cells * cells - 1))
    a[row, col] = 0.5
    return a


def test_a_flat_attention_is_reported_as_flat():
    flat = np.full((26, 26), 1 / 676)
    assert attention_peak_ratio(flat) == pytest.approx(1.0)
    report = summarise([[_diag(flat)] * 3], [(Box(0, 0, 10, 10),) * 4], GEOMETRY)
    assert report.attention_flat
    assert "flat" in format_report(report)


def test_attention_peak_position_and_in_box_fraction():
    # the zero cell (13, 13) is the search box centre, one cell is stride * 255 / 255 = 8 frame pixels
    d = _diag(_peaked(13, 15), search_box=Box(100, 50, 255, 255))
    assert attention_peak_point(d, GEOMETRY) == pytest.approx((100 + 127.5 + 16, 50 + 127.5))
    on_target = Box(230, 165, 20, 20)  # holds (243.5, 177.5)
    elsewhere = Box(0, 0, 20, 20)
    report = summarise([[d, d, d, d]], [(None, on_target, on_target, elsewhere, None)], GEOMETRY)
    assert report.attention_peak_in_box == pytest.approx(2 / 3)  # frames without a box are not counted
    assert report.attention_peak == pytest.approx(0.5 * 676)
    assert not report.attention_flat


def test_gate_spread_is_the_5th_to_95th_percentile():
    diags = [_diag(_peaked(1, 1), gates=(0.0, 1 - a, a)) for a in np.linspace(0, 1, 101)]
    report = summarise([diags], [(Box(0, 0, 1, 1),) * 102], GEOMETRY)
    assert report.gate_spread("allocate") == pytest.approx(0.9)
    assert report.gate_spread("write") == pytest.approx(0.0)
    with pytest.raises(ValueError):
        summarise([diags], [(Box(0, 0, 1, 1),) * 10], GEOMETRY)  # misaligned with the sequence


def test_diagnose_command_end_to_end(square_otb, tmp_path, capsys):
    root, _ = square_otb
    out = tmp_path / "report.json"
    rc = main(["diagnose", str(root), "--sequences", "Square", "--threads", "1", "--no-progress",
               "--json", str(out)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "attention peak / mean" in captured.out and "memory adds" in captured.out
    doc = json.loads(out.read_text())
    assert doc["frames"] == 11  # 12 frames, the first is the initialisation
    assert set(doc["gates_p5_p50_p95"]) == {"write", "read", "allocate"}
    assert doc["attention_peak_over_mean"] >= 1.0
    assert 0.0 <= doc["auc_memory"] <= 1.0 and 0.0 <= doc["auc_no_memory"] <= 1.0
    assert set(doc["per_sequence"]) == {"Square"}


def test_diagnose_names_a_missing_sequence(square_otb, capsys):
    root, _ = square_otb
    assert main(["diagnose", str(root), "--sequences", "Nope", "--no-progress"]) == 2
    assert "Nope" in capsys.readouterr().err
