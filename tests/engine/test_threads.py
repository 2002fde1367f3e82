"""The engine's CPU thread count: what ``auto`` chooses for the machine and its load, the checks on
the setting, and that it reaches PyTorch and OpenCV."""
from __future__ import annotations

import pytest

from tracker.threads import AUTO, apply_threads, choose_threads, parse_threads, threads_problem, usable_cores


@pytest.mark.parametrize("cores, load, gui, expected", [
    (8, 0.2, False, 8),   # an idle machine: every core
    (8, 0.2, True, 7),    # the window keeps one core for itself
    (8, 5.0, True, 3),    # other work holds 5 cores: only the idle ones
    (2, 5.0, False, 1),   # a small, overloaded machine: never fewer than 1
    (1, 0.0, True, 1),
    (4, None, False, 4),  # load unknown (Windows): the cores alone
])
def test_auto_leaves_busy_cores_and_one_for_the_gui(cores, load, gui, expected):
    choice = choose_threads(AUTO, reserve_gui=gui, cores=cores, load=load)
    assert choice.threads == expected
    assert "auto" in choice.describe() and f"{cores} usable cores" in choice.describe()


def test_a_number_is_used_as_given():
    assert choose_threads("3", cores=2, load=9.0).threads == 3
    assert choose_threads(5).threads == 5


@pytest.mark.parametrize("value", ["0", "-1", "two", "", 1.5, True, None, "2000"])
def test_bad_settings_are_refused_with_the_reason(value):
    assert threads_problem(value) is not None
    with pytest.raises(ValueError, match="threads"):
        parse_threads(value)


def test_usable_cores_is_what_the_process_may_run_on():
    import os

    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == expected


def test_apply_sets_torch_and_opencv():
    cv2 = pytest.importorskip("cv2")
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads(), cv2.getNumThreads()
    try:
        choice = apply_threads("1")
        assert choice.threads == 1 and torch.get_num_threads() == 1 and cv2.getNumThreads() == 1
    finally:
        torch.set_num_threads(before[0])
        cv2.setNumThreads(before[1])
