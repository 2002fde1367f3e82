"""Builders for the undoable edits: each reads the project and returns a `Command` (Qt-free).

Nothing here mutates the project; `AnnotationStore.execute` applies what these return.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from tracker.project import DEFAULT_COLORS, BoxEntry, Project, Provenance, label_problem
from tracker.result import TrackResult
from tracker.types import Box

from .interpolation import interpolate_boxes
from .store import Command, EntryChange, LabelsChange, MemoryEditChange, ObjectChange, ObjectMeta, StoreError

__all__ = [
    "add_object",
    "delete_box",
    "delete_track",
    "import_objects",
    "interpolate",
    "mark_absent",
    "next_track_id",
    "set_keyframe",
    "set_labels",
    "set_object_flags",
    "set_object_meta",
    "tracked_change",
]


def _entry(project: Project, track_id: int, frame: int) -> BoxEntry | None:
    obj = project.objects.get(track_id)
    if obj is None:
        raise StoreError(f"no object with track id {track_id}")
    return obj.entries.get(frame)


def _check_label(label: str) -> None:
    problem = label_problem(label)
    if problem is not None:
        raise StoreError(f"label {problem}")


def _label_changes(project: Project, label: str) -> tuple[LabelsChange, ...]:
    _check_label(label)
    if label in project.labels:
        return ()
    return (LabelsChange(tuple(project.labels), tuple(project.labels) + (label,)),)


def next_track_id(project: Project) -> int:
    return max(project.objects, default=0) + 1


def add_object(project: Project, label: str | None = None, frame: int | None = None,
               box: Box | None = None) -> tuple[Command, int]:
    """A new object (next free track id, palette colour), optionally with a keyframe box.

    Returns the command and the new track id.
    """
    track_id = next_track_id(project)
    label = label or (project.labels[0] if project.labels else "object")
    color = DEFAULT_COLORS[(track_id - 1) % len(DEFAULT_COLORS)]
    changes: list = list(_label_changes(project, label))
    changes.append(ObjectChange(track_id, None, ObjectMeta(track_id, label, color)))
    if box is not None and frame is not None:
        changes.append(EntryChange(track_id, frame, None, BoxEntry(box, Provenance.KEYFRAME)))
    return Command(f"New object #{track_id}", tuple(changes)), track_id


def set_keyframe(project: Project, track_id: int, frame: int, box: Box) -> Command:
    """Draw or correct a box: the frame becomes a user keyframe."""
    before = _entry(project, track_id, frame)
    after = BoxEntry(box, Provenance.KEYFRAME)
    if before == after:
        return Command("Set box", ())
    verb = "Correct box" if before is not None and before.box is not None else "Set box"
    return Command(f"{verb} #{track_id} on frame {frame}", (EntryChange(track_id, frame, before, after),))


def mark_absent(project: Project, track_id: int, frame: int) -> Command:
    before = _entry(project, track_id, frame)
    after = BoxEntry(None, Provenance.ABSENT)
    if before == after:
        return Command("Mark absent", ())
    return Command(f"Mark #{track_id} absent on frame {frame}", (EntryChange(track_id, frame, before, after),))


def delete_box(project: Project, track_id: int, frame: int) -> Command:
    before = _entry(project, track_id, frame)
    if before is None:
        return Command("Delete box", ())
    return Command(f"Delete box #{track_id} on frame {frame}", (EntryChange(track_id, frame, before, None),))


def delete_track(project: Project, track_id: int, memory_edits: Mapping[int, tuple] | None = None) -> Command:
    """Remove an object with all its boxes and its tracker-memory edits (undo brings all back)."""
    obj = project.objects.get(track_id)
    if obj is None:
        raise StoreError(f"no object with track id {track_id}")
    changes: list = [EntryChange(track_id, f, obj.entries[f], None) for f in sorted(obj.entries)]
    if memory_edits and memory_edits.get(track_id):
        changes.append(MemoryEditChange(track_id, tuple(memory_edits[track_id]), ()))
    changes.append(ObjectChange(track_id, ObjectMeta.of(obj), None))
    return Command(f"Delete track #{track_id}", tuple(changes))


def set_object_meta(project: Project, track_id: int, label: str | None = None,
                    color: str | None = None) -> Command:
    obj = project.objects.get(track_id)
    if obj is None:
        raise StoreError(f"no object with track id {track_id}")
    before = ObjectMeta.of(obj)
    after = replace(before, label=label if label is not None else obj.label,
                    color=color if color is not None else obj.color)
    if before == after:
        return Command("Edit object", ())
    changes: list = list(_label_changes(project, after.label))
    changes.append(ObjectChange(track_id, before, after))
    return Command(f"Edit object #{track_id}", tuple(changes))


def set_object_flags(project: Project, track_ids: list[int], hidden: bool | None = None,
                     locked: bool | None = None) -> Command:
    """Hide or show (``hidden``), lock or unlock (``locked``) objects; None leaves a flag as it is.
    One command for all of them (one undo step); empty when nothing changes."""
    changes: list = []
    for track_id in track_ids:
        obj = project.objects.get(track_id)
        if obj is None:
            raise StoreError(f"no object with track id {track_id}")
        before = ObjectMeta.of(obj)
        after = replace(before, hidden=before.hidden if hidden is None else hidden,
                        locked=before.locked if locked is None else locked)
        if after != before:
            changes.append(ObjectChange(track_id, before, after))
    names = ", ".join(f"#{c.track_id}" for c in changes)
    verbs = []
    if hidden is not None:
        verbs.append("Hide" if hidden else "Show")
    if locked is not None:
        verbs.append("Lock" if locked else "Unlock")
    return Command(f"{' and '.join(verbs) or 'Edit'} {names}".strip(), tuple(changes))


def set_labels(project: Project, labels: list[str]) -> Command:
    """Replace the label list; labels still used by an object are kept."""
    used = [o.label for o in project.objects.values()]
    cleaned: list[str] = []
    for label in list(labels) + used:
        label = label.strip()
        if label:
            _check_label(label)
        if label and label not in cleaned:
            cleaned.append(label)
    if tuple(cleaned) == tuple(project.labels):
        return Command("Edit labels", ())
    return Command("Edit labels", (LabelsChange(tuple(project.labels), tuple(cleaned)),))


def interpolate(project: Project, track_id: int, first: int, last: int) -> Command:
    """Fill the frames strictly between two keyframes with linearly interpolated boxes.

    Raises StoreError unless both ends are keyframes with a box. Tracked or interpolated
    entries between them are replaced; user keyframes between them are kept and split the
    span into pieces, each interpolated between its own ends.
    """
    obj = project.objects.get(track_id)
    if obj is None:
        raise StoreError(f"no object with track id {track_id}")
    a, b = sorted((first, last))
    ends = [f for f in obj.keyframes() if a <= f <= b]
    for f in (a, b):
        e = obj.entries.get(f)
        if e is None or not e.is_keyframe or e.box is None:
            raise StoreError(f"object #{track_id} needs a keyframe box on frame {f} to interpolate")
    changes: list = []
    for lo, hi in zip(ends, ends[1:]):
        lo_box, hi_box = obj.entries[lo].box, obj.entries[hi].box
        if lo_box is None or hi_box is None:
            continue  # never interpolate across a frame where the object is absent
        for frame, box in interpolate_boxes(lo, lo_box, hi, hi_box).items():
            before = obj.entries.get(frame)
            after = BoxEntry(box, Provenance.INTERPOLATED)
            if before != after:
                changes.append(EntryChange(track_id, frame, before, after))
    return Command(f"Interpolate #{track_id} frames {a}-{b}", tuple(changes))


def import_objects(project: Project, imported: Project, text: str = "Import") -> Command:
    """Add every object of ``imported`` as a new track (ids after the existing ones), with its
    label, boxes and provenance. One command, so one undo removes the whole import."""
    changes: list = []
    labels = list(project.labels)
    next_id = next_track_id(project)
    for old_id in sorted(imported.objects):
        obj = imported.objects[old_id]
        tid = next_id
        next_id += 1
        if obj.label not in labels:
            labels.append(obj.label)
        color = DEFAULT_COLORS[(tid - 1) % len(DEFAULT_COLORS)]
        changes.append(ObjectChange(tid, None, ObjectMeta(tid, obj.label, color)))
        changes.extend(EntryChange(tid, f, None, obj.entries[f]) for f in sorted(obj.entries))
    if labels != project.labels:
        changes.insert(0, LabelsChange(tuple(project.labels), tuple(labels)))
    return Command(text, tuple(changes))


def tracked_change(project: Project, track_id: int, frame: int, result: TrackResult) -> EntryChange | None:
    """The change a tracker result makes, or None on a user keyframe (never overwritten)."""
    before = _entry(project, track_id, frame)
    if before is not None and before.is_keyframe:
        return None
    after = BoxEntry(result.box, Provenance.TRACKED, float(result.score))
    return None if before == after else EntryChange(track_id, frame, before, after)

