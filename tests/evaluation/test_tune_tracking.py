"""scripts/tune_tracking.py: the grid, and a real run that saves the best variant into a checkpoint."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("tune_tracking", REPO / "scripts" / "tune_tracking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_grid_types_values_after_the_config_field():
    tune = _script()
    grid = tune.parse_grid(["scale_penalty=0.99,1", "num_scales=3,5", "scale_choice=cosine", "use_memory=false"])
    assert grid == {"scale_penalty": [0.99, 1.0], "num_scales": [3, 5], "scale_choice": ["cosine"],
                    "use_memory": [False]}
    with pytest.raises(SystemExit, match="not_a_field"):
        tune.parse_grid(["not_a_field=1"])
    with pytest.raises(SystemExit, match="FIELD=V1,V2"):
        tune.parse_grid(["scale_penalty"])


def test_variants_are_every_combination_plus_the_checkpoint():
    from tracker.config import TrackingConfig

    tune = _script()
    base = TrackingConfig()
    out = tune.variants(base, {"scale_penalty": [0.99, 1.0], "scale_damping": [0.4, 0.6, 0.8]})
    assert len(out) == 1 + 6 and out["checkpoint"] == base
    v = out["scale_penalty=1.0,scale_damping=0.4"]
    assert (v.scale_penalty, v.scale_damping, v.scale_step) == (1.0, 0.4, base.scale_step)


def test_run_scores_variants_and_saves_the_best(square_otb, tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    from tracker import load_checkpoint

    root, _ = square_otb
    out_json, saved = tmp_path / "tune.json", tmp_path / "tuned.safetensors"
    monkeypatch.setattr(sys, "argv", ["tune_tracking.py", str(root), "--grid", "scale_choice=response,cosine",
                                      "--out", str(out_json), "--save", str(saved), "--threads", "1"])
    assert _script().main() == 0
    rows = json.loads(out_json.read_text())
    assert len(rows) == 3 and all(set(r["per_sequence"]) == {"Square", "Square2"} for r in rows)
    assert [r["auc"] for r in rows] == sorted((r["auc"] for r in rows), reverse=True)
    _, config, extra = load_checkpoint(saved)
    best = rows[0]["variant"]
    assert extra["tracking_tuned"]["variant"] == best
    _, original, _ = load_checkpoint(None)
    expected = original.tracking.scale_choice if best == "checkpoint" else best.split("=")[1]
    assert config.tracking.scale_choice == expected
    assert "saved" in capsys.readouterr().out
