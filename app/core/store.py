"""The annotation store: the open `Project` plus an undo/redo history of command objects.

Qt-free. Every edit is a `Command`, a tuple of small reversible changes (one box entry, one
object's name and colour, the label list, one object's tracker-memory edits). Redo applies the
changes' ``after`` values in order, undo applies the ``before`` values in reverse order, so any
edit that can be described as "these entries and objects went from A to B" is undoable without
edit-specific code.

A tracking run writes its results while it runs (so the window shows them) but becomes one
undo step: `begin_batch` opens it, `apply_in_batch` applies changes live, `end_batch` records
them all as one command.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from tracker.project import BoxEntry, Project, TrackObject

__all__ = [
    "AnnotationStore",
    "Command",
    "EntryChange",
    "apply_entry_change",
    "apply_object_change",
    "LabelsChange",
    "MemoryEditChange",
    "ObjectChange",
    "ObjectMeta",
    "StoreChange",
    "StoreError",
]


class StoreError(Exception):
    """An edit that cannot be applied (unknown object, edit while a tracking run is open, ...)."""


@dataclass(frozen=True)
class ObjectMeta:
    """An object's identity without its boxes."""

    track_id: int
    label: str
    color: str
    hidden: bool = False
    locked: bool = False

    @classmethod
    def of(cls, obj: TrackObject) -> "ObjectMeta":
        return cls(obj.track_id, obj.label, obj.color, obj.hidden, obj.locked)


@dataclass(frozen=True)
class EntryChange:
    """One object's entry on one frame goes from ``before`` to ``after`` (None: no entry)."""

    track_id: int
    frame: int
    before: BoxEntry | None
    after: BoxEntry | None


@dataclass(frozen=True)
class ObjectChange:
    """An object is created (before None), deleted (after None) or renamed, recoloured, hidden,
    shown, locked or unlocked."""

    track_id: int
    before: ObjectMeta | None
    after: ObjectMeta | None


def apply_entry_change(obj: TrackObject, c: EntryChange) -> None:
    """Set or remove the entry ``c`` describes on its object (the store and the autosave copy)."""
    if c.after is None:
        obj.entries.pop(c.frame, None)
    else:
        obj.entries[c.frame] = c.after


def apply_object_change(objects: dict[int, TrackObject], c: ObjectChange) -> None:
    """Create, delete or update the object ``c`` describes, keeping its entries when it is updated."""
    if c.after is None:
        objects.pop(c.track_id, None)
    elif c.before is None or c.track_id not in objects:
        objects[c.track_id] = TrackObject(c.track_id, c.after.label, c.after.color,
                                          hidden=c.after.hidden, locked=c.after.locked)
    else:
        obj = objects[c.track_id]
        obj.label, obj.color = c.after.label, c.after.color
        obj.hidden, obj.locked = c.after.hidden, c.after.locked


@dataclass(frozen=True)
class LabelsChange:
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class MemoryEditChange:
    """An object's list of tracker-memory edits (app.memory_edits.MemoryEdit) goes from
    ``before`` to ``after``; kept in `AnnotationStore.memory_edits`, not in the project."""

    track_id: int
    before: tuple
    after: tuple


Change = EntryChange | ObjectChange | LabelsChange | MemoryEditChange


@dataclass(frozen=True)
class Command:
    """One undoable step. ``text`` names it in the Edit menu ("Undo Track forward")."""

    text: str
    changes: tuple[Change, ...]

    def inverse(self) -> "Command":
        flipped: list[Change] = []
        for c in reversed(self.changes):
            if isinstance(c, EntryChange):
                flipped.append(EntryChange(c.track_id, c.frame, c.after, c.before))
            elif isinstance(c, ObjectChange):
                flipped.append(ObjectChange(c.track_id, c.after, c.before))
            elif isinstance(c, MemoryEditChange):
                flipped.append(MemoryEditChange(c.track_id, c.after, c.before))
            else:
                flipped.append(LabelsChange(c.after, c.before))
        return Command(self.text, tuple(flipped))


@dataclass(frozen=True)
class StoreChange:
    """What a notification covers: the objects touched, the frames touched (None: many/unknown),
    and whether objects were added, removed or renamed (the object list must be rebuilt)."""

    track_ids: frozenset[int]
    frames: frozenset[int] | None
    structure: bool


Listener = Callable[[StoreChange], None]


@dataclass
class _Batch:
    text: str
    changes: list[Change] = field(default_factory=list)


