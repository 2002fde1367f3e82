"""The session: what is open and what the user is looking at, without a widget.

One `Session` holds the document and its store, the frames loader and source of the open video,
the frame the user asked for and the frame on screen, the selection, the settings, the per-frame
diagnostics and the boxes the last re-track moved. Controllers read and change it; they never
reach each other or the window. What one controller changes, the others learn through the
session's events (plain callback lists, `Event`), so construction order does not matter.

Frames: ``frame`` is the frame the user asked for (slider, keys); ``displayed_frame`` is the frame
whose image and boxes are on screen (set by the navigation controller). They differ only while a
frame is being decoded; edits always apply to the displayed frame.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from tracker.types import Box

from .diagnostics_store import DiagnosticsStore
from .document import Document
from .events import Event
from .recovery import RecoveryStore
from .settings import AppSettings
from .store import AnnotationStore, Command, StoreChange, StoreError

__all__ = ["Feedback", "Session", "EDIT_REFUSED_WHILE_TRACKING"]

EDIT_REFUSED_WHILE_TRACKING = "Tracking is running: press Esc to cancel it before editing."


class Feedback(Protocol):
    """Where the core's messages go (the Qt layer: the status bar and the dialogs)."""

    prompts: Any

    def status(self, text: str, ms: int = 6000) -> None: ...


class Session:
    """Events (all called on the GUI thread, in the order handlers connected):

    document_changed()            a document was opened or closed
    selection_changed()           `selected` changed
    settings_changed(dict)        the changed settings, after they were saved
    store_changed(StoreChange)    every applied change of the open store
    history_changed()             an undo step is complete (edit, undo, redo, end of a run)
    tracking_changed(bool)        a run started (True) or ended (False) writing into the store
    frame_displayed(int)          another frame is on screen
    seek_requested(int, bool)     show this frame (and stop playback first when True)
    refresh_requested(bool, bool) bring the views up to date: (timeline too, at once)
    """

    def __init__(self, settings: AppSettings, save_settings: Callable[[AppSettings], None],
                 recovery: RecoveryStore, open_source: Callable[[str], Any]):
        self.settings = settings
        self._save_settings = save_settings
        self.recovery = recovery
        self.open_source = open_source
        self.doc: Document | None = None
        self.store: AnnotationStore | None = None
        self.loader: Any = None  # the open video's frames for display (get/request/put/close)
        self.source: Any = None  # the open video's FrameSource: metadata, and the template for clones
        self.frame_count = 0
        self.fps = 25.0
        self.frame = 0
        self.displayed_frame: int | None = None
        self.selected: list[int] = []
        self.diagnostics = DiagnosticsStore()
        self.moved: dict[int, dict[int, Box]] = {}  # boxes before the last re-track, where they moved
        self.tracking = False  # a run is writing into the store: edits are refused
        self.document_changed = Event()
        self.selection_changed = Event()
        self.settings_changed = Event()
        self.store_changed = Event()
        self.history_changed = Event()
        self.tracking_changed = Event()
        self.frame_displayed = Event()
        self.seek_requested = Event()
        self.refresh_requested = Event()

    # ------------------------------------------------------------------ document
    def set_document(self, doc: Document | None, store: AnnotationStore | None, loader: Any,
                     source: Any = None) -> None:
        """Install an opened document (or none), closing the previous video's loader and source."""
        if self.loader is not None:
            self.loader.close()
        if self.source is not None:
            self.source.close()
        self.doc, self.store, self.loader, self.source = doc, store, loader, source
        self.selected = []
        self.diagnostics.clear()
        self.moved.clear()
        if doc is None or store is None:
            self.frame_count = 0
        else:
            self.frame_count = loader.frame_count
            self.fps = source.fps if source is not None else doc.project.video.fps
            store.listeners.append(self._on_store_changed)
            store.committed.append(self.history_changed.emit)
            self.selected = sorted(store.project.objects)[:1]
        self.frame = -1
        self.document_changed.emit()

    def close_video(self) -> None:
        """Release the loader and the source (the window is closing)."""
        if self.loader is not None:
            self.loader.close()
            self.loader = None
        if self.source is not None:
            self.source.close()
            self.source = None

    def source_for_worker(self, path: str) -> Any:
        """Called in the worker thread: a clone has its own decoder and skips re-indexing."""
        source, doc = self.source, self.doc
        if source is not None and doc is not None and str(path) == str(doc.video_path):
            return source.clone()
        return self.open_source(path)

    def _on_store_changed(self, change: StoreChange) -> None:
        if change.structure and self.store is not None:
            self.selected = [t for t in self.selected if t in self.store.project.objects]
        self.store_changed.emit(change)

    # ------------------------------------------------------------------ selection, settings, frames
    def set_selection(self, track_ids: list[int]) -> None:
        self.selected = [t for t in track_ids if self.store and t in self.store.project.objects]
        self.selection_changed.emit()

    def current_object(self) -> int | None:
        """The selected object, or the only object when nothing is selected."""
        if self.store is None:
            return None
        if self.selected:
            return self.selected[0]
        return next(iter(self.store.project.objects)) if len(self.store.project.objects) == 1 else None

    def update_settings(self, **changes: Any) -> None:
        self.settings = self.settings.with_changes(**changes)
        self._save_settings(self.settings)
        self.settings_changed.emit(changes)

    def request_seek(self, frame: int, stop_playback: bool = False) -> None:
        self.seek_requested.emit(frame, stop_playback)

    def request_refresh(self, timeline: bool = False, now: bool = False) -> None:
        self.refresh_requested.emit(timeline, now)

    def set_tracking(self, running: bool) -> None:
        if running != self.tracking:
            self.tracking = running
            self.tracking_changed.emit(running)

    # ------------------------------------------------------------------ edits
    def run_edit(self, command: Command, feedback: Feedback) -> bool:
        """Execute one edit; refused (with a message) while a tracking run writes to the store."""
        if self.store is None:
            return False
        if self.tracking:
            feedback.status(EDIT_REFUSED_WHILE_TRACKING)
            self.request_refresh(now=True)  # put a dragged box back where the store has it
            return False
        try:
            self.store.execute(command)
        except StoreError as e:
            feedback.status(str(e))
            return False
        return True

    def run_built(self, build: Callable[[], Command], feedback: Feedback) -> bool:
        """Build an edit from user input and run it; input the edit refuses (a label with a newline,
        say) is shown as a message and changes nothing."""
        try:
            command = build()
        except StoreError as e:
            feedback.status(str(e))
            self.request_refresh(now=True)  # put an edited name back where the store has it
            return False
        return self.run_edit(command, feedback)

    # ------------------------------------------------------------------ re-track marks
    def moved_from(self, track_id: int, frame: int) -> Box | None:
        return self.moved.get(track_id, {}).get(frame)

    def moved_frames(self, track_id: int) -> list[int]:
        return sorted(self.moved.get(track_id, ()))
