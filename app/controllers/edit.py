"""Editing: turns the views' gestures and the Edit menu into undoable commands on the store.

Drawing on a frame gives the selected object its box there when it has none yet; otherwise
(or with nothing selected) it creates a new object. Moving or resizing a box corrects it: the
frame becomes a keyframe, and the next run from it re-seeds the tracker's memory there.
"""
from __future__ import annotations

from PySide6 import QtGui

from tracker.types import Box

from ..core import edits
from ..core.session import Feedback, Session
from ..core.store import Command
from ..views.frame_view import FrameView
from ..views.object_panel import ObjectPanel

__all__ = ["EditController"]


class EditController:
    def __init__(self, session: Session, frame_view: FrameView, objects: ObjectPanel,
                 actions: dict[str, QtGui.QAction], feedback: Feedback):
        self.session, self.frame_view, self.actions, self.feedback = session, frame_view, actions, feedback
        a = actions
        a["undo"].triggered.connect(self.undo)
        a["redo"].triggered.connect(self.redo)
        a["delete_box"].triggered.connect(self.delete_box)
        a["mark_absent"].triggered.connect(self.mark_absent)
        a["new_object"].triggered.connect(self.new_object)
        a["delete_track"].triggered.connect(lambda: self.delete_tracks(session.selected))
        a["edit_labels"].triggered.connect(self.edit_labels)
        frame_view.box_drawn.connect(self.on_box_drawn)
        frame_view.box_edited.connect(self.on_box_edited)
        frame_view.draw_refused.connect(lambda reason: feedback.status(reason))
        for i in range(1, 10):
            a[f"label_{i}"].triggered.connect(lambda _=False, i=i: self.choose_label(i))
        self.draw_label: str | None = None  # the label boxes drawn as new objects get (number keys)
        session.document_changed.connect(lambda: setattr(self, "draw_label", None))
        a["draw_mode"].toggled.connect(lambda on: self._mode_toggled("draw", on))
        a["move_mode"].toggled.connect(lambda on: self._mode_toggled("move", on))
        p = objects
        p.new_requested.connect(self.new_object)
        p.delete_requested.connect(self.delete_tracks)
        p.absent_requested.connect(self.mark_absent)
        p.labels_requested.connect(self.edit_labels)
        p.label_changed.connect(
            lambda tid, label: self.run_built(lambda: edits.set_object_meta(self._project(), tid, label=label)))
        p.color_changed.connect(lambda tid, color: self.run(edits.set_object_meta(self._project(), tid, color=color)))
        # the actions' state follows the session at once: a key pressed right after a click must work
        for event in (session.document_changed, session.selection_changed, session.history_changed):
            event.connect(self.update_actions)
        session.tracking_changed.connect(lambda _running: self.update_actions())

    def _project(self):
        return self.session.store.project

    def run_built(self, build) -> bool:
        """Build an edit from user input and run it (refused input is shown as a message)."""
        return self.session.run_built(build, self.feedback)

    def run(self, command: Command) -> bool:
        """Execute one edit; refused (with a message) while a tracking run writes to the store."""
        return self.session.run_edit(command, self.feedback)

    # ------------------------------------------------------------------ gestures
    _MODE_TEXT = {"edit": "Edit mode: drag on the image to draw a box, on a box to move it.",
                  "draw": "Draw mode: every drag draws a new box (D again to leave).",
                  "move": "Move mode: drags move and resize boxes, never draw (M again to leave)."}

    def _mode_toggled(self, mode: str, on: bool) -> None:
        if on:
            self.set_mode(mode)
        elif self.frame_view.mode == mode:
            self.set_mode("edit")

    def set_mode(self, mode: str) -> None:
        """The frame view's mouse mode; the two mode actions stay exclusive."""
        for name, action in (("draw", self.actions["draw_mode"]), ("move", self.actions["move_mode"])):
            if action.isChecked() != (mode == name):
                blocked = action.blockSignals(True)
                action.setChecked(mode == name)
                action.blockSignals(blocked)
        self.frame_view.set_mode(mode)
        self.feedback.status(self._MODE_TEXT[mode])

    def on_box_drawn(self, frame: int, box: Box) -> None:
        if self.session.store is None:
            return
        project = self._project()
        target = self.session.selected[0] if len(self.session.selected) == 1 else None
        if target is not None and project.objects[target].box_at(frame) is None:
            self.run(edits.set_keyframe(project, target, frame, box))
            return
        label = self.draw_label or (project.objects[target].label if target is not None else None)
        command, tid = edits.add_object(project, label=label, frame=frame, box=box)
        if self.run(command):
            self.session.set_selection([tid])

    def choose_label(self, number: int) -> None:
        """Number key ``number`` (1-9): the project's label of that number goes to the selected objects
        and to the boxes drawn as new objects from now on."""
        if self.session.store is None:
            return
        project = self._project()
        if not 1 <= number <= len(project.labels):
            self.feedback.status(f"There is no label {number}: the project has {len(project.labels)} "
                                 "(Edit > Edit labels).")
            return
        label = project.labels[number - 1]
        self.draw_label = label
        selected = [t for t in self.session.selected if t in project.objects and project.objects[t].label != label]
        if selected:
            changes = tuple(c for t in selected for c in edits.set_object_meta(project, t, label=label).changes)
            if not self.run(Command(f"Label {label!r} for " + ", ".join(f"#{t}" for t in selected), changes)):
                return
        self.feedback.status(f"Label {number}: {label!r}" + (" for " + ", ".join(f"#{t}" for t in selected)
                                                             if selected else "") + " and for new boxes.")

    def on_box_edited(self, frame: int, track_id: int, box: Box) -> None:
        if self.session.store is None:
            return
        if self.run(edits.set_keyframe(self._project(), track_id, frame, box)):
            self.session.set_selection([track_id])
            self.feedback.status(f"#{track_id}: keyframe on frame {frame}; re-track from here to update the "
                                "frames after it.")

    # ------------------------------------------------------------------ menu commands
    def _targets(self) -> list[int]:
        if self.session.store is None:
            return []
        if not self.session.selected:
            self.feedback.status("Select an object first (click its box or its row in Objects).")
        return list(self.session.selected)

    def _merge(self, text: str, commands: list[Command]) -> Command:
        return Command(text, tuple(c for cmd in commands for c in cmd.changes))

    def delete_box(self) -> None:
        frame = self.session.displayed_frame
        targets = self._targets()
        if frame is None or not targets:
            return
        self.run(self._merge(f"Delete box on frame {frame}",
                             [edits.delete_box(self._project(), t, frame) for t in targets]))

    def mark_absent(self) -> None:
        frame = self.session.displayed_frame
        targets = self._targets()
        if frame is None or not targets:
            return
        self.run(self._merge(f"Mark absent on frame {frame}",
                             [edits.mark_absent(self._project(), t, frame) for t in targets]))

    def new_object(self) -> None:
        if self.session.store is None:
            return
        label = None
        if len(self.session.selected) == 1:
            label = self._project().objects[self.session.selected[0]].label
        command, tid = edits.add_object(self._project(), label=label)
        if self.run(command):
            self.session.set_selection([tid])
            self.feedback.status(f"Object #{tid} added: drag on the frame to draw its box.")

    def delete_tracks(self, track_ids: list[int]) -> None:
        if self.session.store is None or not track_ids:
            return
        names = ", ".join(f"#{t}" for t in track_ids)
        if not self.feedback.prompts.confirm("Delete track", f"Delete {names} with all boxes? (Undo brings it back.)"):
            return
        memory = self.session.store.memory_edits
        self.run(self._merge(f"Delete track {names}",
                             [edits.delete_track(self._project(), t, memory) for t in track_ids]))
        for t in track_ids:
            self.session.diagnostics.drop_object(t)

    def edit_labels(self) -> None:
        if self.session.store is None:
            return
        labels = self.feedback.prompts.text_list("Labels", "One label per line:", list(self._project().labels))
        if labels is not None:
            self.run_built(lambda: edits.set_labels(self._project(), labels))

    def undo(self) -> None:
        if self.session.store is not None and not self.session.tracking:
            command = self.session.store.undo()
            if command is not None:
                self.feedback.status(f"Undid: {command.text}")

    def redo(self) -> None:
        if self.session.store is not None and not self.session.tracking:
            command = self.session.store.redo()
            if command is not None:
                self.feedback.status(f"Redid: {command.text}")

    def update_actions(self) -> None:
        a, store = self.actions, self.session.store
        has_doc = store is not None
        running = self.session.tracking
        a["undo"].setEnabled(has_doc and store.can_undo() and not running)
        a["redo"].setEnabled(has_doc and store.can_redo() and not running)
        a["undo"].setText(f"&Undo {store.undo_text()}" if has_doc and store.can_undo() else "&Undo")
        a["redo"].setText(f"&Redo {store.redo_text()}" if has_doc and store.can_redo() else "&Redo")
        for key in ("delete_box", "mark_absent", "delete_track"):
            a[key].setEnabled(has_doc and bool(self.session.selected) and not running)
        for key in ("new_object", "edit_labels", "save", "save_as", "export", "import"):
            a[key].setEnabled(has_doc and not running)
        self.frame_view.set_drawing_enabled(has_doc and not running)