class AnnotationStore:
    """The project being edited, its undo/redo stacks and a saved-state marker.

    Listeners are called after every applied change with a `StoreChange`; ``committed``
    listeners only when an undo step is complete (edit, undo, redo, end of a tracking run),
    which is when the window autosaves.
    """

    def __init__(self, project: Project, history_limit: int = 500):
        self.project = project
        # per object: the tracker-memory edits (app.memory_edits) applied by later runs; undoable
        # like every edit, but session state, not part of the project file
        self.memory_edits: dict[int, tuple] = {}
        self._undo: list[Command] = []
        self._redo: list[Command] = []
        self._limit = history_limit
        self._batch: _Batch | None = None
        self._revision = 0
        self._saved_revision = 0
        # Undo/redo move the revision back and forth; every new command gets a fresh number so
        # "saved" is exact even after undoing past the save point and editing again.
        self._rev_stack: list[int] = []
        self._redo_revs: list[int] = []
        self._next_rev = 1
        self.listeners: list[Listener] = []
        self.committed: list[Callable[[], None]] = []
        # called with each applied tuple of changes (immutable values), before the listeners: the
        # autosaver keeps its own copy of the project up to date from these, in O(change)
        self.change_hooks: list[Callable[[tuple[Change, ...]], None]] = []

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        return self._revision != self._saved_revision

    def mark_saved(self) -> None:
        self._saved_revision = self._revision

    def mark_unsaved(self) -> None:
        """The project differs from its file although nothing was edited (e.g. recovered work)."""
        self._saved_revision = -1

    def can_undo(self) -> bool:
        return bool(self._undo) and self._batch is None

    def can_redo(self) -> bool:
        return bool(self._redo) and self._batch is None

    def holds(self, command: Command) -> bool:
        """Whether ``command`` is done (on the undo history), not undone."""
        return any(c is command for c in self._undo)

    def undo_text(self) -> str:
        return self._undo[-1].text if self._undo else ""

    def redo_text(self) -> str:
        return self._redo[-1].text if self._redo else ""

    @property
    def batch_active(self) -> bool:
        return self._batch is not None

    def obj(self, track_id: int) -> TrackObject:
        try:
            return self.project.objects[track_id]
        except KeyError:
            raise StoreError(f"no object with track id {track_id}") from None

    # ------------------------------------------------------------------ editing
    def execute(self, command: Command) -> None:
        """Apply a command and record it as one undo step. Empty commands are ignored."""
        if self._batch is not None:
            raise StoreError("a tracking run is in progress: wait for it or cancel it first")
        if not command.changes:
            return
        self._apply(command.changes)
        self._push_undo(command)
        self._redo.clear()
        self._redo_revs.clear()
        self._commit_revision()

    def undo(self) -> Command | None:
        if not self.can_undo():
            return None
        command = self._undo.pop()
        self._apply(command.inverse().changes)
        self._redo.append(command)
        self._redo_revs.append(self._revision)
        self._revision = self._rev_stack.pop()
        self._notify_committed()
        return command

    def redo(self) -> Command | None:
        if not self.can_redo():
            return None
        command = self._redo.pop()
        self._apply(command.changes)
        self._undo.append(command)
        self._rev_stack.append(self._revision)
        self._revision = self._redo_revs.pop()
        self._notify_committed()
        return command

    # ------------------------------------------------------------------ batches (tracking runs)
    def begin_batch(self, text: str) -> None:
        if self._batch is not None:
            raise StoreError("a tracking run is already in progress")
        self._batch = _Batch(text)

    def apply_in_batch(self, changes: Iterable[Change]) -> None:
        """Apply changes now; they join the open batch's single undo step."""
        if self._batch is None:
            raise StoreError("no tracking run is open")
        changes = tuple(changes)
        if changes:
            self._apply(changes)
            self._batch.changes.extend(changes)

    def end_batch(self) -> Command | None:
        """Close the batch; returns the recorded command, or None when it changed nothing."""
        if self._batch is None:
            return None
        batch, self._batch = self._batch, None
        if not batch.changes:
            return None
        command = Command(batch.text, _squash(batch.changes))
        self._push_undo(command)
        self._redo.clear()
        self._redo_revs.clear()
        self._commit_revision()
        return command

    # ------------------------------------------------------------------ internals
    def _push_undo(self, command: Command) -> None:
        self._undo.append(command)
        self._rev_stack.append(self._revision)
        if len(self._undo) > self._limit:
            del self._undo[0]
            del self._rev_stack[0]

    def _commit_revision(self) -> None:
        self._revision = self._next_rev
        self._next_rev += 1
        self._notify_committed()

    def _notify_committed(self) -> None:
        for callback in list(self.committed):
            callback()

    def _apply(self, changes: tuple[Change, ...]) -> None:
        objects = self.project.objects
        tids: set[int] = set()
        frames: set[int] = set()
        structure = False
        for c in changes:
            if isinstance(c, EntryChange):
                obj = objects.get(c.track_id)
                if obj is None:
                    raise StoreError(f"no object with track id {c.track_id}")
                apply_entry_change(obj, c)
                tids.add(c.track_id)
                frames.add(c.frame)
            elif isinstance(c, ObjectChange):
                structure = True
                tids.add(c.track_id)
                apply_object_change(objects, c)
            elif isinstance(c, MemoryEditChange):
                if c.after:
                    self.memory_edits[c.track_id] = tuple(c.after)
                else:
                    self.memory_edits.pop(c.track_id, None)
                tids.add(c.track_id)
            else:
                structure = True
                self.project.labels[:] = list(c.after)
        for hook in list(self.change_hooks):
            hook(changes)
        note = StoreChange(frozenset(tids), frozenset(frames) if not structure else None, structure)
        for listener in list(self.listeners):
            listener(note)


def _squash(changes: list[Change]) -> tuple[Change, ...]:
    """Merge repeated changes of one entry inside a batch into one (first before, last after)."""
    merged: dict[tuple[int, int], EntryChange] = {}
    order: list[tuple[int, int] | int] = []
    others: list[Change] = []
    for c in changes:
        if isinstance(c, EntryChange):
            key = (c.track_id, c.frame)
            if key in merged:
                merged[key] = EntryChange(c.track_id, c.frame, merged[key].before, c.after)
            else:
                merged[key] = c
                order.append(key)
        else:
            order.append(len(others))
            others.append(c)
    out: list[Change] = []
    for key in order:
        out.append(merged[key] if isinstance(key, tuple) else others[key])
    return tuple(c for c in out if not (isinstance(c, EntryChange) and c.before == c.after))
