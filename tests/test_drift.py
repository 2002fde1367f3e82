"""The auto-pause rule (tracker.drift): low confidence, or a box that jumps."""
from __future__ import annotations

import pytest

from tracker.drift import PauseRule, box_jump
from tracker.types import Box


def test_jump_is_the_centre_shift_in_previous_box_sizes():
    assert box_jump(Box(0, 0, 10, 40), Box(20, 0, 10, 40)) == pytest.approx(1.0)  # 20 px / sqrt(400)
    assert box_jump(Box(0, 0, 10, 10), Box(-5, -5, 20, 20)) == pytest.approx(0.0)  # same centre, grown
    assert box_jump(Box(0, 0, 10, 10), Box(3, 4, 10, 10)) == pytest.approx(0.5)


def test_rule_names_the_signal_that_fired():
    rule = PauseRule(confidence_below=0.5, jump_above=0.7)
    here = Box(100, 100, 20, 20)
    assert rule.reason(0.9, here, Box(105, 100, 20, 20)) is None
    assert "confidence 0.40 below 0.50" in rule.reason(0.4, here, here)
    assert "jumped 1.5 box sizes" in rule.reason(0.9, here, Box(130, 100, 20, 20))
    assert rule.reason(0.9, None, Box(130, 100, 20, 20)) is None  # no previous box: nothing to compare
    assert PauseRule(None, 0.7).reason(0.1, here, here) is None
    assert PauseRule(0.5, None).reason(0.9, here, Box(300, 300, 20, 20)) is None
    assert not PauseRule(None, None).active


def test_rule_refuses_nonsense():
    with pytest.raises(ValueError):
        PauseRule(confidence_below=1.5)
    with pytest.raises(ValueError):
        PauseRule(jump_above=0)
