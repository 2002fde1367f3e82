"""End-to-end CPU training that cannot fit in memory is refused up front, with a batch size that fits."""
from __future__ import annotations

import pytest

from tracker.training import memory_budget
from tracker.training.memory_budget import available_gib, end_to_end_cpu_gib


def test_estimate_matches_the_measured_runs():
    # measured peaks (module docstring): batch 1 -> 3.97 GiB, batch 2 -> 6.67 GiB, 8-step clips -> 2.33 GiB
    assert end_to_end_cpu_gib(1, 16) == pytest.approx(3.97, abs=0.15)
    assert end_to_end_cpu_gib(2, 16) == pytest.approx(6.67, abs=0.15)
    assert end_to_end_cpu_gib(1, 8) == pytest.approx(2.33, abs=0.4)
    assert end_to_end_cpu_gib(8, 16) > 20  # the paper's batch does not fit a 24 GiB machine


def test_available_memory_is_read_from_meminfo(tmp_path):
    f = tmp_path / "meminfo"
    f.write_text("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   8388608 kB\n")
    assert available_gib(f) == pytest.approx(8.0)
    f.write_text("MemTotal: 1 kB\n")
    assert available_gib(f) is None
    assert available_gib(tmp_path / "missing") is None


def test_train_refuses_an_end_to_end_cpu_run_that_cannot_fit(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    from app.cli import main

    monkeypatch.setattr(memory_budget, "available_gib", lambda: 8.0)
    rc = main(["train", "--out", str(tmp_path / "run"), "--synthetic", "1", "--end-to-end", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "needs about 23 GiB" in err and "8 GiB is free" in err and "--set batch_size=2" in err
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_largest_cpu_batch_is_the_largest_that_fits():
    from tracker.training.memory_budget import largest_cpu_batch

    for free in (1.0, 4.0, 8.0, 23.0):
        fits = largest_cpu_batch(free, 16)
        assert fits == 0 or end_to_end_cpu_gib(fits, 16) <= free
        assert end_to_end_cpu_gib(fits + 1, 16) > free
    assert largest_cpu_batch(1.0, 16) == 0
