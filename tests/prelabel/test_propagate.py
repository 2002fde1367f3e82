"""Propagation from keyframes: between and after them, never before the first or past an absent mark;
two-sided fill merges a backward pass; the keyframes themselves are kept."""
from __future__ import annotations

import pytest

from tests.prelabel.conftest import keyframe_project, write_clip
from tracker import load_tracker
from tracker.project import Provenance
from tracker.prelabel import PropagationSettings
from tracker.prelabel.propagate import propagate_project
from tracker.types import Box
from tracker.video import open_source


@pytest.fixture(scope="module")
def tracker():
    return load_tracker(device="cpu", diagnostics=False)


def _run(tmp_path, tracker, keyframes, settings=PropagationSettings(), n=9):
    boxes = write_clip(tmp_path / "clip", seed=3, n=n)
    project = keyframe_project(tmp_path / "clip", boxes, keyframes, n=n)
    with open_source(tmp_path / "clip") as source:
        out, tracked = propagate_project(tracker, source, project, settings)
    return out.objects[1], tracked, boxes


def test_boxes_fill_between_and_after_keyframes_and_stop_at_an_absent_mark(tmp_path, tracker):
    obj, tracked, truth = _run(tmp_path, tracker, {1: True, 4: True, 7: False})
    prov = {f: e.provenance for f, e in obj.entries.items()}
    assert prov == {1: Provenance.KEYFRAME, 2: Provenance.TRACKED, 3: Provenance.TRACKED, 4: Provenance.KEYFRAME,
                    5: Provenance.TRACKED, 6: Provenance.TRACKED, 7: Provenance.ABSENT}
    assert tracked == 4  # frame 0 (before the first keyframe) gets nothing
    for f in (2, 3, 5, 6):
        assert obj.entries[f].box.iou(Box(*truth[f])) > 0.6
        assert 0 <= obj.entries[f].score <= 1
    assert obj.entries[4].box == Box(*truth[4])  # keyframes are kept as they were


def test_two_sided_fill_uses_the_backward_pass_between_keyframes(tmp_path, tracker):
    two, _, _ = _run(tmp_path / "two", tracker, {0: True, 6: True})
    one, _, _ = _run(tmp_path / "one", tracker, {0: True, 6: True}, PropagationSettings(two_sided=False))
    # after the last keyframe both are the same forward pass; between them the merge moves the boxes
    assert [two.entries[f].box for f in (7, 8)] == [one.entries[f].box for f in (7, 8)]
    assert any(two.entries[f].box != one.entries[f].box for f in range(1, 6))


def test_tracked_boxes_of_an_earlier_run_are_recomputed_not_kept(tmp_path, tracker):
    first, _, _ = _run(tmp_path / "a", tracker, {0: True, 3: True})
    boxes = write_clip(tmp_path / "b" / "clip", seed=3, n=9)
    project = keyframe_project(tmp_path / "b" / "clip", boxes, {0: True, 3: True}, n=9)
    project.objects[1].entries.update({f: e for f, e in first.entries.items() if e.provenance is Provenance.TRACKED})
    project.objects[1].entries[2] = type(first.entries[2])(Box(1, 1, 5, 5), Provenance.TRACKED, 0.1)
    with open_source(tmp_path / "b" / "clip") as source:
        again, _ = propagate_project(tracker, source, project, PropagationSettings())
    assert again.objects[1].entries == first.entries


def test_a_keyframe_box_the_tracker_cannot_start_from_names_object_and_frame(tmp_path, tracker):
    boxes = write_clip(tmp_path / "clip", seed=3)
    project = keyframe_project(tmp_path / "clip", boxes, {2: True})
    obj = project.objects[1]
    obj.entries[2] = type(obj.entries[2])(Box(10, 10, 1, 1), Provenance.KEYFRAME)
    with open_source(tmp_path / "clip") as source, pytest.raises(ValueError, match=r"object #1 \(square\), keyframe on frame 2"):
        propagate_project(tracker, source, project, PropagationSettings())


def test_an_unknown_correction_strategy_is_refused():
    with pytest.raises(ValueError, match="must be one of"):
        PropagationSettings(correction_strategy="nope")
