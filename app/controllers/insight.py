"""Seeing inside the tracker: composes the attention overlay, the maps view, the memory panel, the
plots and the review queue into the window, and keeps them on the selected object and the frame
on screen.

Updates are coalesced: the current-frame views repaint at most ~30 times a second (while a run
streams frames with follow on, and while scrubbing); the plots, whose cost grows with the video,
at most 4 times a second during a run; the review queue when no run is going on. Everything shown
comes from the bounded per-frame store (``session.diagnostics``), so revisiting a tracked frame
needs no re-run; a frame counts as tracked only while its entry is still the tracker's box
(diagnostics outlive an undo of their run).

A view that cannot be seen (its dock closed, or a tab behind another) is not updated at all: a run
would otherwise spend much of the GUI thread restyling a memory panel or replotting series nobody
looks at. The window reports what can be seen (`set_visible`, from its docks' visibilityChanged:
a tab behind another is still a "visible" widget to Qt); a view shown again catches up at once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore, QtGui

from tracker.project import Provenance
from tracker.search_geometry import ResponseGeometry

from ..core.diagnostics_store import attention_entropy
from ..core.insight_series import build_series, tracked_diagnostics, tracked_slots
from ..core.memory_edits import EditKind, edits_at
from ..core.memory_model import MemoryView, gates_text, pending_retemplate, slot_cards
from ..core.session import Feedback, Session
from ..engine_service import EngineService
from ..views.attention_overlay import AttentionOverlay
from ..views.insight_plots import InsightPlots
from ..views.memory_panel import MemoryPanel
from ..views.response_view import MapsView
from ..views.review_panel import ReviewPanel
from .memory import MemoryController
from .review import ReviewController

__all__ = ["InsightController", "InsightViews"]

FRAME_INTERVAL_MS = 33  # current-frame views: ~30 updates a second at most
SERIES_INTERVAL_S = 0.25  # plots during a run
OVERLAY_KEY = "insight/attention_overlay"


@dataclass(frozen=True)
class InsightViews:
    overlay: AttentionOverlay
    maps: MapsView
    memory_panel: MemoryPanel
    plots: InsightPlots
    review_panel: ReviewPanel


class InsightController(QtCore.QObject):
    """``store``: a key-value store (QSettings-like ``value``/``set_value``) for the overlay switch."""

    def __init__(self, session: Session, views: InsightViews, actions: dict[str, QtGui.QAction],
                 feedback: Feedback, engine: EngineService, store: Any, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.session, self.actions, self.feedback, self.engine, self._store = session, actions, feedback, engine, store
        self.overlay, self.maps, self.memory_panel = views.overlay, views.maps, views.memory_panel
        self.plots, self.review_panel = views.plots, views.review_panel
        self.geometry: ResponseGeometry | None = None  # of the maps last shown
        self.memory = MemoryController(session, feedback, engine, lambda: self.schedule(series=True))
        self.review = ReviewController(session, self.review_panel, actions, feedback, engine,
                                       lambda: self.schedule(series=True))
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self.update)
        self._series_dirty = True
        self._last_series = 0.0
        self.shown: tuple | None = None  # (track id, frame) on the current-frame views
        # what the current-frame views were last drawn from (`_frame_key`): an update that finds
        # the same inputs draws nothing (a run's frame_tracked and store_changed for frames other
        # than the one on screen would otherwise redraw the overlay, and repaint the frame, 3x a frame)
        self._frame_key: tuple | None = None
        self.frame_renders = 0  # times the current-frame views were drawn (tests)
        self._last_frame_update = 0.0  # when the current-frame views were last drawn
        self._clock = time.monotonic  # (tests stop it)
        self._memory_at: tuple | None = None  # (track id, frame) the memory panel's freeze range is for
        self._hidden: set[int] = set()  # id() of the views that cannot be seen now
        self._tracked_at_open: dict[int, frozenset[int]] = {}  # frames tracked when the project was opened
        self._connect()

    def visible(self, view: QtCore.QObject) -> bool:
        return id(view) not in self._hidden

    def set_visible(self, view: QtCore.QObject, visible: bool) -> None:
        """The window's dock holding ``view`` became visible or not (closed, a tab behind another)."""
        if visible:
            if id(view) in self._hidden:
                self._hidden.discard(id(view))
                self.shown = None  # bring it up to date with everything
                self._frame_key = None
                self.schedule(series=True)
        else:
            self._hidden.add(id(view))

    def _connect(self) -> None:
        s, a = self.session, self.actions
        overlay_on = self._store.value(OVERLAY_KEY, True) in (True, "true", 1, "1")
        a["attention_overlay"].setChecked(bool(overlay_on))
        a["attention_overlay"].toggled.connect(self._on_overlay_toggled)
        a["retemplate"].triggered.connect(self._retemplate)
        s.frame_displayed.connect(self._on_frame_displayed)
        s.document_changed.connect(self._on_document)
        s.selection_changed.connect(lambda: self.schedule(series=True))
        s.store_changed.connect(lambda _change: self.schedule(series=True))
        c = self.engine
        c.frame_tracked.connect(lambda _o: self.schedule(series=True))
        c.run_finished.connect(lambda *_: self.schedule(series=True))
        c.tracker_ready.connect(lambda _t: self.schedule())
        p = self.memory_panel
        p.pin_clicked.connect(lambda slot: self._edit(self.memory.toggle_pin, slot))
        p.evict_clicked.connect(lambda slot: self._edit(self.memory.evict, slot))
        p.freeze_requested.connect(self._freeze)
        p.retemplate_requested.connect(self._retemplate)
        p.remove_edit_requested.connect(self._remove_edit)
        self.plots.frame_requested.connect(s.request_seek)
        self.maps.set_opacity(s.settings.attention_opacity)
        self.maps.opacity_changed.connect(self._on_opacity)

    # ------------------------------------------------------------------ scheduling
    def schedule(self, series: bool = False) -> None:
        self._series_dirty |= series
        if not self._timer.isActive():
            self._timer.start()

    def _on_frame_displayed(self, _frame: int) -> None:
        """A new frame is on screen: draw its overlay now, in the same event-loop pass as the image,
        so the frame view repaints once per displayed frame; faster than ~30 frames a second (a
        slider drag) the timer coalesces them and shows the last."""
        if self._clock() - self._last_frame_update >= FRAME_INTERVAL_MS / 1000:
            self.update()  # also does what a pending timer would (a run's frame_tracked starts one)
        else:
            self.schedule()

    def _on_document(self) -> None:
        self.shown = None
        self._frame_key = None
        store = self.session.store
        self._tracked_at_open = {} if store is None else {
            tid: frozenset(f for f, e in obj.entries.items() if e.provenance is Provenance.TRACKED)
            for tid, obj in store.project.objects.items()}
        self.schedule(series=True)

    def _on_overlay_toggled(self, on: bool) -> None:
        self._store.set_value(OVERLAY_KEY, bool(on))
        self.schedule()

    def _on_opacity(self, opacity: float) -> None:
        self.session.update_settings(attention_opacity=round(float(opacity), 2))
        self.schedule()

    # ------------------------------------------------------------------ what is shown
    def current_object(self) -> int | None:
        return self.session.current_object()

    def update(self) -> None:
        """Repaint the current-frame views; the plots and the queue too when due."""
        self._timer.stop()
        tid, frame = self.current_object(), self.session.displayed_frame
        key = self._key_for(tid, frame)
        if self._frame_key is None or not _same_key(key, self._frame_key):
            self._frame_key = key
            self.frame_renders += 1
            self._last_frame_update = self._clock()  # the rate limit is on drawing, not on asking
            self._show_frame(tid, frame)
        if (tid, frame) != self.shown:
            self._series_dirty |= self.shown is None or self.shown[0] != tid
            self.shown = (tid, frame)
        if self._series_dirty:
            now = time.monotonic()
            if self.session.tracking and now - self._last_series < SERIES_INTERVAL_S:
                self._timer.start()  # come back for the plots
            else:
                self._series_dirty = False
                self._last_series = now
                self._show_series(tid)
        if self.visible(self.plots):
            self.plots.set_cursor(frame)

    def _key_for(self, tid: int | None, frame: int | None) -> tuple:
        """Everything the current-frame views are drawn from: (values compared with ==, objects
        compared by identity). Entries, diagnostics and slot records are replaced, never edited."""
        store, diagnostics = self.session.store, self.session.diagnostics
        obj = store.project.objects.get(tid) if store is not None and tid is not None else None
        values = (tid, frame, store is not None, self.actions["attention_overlay"].isChecked(),
                  self.session.settings.attention_opacity, self.session.tracking, frozenset(self._hidden),
                  self.session.frame_count)
        if obj is None or frame is None:
            return values, ()
        edits = store.memory_edits.get(tid, ())
        values += (obj.label, obj.entries.get(frame), edits)
        refs = (diagnostics.get(tid, frame), diagnostics.slots(tid, frame),
                *(diagnostics.slots(tid, e.frame) for e in edits))
        return values, refs

    def _show_frame(self, tid: int | None, frame: int | None) -> None:
        store = self.session.store
        if store is None or tid is None or frame is None or tid not in store.project.objects:
            if self.visible(self.maps):
                self.maps.clear("Select an object to see what the tracker saw.")
            self.overlay.hide()
            if self.visible(self.memory_panel):
                self.memory_panel.show_view(MemoryView("Memory", message="Select a tracked object."))
            return
        obj = store.project.objects[tid]
        entry = obj.entries.get(frame)
        diag = tracked_diagnostics(self.session.diagnostics, store.project, tid, frame)
        record = tracked_slots(self.session.diagnostics, store.project, tid, frame)
        name = f"#{tid} {obj.label}"
        if diag is None:
            why = ("not tracked" if entry is None else
                   {Provenance.KEYFRAME: "a keyframe (the tracker was re-seeded here)",
                    Provenance.INTERPOLATED: "interpolated", Provenance.ABSENT: "marked absent",
                    Provenance.IMPORTED: "imported"}.get(entry.provenance) or self._tracked_without(tid, frame))
            if self.visible(self.maps):
                self.maps.clear(f"{name}, frame {frame}: {why}.")
            self.overlay.hide()
        else:
            self._show_maps(name, frame, entry, diag)
        if self.visible(self.memory_panel):
            self._show_memory(tid, name, frame, diag, record)

    def _show_maps(self, name: str, frame: int, entry, diag) -> None:
        if diag.geometry is not None:
            self.geometry = diag.geometry  # the engine's geometry travels with its diagnostics
        g = self.geometry
        chosen = g.frame_to_cell(diag.search_box, *entry.box.center) if g is not None else None
        r_max = float(diag.response.max())
        caption = (f"<b>{name}, frame {frame}</b><br>confidence {entry.score:.2f} · scale {diag.scale:+d} "
                   f"· attention spread {attention_entropy(diag.attention):.3f} (1 = flat) "
                   f"· response max {r_max:.1f}")
        if self.visible(self.maps):
            self.maps.show_maps(diag.attention, diag.response, chosen, caption)
        if self.actions["attention_overlay"].isChecked() and g is not None:
            cells = diag.attention.shape[0]
            grid = g.grid_rect(diag.search_box, cells)
            self.overlay.show(diag.attention, grid, diag.search_box, entry.box.center,
                              self.session.settings.attention_opacity)
        else:
            self.overlay.hide()

    def _show_memory(self, tid: int, name: str, frame: int, diag, record) -> None:
        store = self.session.store
        edits = store.memory_edits.get(tid, ())
        direction = record.direction if record is not None else 1
        here = edits_at(edits, frame, direction)
        listed = []
        for e in edits:
            status = ""
            if e.kind is not EditKind.FREEZE:
                r = self.session.diagnostics.slots(tid, e.frame)
                status = "  \u2713 applied" if r is not None and e in r.applied else "  (pending)"
            listed.append(e.describe() + status)
        way = "forward" if direction == 1 else "backward"
        if record is None and diag is None:
            view = MemoryView(f"Memory of {name}, frame {frame}", edits=tuple(listed),
                              message=self._no_memory_reason(tid, frame))
        else:
            message = "" if diag is not None else "Keyframe: the memory after re-seeding here (no read here)."
            if record is not None and record.frozen:
                message = (message + " " if message else "") + "Writes are frozen after this frame."
            view = MemoryView(f"Memory of {name}, frame {frame} ({way} run)",
                              gates_text(diag) if diag is not None else "",
                              tuple(slot_cards(diag, record, here)), tuple(listed),
                              editable=record is not None and not self.session.tracking,
                              message=message, pending_retemplate=pending_retemplate(record, here))
        self.memory_panel.show_view(view)
        if self._memory_at != (tid, frame):
            self._memory_at = (tid, frame)
            last = self.session.frame_count - 1
            self.memory_panel.set_freeze_range(frame, min(frame + 10, last), last)

    def _no_memory_reason(self, tid: int, frame: int) -> str:
        """Why there is no memory to show on ``frame``, in words that are true for it."""
        store = self.session.store
        entry = store.project.objects[tid].entries.get(frame)
        later = " Memory edits apply when tracking passes their frame."
        if entry is not None and entry.provenance is Provenance.KEYFRAME:
            if self.session.diagnostics.slots(tid, frame) is not None:
                return ("Keyframe corrected after a run tracked this frame: the memory after re-seeding here "
                        "is recorded when a run starts from or passes this frame (the recorded memory is "
                        "from before the correction)." + later)
            return ("Keyframe: the memory after re-seeding here is recorded when a run starts from or "
                    "passes this frame." + later)
        if entry is not None and entry.provenance is Provenance.TRACKED:
            return f"No recorded memory on this frame: {self._tracked_without(tid, frame)}." + later
        return ("No recorded memory on this frame: it was not tracked (or the run was undone)." + later)

    def _tracked_without(self, tid: int, frame: int) -> str:
        """Why a tracked frame has no diagnostics."""
        if frame in self._tracked_at_open.get(tid, ()):
            return ("tracked in an earlier session; its diagnostics are not kept with the project "
                    "(track it again to see them)")
        return ("tracked, but its diagnostics were dropped to keep memory bounded or belong to an undone "
                "run (track it again to see them)")

    def _show_series(self, tid: int | None) -> None:
        store = self.session.store
        if not self.visible(self.plots):
            pass
        elif store is None or tid is None or tid not in store.project.objects:
            self.plots.set_series(None)
        else:
            self.plots.set_series(build_series(self.session.diagnostics, store.project, tid),
                                  self.session.settings.confidence_threshold)
        if not self.review.checking and not self.session.tracking:
            if self.visible(self.review_panel):
                self.review.refresh()  # after runs: the queue is for reviewing, not for watching
            else:
                self.review.stale = True

    # ------------------------------------------------------------------ edits from the panel
    def _target(self) -> tuple[int, int] | None:
        tid, frame = self.current_object(), self.session.displayed_frame
        if tid is None or frame is None:
            self.feedback.status("Select an object first.")
            return None
        return tid, frame

    def _edit(self, op, slot: int) -> None:
        target = self._target()
        if target is not None:
            op(target[0], target[1], slot)

    def _freeze(self, first: int, last: int) -> None:
        tid = self.current_object()
        if tid is not None:
            self.memory.freeze(tid, first, last)

    def _retemplate(self) -> None:
        target = self._target()
        if target is not None:
            self.memory.retemplate(*target)

    def _remove_edit(self, index: int) -> None:
        tid = self.current_object()
        if tid is not None:
            self.memory.remove(tid, index)


def _same_key(a: tuple, b: tuple) -> bool:
    (values_a, refs_a), (values_b, refs_b) = a, b
    return values_a == values_b and len(refs_a) == len(refs_b) and all(x is y for x, y in zip(refs_a, refs_b))
