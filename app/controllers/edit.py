"""Editing: turns the views' gestures and the Edit menu into undoable commands on the store.

Drawing on a frame gives the selected object its box there when it has none yet; otherwise
(or with nothing selected) it creates a new object, whose label the label picker asks for
(setting ``label_picker``; its default is the last label chosen there or with the keys 1-9, never
silently the previous object's). Moving or resizing a box corrects it: the frame becomes a
keyframe, and the next run from it re-seeds the tracker's memory there.

Hidden objects (H) are not drawn and cannot be clicked; locked objects (L) refuse every edit of
their boxes by the mouse or the keys (move, resize, delete, mark absent, a drawn box, delete
track), with a status message. Both flags are part of the project (saved, undoable).
"""
from __future__ import annotations

from PySide6 import QtGui

from tracker.project import label_problem
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
        a["hide_object"].triggered.connect(lambda: self.toggle_flag("hidden"))
        a["lock_object"].triggered.connect(lambda: self.toggle_flag("locked"))
        frame_view.locked_box_dragged.connect(lambda tid: self._refuse_locked([tid], "move or resize"))
        frame_view.box_drawn.connect(self.on_box_drawn)
        frame_view.box_edited.connect(self.on_box_edited)
        frame_view.draw_refused.connect(lambda reason: feedback.status(reason))
        for i in range(1, 10):
            a[f"label_{i}"].triggered.connect(lambda _=False, i=i: self.choose_label(i))
        # the last label chosen (picker or number keys): the default of the next new object
        self.draw_label: str | None = None
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
        p.hidden_changed.connect(lambda tid, on: self.set_flag([tid], "hidden", on))
        p.locked_changed.connect(lambda tid, on: self.set_flag([tid], "locked", on))
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
        if target is not None and project.objects[target].hidden:
            target = None  # a hidden object does not take boxes drawn on screen: this is a new one
        if target is not None and project.objects[target].box_at(frame) is None:
            if not self._refuse_locked([target], "draw a box for"):
                self.run(edits.set_keyframe(project, target, frame, box))
            return
        if self.session.tracking:
            self.run(edits.add_object(project, frame=frame, box=box)[0])  # refused, with the message
            return
        near = self.frame_view.mapToGlobal(self.frame_view.map_image_to_widget(box.x, box.y + box.h))
        label = self.new_object_label(near)
        command, tid = edits.add_object(project, label=label, frame=frame, box=box)
        if self.run(command):
            self.session.set_selection([tid])
            self.feedback.status(f"Object #{tid} ({label}) added on frame {frame}.")

    def default_label(self) -> str:
        """The label a new object gets unless the picker changes it: the last one chosen (picker or
        number keys) while the project still has it, else the project's first."""
        labels = self._project().labels
        if self.draw_label and self.draw_label in labels:
            return self.draw_label
        return labels[0] if labels else "object"

    def new_object_label(self, near=None) -> str:
        """The label of a new object: asked with the picker (when the setting is on), else the default."""
        default = self.default_label()
        if not self.session.settings.label_picker:
            return default
        picked = self.feedback.prompts.pick_label(list(self._project().labels), default, near)
        label = (picked or default).strip()
        if label_problem(label) is not None:
            self.feedback.status(f"Label {label!r} cannot be used ({label_problem(label)}); "
                                 f"the new object is {default!r}.")
            return default
        self.draw_label = label
        return label

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
        if self._refuse_locked([track_id], "move or resize"):
            self.frame_view.restore_box(track_id)
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

    def _refuse_locked(self, track_ids: list[int], what: str) -> bool:
        """True (and a status message) when any of ``track_ids`` is locked."""
        if self.session.store is None:
            return False
        objects = self._project().objects
        locked = [t for t in track_ids if t in objects and objects[t].locked]
        if not locked:
            return False
        names = ", ".join(f"#{t}" for t in locked)
        key = self.actions["lock_object"].shortcut().toString()
        self.feedback.status(f"{names} {'is' if len(locked) == 1 else 'are'} locked: cannot {what} "
                             f"{'its' if len(locked) == 1 else 'their'} boxes"
                             f" (unlock with {key or 'Edit > Lock / unlock object'}).")
        return True

    def set_flag(self, track_ids: list[int], flag: str, on: bool) -> None:
        """Hide/show (``flag`` "hidden") or lock/unlock ("locked") objects: one undoable edit."""
        if self.session.store is None or not track_ids:
            return
        if self.run_built(lambda: edits.set_object_flags(self._project(), track_ids, **{flag: on})):
            names = ", ".join(f"#{t}" for t in track_ids)
            word = {("hidden", True): "hidden", ("hidden", False): "shown",
                    ("locked", True): "locked", ("locked", False): "unlocked"}[(flag, on)]
            self.feedback.status(f"{names} {word}.")
        else:
            self.session.request_refresh(now=True)  # put the list's check boxes back

    def toggle_flag(self, flag: str) -> None:
        """H / L: hide (lock) the selected objects, or show (unlock) them when all already are."""
        targets = self._targets()
        if not targets:
            return
        objects = self._project().objects
        self.set_flag(targets, flag, not all(getattr(objects[t], flag) for t in targets if t in objects))

    def delete_box(self) -> None:
        frame = self.session.displayed_frame
        targets = self._targets()
        if frame is None or not targets or self._refuse_locked(targets, "delete"):
            return
        self.run(self._merge(f"Delete box on frame {frame}",
                             [edits.delete_box(self._project(), t, frame) for t in targets]))

    def mark_absent(self) -> None:
        frame = self.session.displayed_frame
        targets = self._targets()
        if frame is None or not targets or self._refuse_locked(targets, "mark absent"):
            return
        self.run(self._merge(f"Mark absent on frame {frame}",
                             [edits.mark_absent(self._project(), t, frame) for t in targets]))

    def new_object(self) -> None:
        if self.session.store is None:
            return
        if self.session.tracking:
            self.run(edits.add_object(self._project())[0])  # refused, with the message
            return
        label = self.new_object_label()
        command, tid = edits.add_object(self._project(), label=label)
        if self.run(command):
            self.session.set_selection([tid])
            self.feedback.status(f"Object #{tid} added: drag on the frame to draw its box.")

    def delete_tracks(self, track_ids: list[int]) -> None:
        if self.session.store is None or not track_ids or self._refuse_locked(track_ids, "delete"):
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
        for key in ("delete_box", "mark_absent", "delete_track", "hide_object", "lock_object"):
            a[key].setEnabled(has_doc and bool(self.session.selected) and not running)
        for key in ("new_object", "edit_labels", "save", "save_as", "export", "import"):
            a[key].setEnabled(has_doc and not running)
        self.frame_view.set_drawing_enabled(has_doc and not running)
