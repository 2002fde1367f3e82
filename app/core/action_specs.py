"""Every command of the window with its menu, text and default shortcut (Qt-free data).

The shortcuts are exactly those the annotation-window issue asks for, plus N (next suspicious
frame) from the tracker-insight issue and, from "the window as a professional annotator needs it",
D / M (draw and move modes), 1-9 (labels), H / L (hide, lock the selected objects), Ctrl+O,
Ctrl+Q, Ctrl+N (new object), A (mark absent), Ctrl+Left /
Ctrl+Right (previous / next keyframe) and Ctrl+= / Ctrl+- / Ctrl+0 (zoom, fit); every other command is
reached through the menus, the panels or the toolbar. Users can override any shortcut in
Settings (stored as AppSettings.shortcuts). New panels add their own specs to this table.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ActionSpec", "ACTIONS", "MENUS", "spec", "shortcut_sheet", "shortcut_conflicts", "action_text"]


@dataclass(frozen=True)
class ActionSpec:
    id: str
    menu: str
    text: str
    shortcut: str = ""  # Qt key sequence text, "" for none
    tip: str = ""
    checkable: bool = False


MENUS = ("File", "Edit", "View", "Navigate", "Track", "Help")

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "File", "&Open video or project\u2026", "Ctrl+O", tip="Open a video, a folder of frames or a project"),
    ActionSpec("open_folder", "File", "Open &folder of frames\u2026"),
    ActionSpec("save", "File", "&Save project", "Ctrl+S", "Save the project (atomic write)"),
    ActionSpec("save_as", "File", "Save project &as\u2026"),
    ActionSpec("import", "File", "&Import annotations\u2026", tip="Read annotations from another tool's file"),
    ActionSpec("export", "File", "&Export annotations\u2026", tip="Write the annotations in another format"),
    ActionSpec("recover", "File", "&Recover unsaved work\u2026"),
    ActionSpec("settings", "File", "Se&ttings\u2026"),
    ActionSpec("quit", "File", "&Quit", "Ctrl+Q"),
    ActionSpec("undo", "Edit", "&Undo", "Ctrl+Z"),
    ActionSpec("redo", "Edit", "&Redo", "Ctrl+Shift+Z"),
    ActionSpec("delete_box", "Edit", "&Delete box", "Delete", "Delete the selected object's box on this frame"),
    ActionSpec("mark_absent", "Edit", "Mark &absent on this frame", "A", tip="The selected object is not visible here"),
    ActionSpec("new_object", "Edit", "&New object", "Ctrl+N", tip="Add an object; then drag on the frame to draw it"),
    ActionSpec("delete_track", "Edit", "Delete &track", tip="Delete the selected objects with all their boxes"),
    ActionSpec("hide_object", "Edit", "&Hide / show object", "H",
               "Hide the selected objects' boxes on the frame (not drawn, not selectable; "
               "H again shows them)"),
    ActionSpec("lock_object", "Edit", "Loc&k / unlock object", "L",
               "Lock the selected objects: their boxes cannot be moved, resized or deleted "
               "(L again unlocks)"),
    ActionSpec("edit_labels", "Edit", "Edit &labels\u2026"),
    *(ActionSpec(f"label_{i}", "Edit", f"Label {i}", str(i),
                 f"Label {i} of the project's list for the selected objects and the boxes drawn next")
      for i in range(1, 10)),
    ActionSpec("draw_mode", "Edit", "Dra&w mode", "D", "Every drag on the frame draws a new box, even one "
               "starting inside a box (D again: back to the normal mode)", checkable=True),
    ActionSpec("move_mode", "Edit", "&Move mode", "M", "Drags move and resize boxes or pan; they never draw "
               "(M again: back to the normal mode)", checkable=True),
    ActionSpec("fit", "View", "&Fit frame to window", "Ctrl+0", tip="Double-click the frame does the same"),
    ActionSpec("zoom_in", "View", "Zoom &in", "Ctrl+="),
    ActionSpec("zoom_out", "View", "Zoom &out", "Ctrl+-"),
    ActionSpec("attention_overlay", "View", "Show tracker &attention on the frame", checkable=True,
               tip="Draw the selected object's attention map over its search region"),
    ActionSpec("play", "Navigate", "&Play / pause", "Space"),
    ActionSpec("prev", "Navigate", "Previous frame", "Left"),
    ActionSpec("next", "Navigate", "Next frame", "Right"),
    ActionSpec("back10", "Navigate", "Back 10 frames", "Shift+Left"),
    ActionSpec("fwd10", "Navigate", "Forward 10 frames", "Shift+Right"),
    ActionSpec("first", "Navigate", "First frame", "Home"),
    ActionSpec("last", "Navigate", "Last frame", "End"),
    ActionSpec("prev_keyframe", "Navigate", "Previous keyframe", "Ctrl+Left",
               "The previous keyframe of the selected objects (of every object when none is selected)"),
    ActionSpec("next_keyframe", "Navigate", "Next keyframe", "Ctrl+Right",
               "The next keyframe of the selected objects (of every object when none is selected)"),
    ActionSpec("next_suspicious", "Navigate", "Next suspicious frame", "N",
               "The next frame of the review queue (low confidence, jumps, spread attention, disagreement)"),
    ActionSpec("track_forward", "Track", "Track &forward", "T", "Track from this frame onwards"),
    ActionSpec("track_backward", "Track", "Track &backward", "Shift+T", "Track from this frame back"),
    ActionSpec("retrack", "Track", "&Re-track from here",
               tip="Recompute the selected objects from this frame up to their next keyframe"),
    ActionSpec("interpolate", "Track", "&Interpolate between keyframes",
               tip="Linear boxes between the keyframes around this frame, instead of tracking"),
    ActionSpec("fb_check", "Track", "Check forward/&backward agreement",
               tip="Track the selected objects backward from a later keyframe and compare with the forward boxes"),
    ActionSpec("retemplate", "Track", "Replace initial &template with this box",
               tip="The appearance in the selected object's box on this frame becomes the tracker's "
                   "initial template (memory edit, undoable)"),
    ActionSpec("cancel", "Track", "&Cancel tracking", "Esc"),
    ActionSpec("follow", "Track", "Follow tracked frames", checkable=True),
    ActionSpec("shortcuts", "Help", "&Keyboard shortcuts"),
    ActionSpec("about", "Help", "&About"),
)


def spec(action_id: str) -> ActionSpec:
    for s in ACTIONS:
        if s.id == action_id:
            return s
    raise KeyError(f"no action {action_id!r}")


def shortcut_sheet(overrides: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(menu, command, key) for every action that has a key, in menu order."""
    overrides = overrides or {}
    rows = []
    for s in ACTIONS:
        key = overrides.get(s.id, s.shortcut)
        if key:
            rows.append((s.menu, s.text.replace("&", "").rstrip("\u2026"), key))
    return rows


def action_text(action_id: str) -> str:
    """The command's name as menus show it, without the accelerator mark and the ellipsis."""
    return spec(action_id).text.replace("&", "").rstrip("\u2026")


def shortcut_conflicts(keys: dict[str, str]) -> list[tuple[str, tuple[str, ...]]]:
    """(key, action ids) for every key sequence that more than one action would answer to: the
    same sequence (case-insensitive), or one that is the start of another's multi-key sequence
    (Qt then waits for the next key and the shorter one never fires). ``keys``: action id ->
    key sequence text as Qt writes it ("" for none)."""
    chords = {aid: tuple(c.strip().lower() for c in key.split(",") if c.strip())
              for aid, key in keys.items() if key and key.strip()}
    groups: dict[str, set[str]] = {}
    for aid, seq in chords.items():
        for other, oseq in chords.items():
            if other != aid and len(oseq) >= len(seq) and oseq[:len(seq)] == seq:
                groups.setdefault(keys[aid], set()).update((aid, other))
    return [(key, tuple(sorted(ids, key=[s.id for s in ACTIONS].index))) for key, ids in
            sorted(groups.items(), key=lambda kv: kv[0].lower())]
