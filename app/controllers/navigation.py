"""Navigation and the views of the frame on screen: seeking, stepping and playback; showing the
requested frame once it is decoded; the coalesced refresh of the frame view, the timeline, the
object list, the window title and the status bar from the session."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.session import Session
from ..core.view_models import BoxDisplay, RowCache, box_displays, object_rows, timeline_rows
from ..engine_service import EngineService
from ..views.frame_view import FrameView
from ..views.object_panel import ObjectPanel
from ..views.player_bar import PlayerBar, format_time
from ..views.timeline_view import TimelineView

__all__ = ["NavigationController", "NavigationViews", "APP_NAME"]

APP_NAME = "MemTrack Annotator"
HEAVY_INTERVAL_S = 0.2
REFRESH_INTERVAL_MS = 33  # repaint at most ~30 times a second


@dataclass(frozen=True)
class NavigationViews:
    frame_view: FrameView
    player: PlayerBar
    timeline: TimelineView
    objects: ObjectPanel
    status_frame: QtWidgets.QLabel
    status_time: QtWidgets.QLabel
    status_device: QtWidgets.QLabel
    set_title: Callable[[str], None]


class NavigationController(QtCore.QObject):
    """Signals: frame_changed(int) when another frame is displayed."""

    frame_changed = QtCore.Signal(int)

    def __init__(self, session: Session, views: NavigationViews, actions: dict[str, QtGui.QAction],
                 engine: EngineService, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.session, self.v, self.engine = session, views, engine
        self._play_timer = QtCore.QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._timeline_dirty = True
        self._last_heavy = 0.0
        a, v = actions, views
        a["fit"].triggered.connect(v.frame_view.fit)
        a["zoom_in"].triggered.connect(lambda: v.frame_view.zoom(1.25))
        a["zoom_out"].triggered.connect(lambda: v.frame_view.zoom(0.8))
        a["play"].triggered.connect(self.toggle_play)
        a["prev"].triggered.connect(lambda: self.step(-1))
        a["next"].triggered.connect(lambda: self.step(1))
        a["back10"].triggered.connect(lambda: self.step(-10))
        a["fwd10"].triggered.connect(lambda: self.step(10))
        a["first"].triggered.connect(lambda: self.seek(0))
        a["last"].triggered.connect(lambda: self.seek(self.session.frame_count - 1))
        a["prev_keyframe"].triggered.connect(lambda: self.jump_keyframe(-1))
        a["next_keyframe"].triggered.connect(lambda: self.jump_keyframe(1))
        v.player.frame_requested.connect(self.seek)
        v.player.play_toggled.connect(self.toggle_play)
        v.player.speed_changed.connect(lambda s: session.update_settings(playback_speed=s))
        v.player.set_speed(session.settings.playback_speed)
        v.timeline.frame_requested.connect(self.seek)
        v.timeline.object_selected.connect(lambda tid: session.set_selection([tid]))
        v.objects.selection_changed.connect(session.set_selection)
        v.frame_view.box_clicked.connect(lambda tid: session.set_selection([tid]))
        engine.tracker_ready.connect(v.status_device.setText)
        engine.tracker_failed.connect(lambda message: v.status_device.setText(f"Tracker failed to load: {message}"))
        session.document_changed.connect(self._on_document)
        session.selection_changed.connect(lambda: self.schedule_refresh(timeline=True))
        self.rows = RowCache()  # per-object rows: an edit recomputes only the objects it touched
        session.store_changed.connect(self._on_store_changed)
        session.settings_changed.connect(self._on_settings_changed)
        session.seek_requested.connect(self._on_seek_requested)
        session.refresh_requested.connect(self._on_refresh_requested)
        session.tracking_changed.connect(lambda running: self.stop_playback() if running else None)

    # ------------------------------------------------------------------ session events
    def _on_store_changed(self, change) -> None:
        self.rows.invalidate(None if change.structure else change.track_ids)
        s = self.session
        if s.tracking and s.settings.follow:
            # a followed run: its follow tick seeks and refreshes in one pass (request_refresh now),
            # a timer of our own would repaint the views in a pass of its own
            self._timeline_dirty = True
            return
        self.schedule_refresh(timeline=True)

    def _on_document(self) -> None:
        self.rows.invalidate()
        s, v = self.session, self.v
        self.stop_playback()
        v.frame_view.clear()
        s.displayed_frame = None
        if s.loader is not None:
            s.loader.frame_ready.connect(self._on_frame_ready)
        v.player.set_video(s.frame_count, s.fps)
        v.timeline.set_frame_count(s.frame_count)
        if s.frame_count:
            self.seek(0)
        self.schedule_refresh(timeline=True)
        self.refresh()

    def _on_settings_changed(self, changes: dict) -> None:
        if "playback_speed" in changes and self._play_timer.isActive():
            self._play_timer.setInterval(self._play_interval())
        self.schedule_refresh(timeline=True)

    def _on_seek_requested(self, frame: int, stop_playback: bool) -> None:
        if stop_playback:
            self.stop_playback()
        self.seek(frame)

    def _on_refresh_requested(self, timeline: bool, now: bool) -> None:
        if now:
            self._timeline_dirty |= timeline
            self.refresh()
        else:
            self.schedule_refresh(timeline)

    # ------------------------------------------------------------------ navigation
    def seek(self, frame: int, direction: int | None = None) -> None:
        s = self.session
        if s.loader is None or s.frame_count == 0:
            return
        frame = int(min(max(frame, 0), s.frame_count - 1))
        if direction is None:
            direction = 1 if frame >= s.frame else -1
        s.frame = frame
        self.v.player.set_frame(frame)
        self.v.timeline.set_cursor(frame)
        self.v.frame_view.set_requested(frame)
        image = s.loader.get(frame)
        if image is not None:
            self._display(frame, image)
        elif self._failure(frame) is not None:
            self._display_failure(frame)
        s.loader.request(frame, direction)  # read-ahead from here even when cached
        self._update_status()

    def step(self, delta: int) -> None:
        self.stop_playback()
        self.seek(self.session.frame + delta, 1 if delta > 0 else -1)

    def jump_keyframe(self, direction: int) -> int | None:
        """Seek to the nearest keyframe after (direction 1) or before (-1) the current frame, of the
        selected objects, or of every object when none is selected; the frame, or None."""
        s = self.session
        if s.store is None:
            return None
        objects = s.store.project.objects
        ids = [t for t in s.selected if t in objects] or list(objects)
        frames = [f for t in ids for f in objects[t].keyframes() if (f - s.frame) * direction > 0]
        if not frames:
            return None
        target = min(frames) if direction > 0 else max(frames)
        self.stop_playback()
        self.seek(target, direction)
        return target

    def _on_frame_ready(self, frame: int) -> None:
        s = self.session
        if frame == s.frame and s.displayed_frame != frame:
            image = s.loader.get(frame) if s.loader is not None else None
            if image is not None:
                self._display(frame, image)
            elif self._failure(frame) is not None:
                self._display_failure(frame)

    def _failure(self, frame: int) -> str | None:
        loader = self.session.loader
        failure = getattr(loader, "failure", None)
        return failure(frame) if failure is not None else None

    def _display_failure(self, frame: int) -> None:
        """Frame ``frame`` cannot be decoded: say so instead of keeping the previous image."""
        s = self.session
        source = s.source
        size = (source.width, source.height) if source is not None and hasattr(source, "width") else None
        self.v.frame_view.show_error(frame, size, self._failure(frame) or "")
        changed = s.displayed_frame is not None
        s.displayed_frame = None
        self._update_status()
        if changed:
            s.frame_displayed.emit(frame)

    def _display(self, frame: int, image) -> None:
        s = self.session
        changed = s.displayed_frame != frame
        self.v.frame_view.show_frame(frame, image, self.box_displays(frame))
        s.displayed_frame = frame
        if changed:
            self.v.objects.set_objects(self._object_rows(), self._labels(), s.selected)
            self.frame_changed.emit(frame)
            s.frame_displayed.emit(frame)

    # ------------------------------------------------------------------ playback
    def _play_interval(self) -> int:
        return max(5, int(1000 / (self.session.fps * self.session.settings.playback_speed)))

    def toggle_play(self) -> None:
        s = self.session
        if self._play_timer.isActive():
            self.stop_playback()
        elif s.frame_count and not s.tracking:
            if s.frame >= s.frame_count - 1:
                self.seek(0)
            self._play_timer.start(self._play_interval())
            self.v.player.set_playing(True)

    def stop_playback(self) -> None:
        self._play_timer.stop()
        self.v.player.set_playing(False)

    def _on_play_tick(self) -> None:
        s = self.session
        nxt = s.frame + 1
        if nxt >= s.frame_count:
            self.stop_playback()
            return
        if s.loader.get(nxt) is None and s.displayed_frame != s.frame:
            return  # decoding is behind: wait for it instead of skipping frames
        self.seek(nxt, 1)

    # ------------------------------------------------------------------ refresh
    def schedule_refresh(self, timeline: bool = False) -> None:
        self._timeline_dirty |= timeline
        if not self._refresh_timer.isActive() or self._refresh_timer.remainingTime() > REFRESH_INTERVAL_MS:
            self._refresh_timer.start(REFRESH_INTERVAL_MS)

    def refresh(self) -> None:
        """Bring every view up to date with the store (coalesced: called at most ~30 times/s)."""
        s, v = self.session, self.v
        self._refresh_timer.stop()
        now = time.monotonic()
        # While a run streams results, the frame view follows at ~30 Hz but the timeline, the
        # object list and the progress bar (whose costs grow with the project) at ~5 Hz, so the
        # event loop stays free for input.
        heavy = not s.tracking or now - self._last_heavy >= HEAVY_INTERVAL_S
        if s.store is not None and s.displayed_frame is not None:
            v.frame_view.set_boxes(self.box_displays(s.displayed_frame))
        if not heavy:
            # the deferred part is done by the refresh of a later tracked frame (a run asks for one
            # per frame, and for one when it ends); this timer only catches a run that went quiet.
            # No polling at the refresh rate: every pass repaints the views it touches.
            wait = HEAVY_INTERVAL_S - (now - self._last_heavy)
            self._refresh_timer.start(int(1000 * (wait + HEAVY_INTERVAL_S)))
            return
        self._last_heavy = now
        if self._timeline_dirty:
            self._timeline_dirty = False
            v.timeline.set_rows(self._timeline_rows())
        v.objects.set_objects(self._object_rows(), self._labels(), s.selected)
        dirty = "*" if s.store is not None and s.store.dirty else ""
        name = s.doc.name if s.doc else "no video"
        v.set_title(f"{name}{dirty} \u2014 {APP_NAME}")
        self._update_status()

    def _labels(self) -> list[str]:
        return list(self.session.store.project.labels) if self.session.store else []

    def box_displays(self, frame: int) -> list[BoxDisplay]:
        s = self.session
        if s.store is None:
            return []
        return box_displays(s.store.project, frame, s.selected, s.settings.confidence_threshold, s.moved_from)

    def _timeline_rows(self) -> list:
        s = self.session
        if s.store is None:
            return []
        return timeline_rows(s.store.project, s.frame_count, s.selected, s.settings.confidence_threshold,
                             s.moved_frames, self.rows)

    def _object_rows(self) -> list:
        s = self.session
        return object_rows(s.store.project, s.displayed_frame, self.rows) if s.store is not None else []

    def _update_status(self) -> None:
        s, v = self.session, self.v
        if not s.frame_count:
            v.status_frame.setText("No video")
            v.status_time.setText("")
        else:
            broken = " — cannot be decoded" if v.frame_view.error_frame == s.frame else ""
            v.status_frame.setText(f"Frame {s.frame} / {s.frame_count - 1}{broken}")
            v.status_time.setText(format_time(s.frame / s.fps))
        if not v.status_device.text():
            v.status_device.setText(f"MemTrack (loads on first run, device {s.settings.device})")
