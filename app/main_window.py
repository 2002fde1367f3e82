"""The annotation window. Composition only: views, docks, menus, status bar, navigation and
playback; editing, tracking and file handling live in edit_ops, track_ops and file_ops.

Frames: ``frame`` is the frame the user asked for (slider, keys); ``displayed_frame`` is the
frame whose image and boxes are on screen. They differ only while a frame is being decoded;
edits always apply to the displayed frame.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from tracker.video import open_source as default_open_source

from .actions import build_actions, build_menus
from .core.diagnostics_store import DiagnosticsStore
from .core.document import Document
from .edit_ops import EditOps
from .file_ops import FileOps
from .insight_ops import InsightOps
from .io_ops import IoOps
from .prompts import Prompts
from .qt_settings import SettingsStore
from .core.recovery import RecoveryStore
from .core.settings import AppSettings
from .core.store import AnnotationStore, StoreChange
from .track_ops import TrackOps
from .tracking_controller import TrackingController
from .core.view_models import BoxDisplay, ObjectRow, TimelineRow, box_displays, object_rows, timeline_rows
from .views.frame_view import FrameView
from .views.object_panel import ObjectPanel
from .views.player_bar import PlayerBar, format_time
from .views.timeline_view import TimelineView
from .views.track_panel import TrackPanel

__all__ = ["MainWindow"]

APP_NAME = "MemTrack Annotator"
HEAVY_INTERVAL_S = 0.2



class MainWindow(QtWidgets.QMainWindow):
    """Signals: frame_changed(int) when another frame is displayed; document_changed() when a
    document is opened or closed (panels added with `add_panel` listen to both)."""

    frame_changed = QtCore.Signal(int)
    document_changed = QtCore.Signal()

    def __init__(self, settings_store: SettingsStore, recovery: RecoveryStore,
                 tracker_factory: Callable[[AppSettings], Any] | None = None, prompts: Prompts | None = None,
                 open_source: Callable[[str], Any] = default_open_source):
        super().__init__()
        self.settings_store = settings_store
        self.settings = settings_store.load()
        self.recovery = recovery
        self.prompts = prompts or Prompts(self)
        self.open_source = open_source
        self.doc: Document | None = None
        self.store: AnnotationStore | None = None
        self.loader = None  # FrameLoader of the open video
        self.source = None  # the open video's FrameSource: metadata, and the template for clones
        self.frame_count = 0
        self.fps = 25.0
        self.frame = 0
        self.selected: list[int] = []
        self.diagnostics = DiagnosticsStore()
        self._build_views()
        self.actions = build_actions(self, self.settings.shortcuts)
        self.menus = build_menus(self, self.actions)
        factory = tracker_factory or _default_tracker_factory
        self.controller = TrackingController(lambda: factory(self.settings), self._source_for_worker, self)
        self.files = FileOps(self)
        self.edits = EditOps(self)
        self.tracking = TrackOps(self)
        self.io = IoOps(self)
        self.insight = InsightOps(self)  # attention, memory, plots, review queue (tracker insight issue)
        self._play_timer = QtCore.QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(33)  # repaint at most ~30 times a second
        self._refresh_timer.timeout.connect(self.refresh)
        self._timeline_dirty = True
        self._last_heavy = 0.0
        self._connect()
        self.track_panel.load(self.settings.to_mapping())
        self.actions["follow"].setChecked(self.settings.follow)
        self.player.set_speed(self.settings.playback_speed)
        self.setWindowTitle(APP_NAME)
        self.frame_view.setFocus()
        screen = QtGui.QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1440, 900)
        self.resize(min(1440, area.width()), min(900, area.height()))
        geometry = settings_store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build_views(self) -> None:
        self.frame_view = FrameView()
        self.player = PlayerBar()
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.frame_view, 1)
        layout.addWidget(self.player)
        self.setCentralWidget(central)
        self.timeline = TimelineView()
        self.objects = ObjectPanel()
        self.track_panel = TrackPanel()
        self.setDockOptions(QtWidgets.QMainWindow.DockOption.AnimatedDocks
                            | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)
        self.timeline_dock = self.add_panel("Timeline", self.timeline, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.objects_dock = self.add_panel("Objects", self.objects, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.track_dock = self.add_panel("Tracking", self.track_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.objects_dock], [380], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.timeline_dock], [190], QtCore.Qt.Orientation.Vertical)
        bar = self.statusBar()
        self.status_frame = QtWidgets.QLabel()
        self.status_time = QtWidgets.QLabel()
        self.status_speed = QtWidgets.QLabel("Tracking: idle")
        self.status_device = QtWidgets.QLabel()
        for w in (self.status_frame, self.status_time, self.status_speed, self.status_device):
            w.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(w)

    def add_panel(self, title: str, widget: QtWidgets.QWidget,
                  area: QtCore.Qt.DockWidgetArea = QtCore.Qt.DockWidgetArea.RightDockWidgetArea
                  ) -> QtWidgets.QDockWidget:
        """Dock a panel; its toggle goes into the View menu (used by later panels too)."""
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if hasattr(self, "menus"):
            self.menus["View"].addAction(dock.toggleViewAction())
        return dock

    def _connect(self) -> None:
        a = self.actions
        for dock in (self.timeline_dock, self.objects_dock, self.track_dock):
            self.menus["View"].addAction(dock.toggleViewAction())
        a["quit"].triggered.connect(self.close)
        a["fit"].triggered.connect(self.frame_view.fit)
        a["zoom_in"].triggered.connect(lambda: self.frame_view.zoom(1.25))
        a["zoom_out"].triggered.connect(lambda: self.frame_view.zoom(0.8))
        a["play"].triggered.connect(self.toggle_play)
        a["prev"].triggered.connect(lambda: self.step(-1))
        a["next"].triggered.connect(lambda: self.step(1))
        a["back10"].triggered.connect(lambda: self.step(-10))
        a["fwd10"].triggered.connect(lambda: self.step(10))
        a["first"].triggered.connect(lambda: self.seek(0))
        a["last"].triggered.connect(lambda: self.seek(self.frame_count - 1))
        a["follow"].toggled.connect(lambda on: self.update_settings(follow=on))
        a["settings"].triggered.connect(self._edit_settings)
        a["shortcuts"].triggered.connect(self._show_shortcuts)
        a["about"].triggered.connect(self._show_about)
        self.player.frame_requested.connect(self.seek)
        self.player.play_toggled.connect(self.toggle_play)
        self.player.speed_changed.connect(lambda s: self.update_settings(playback_speed=s))
        self.timeline.frame_requested.connect(self.seek)
        self.timeline.object_selected.connect(lambda tid: self.set_selection([tid]))
        self.objects.selection_changed.connect(self.set_selection)
        self.frame_view.box_clicked.connect(lambda tid: self.set_selection([tid]))
        self.track_panel.options_changed.connect(lambda o: self.update_settings(**o))
        self.controller.tracker_ready.connect(self.status_device.setText)
        self.controller.tracker_failed.connect(
            lambda message: self.status_device.setText(f"Tracker failed to load: {message}"))

    # ------------------------------------------------------------------ settings
    def update_settings(self, **changes: Any) -> None:
        self.settings = self.settings.with_changes(**changes)
        self.settings_store.save(self.settings)
        if "follow" in changes and self.actions["follow"].isChecked() != changes["follow"]:
            self.actions["follow"].setChecked(changes["follow"])
        if "follow" in changes:
            self.track_panel.follow.blockSignals(True)
            self.track_panel.follow.setChecked(changes["follow"])
            self.track_panel.follow.blockSignals(False)
        if "playback_speed" in changes and self._play_timer.isActive():
            self._play_timer.setInterval(self._play_interval())
        self.schedule_refresh(timeline=True)

    # ------------------------------------------------------------------ document
    def set_document(self, doc: Document | None, store: AnnotationStore | None, loader: Any,
                     source: Any = None) -> None:
        """Install an opened document (FileOps does the checks and asks the questions)."""
        self.stop_playback()
        if self.loader is not None:
            self.loader.close()
        if self.source is not None:
            self.source.close()
        self.doc, self.store, self.loader, self.source = doc, store, loader, source
        self.selected = []
        self.diagnostics.clear()
        self.tracking.reset()
        self.controller.forget_state()
        self.frame_view.clear()
        if doc is None or store is None:
            self.frame_count = 0
        else:
            self.frame_count = loader.frame_count
            self.fps = source.fps if source is not None else doc.project.video.fps
            store.listeners.append(self._on_store_changed)
            # after an undo step is complete (stacks updated): Undo/Redo enable at once
            store.committed.append(self.edits.update_actions)
            loader.frame_ready.connect(self._on_frame_ready)
            objects = sorted(store.project.objects)
            self.selected = objects[:1]
            self.controller.preload()
        self.player.set_video(self.frame_count, self.fps)
        self.timeline.set_frame_count(self.frame_count)
        self.frame = -1
        self.document_changed.emit()
        if self.frame_count:
            self.seek(0)
        self.schedule_refresh(timeline=True)
        self.refresh()

    def _source_for_worker(self, path: str) -> Any:
        """Called in the worker thread: a clone has its own decoder and skips re-indexing."""
        source = self.source
        if source is not None and str(path) == str(self.doc.video_path):
            return source.clone()
        return self.open_source(path)

    # ------------------------------------------------------------------ navigation
    @property
    def displayed_frame(self) -> int | None:
        return self.frame_view.frame

    def seek(self, frame: int, direction: int | None = None) -> None:
        if self.loader is None or self.frame_count == 0:
            return
        frame = int(min(max(frame, 0), self.frame_count - 1))
        if direction is None:
            direction = 1 if frame >= self.frame else -1
        self.frame = frame
        self.player.set_frame(frame)
        self.timeline.set_cursor(frame)
        image = self.loader.get(frame)
        if image is not None:
            self._display(frame, image)
        self.loader.request(frame, direction)  # read-ahead from here even when cached
        self._update_status()

    def step(self, delta: int) -> None:
        self.stop_playback()
        self.seek(self.frame + delta, 1 if delta > 0 else -1)

    def _on_frame_ready(self, frame: int) -> None:
        if frame == self.frame and self.displayed_frame != frame:
            image = self.loader.get(frame) if self.loader is not None else None
            if image is not None:
                self._display(frame, image)

    def _display(self, frame: int, image) -> None:
        changed = self.displayed_frame != frame
        self.frame_view.show_frame(frame, image, self.box_displays(frame))
        if changed:
            self.objects.set_objects(self._object_rows(), self._labels(), self.selected)
            self.frame_changed.emit(frame)

    # ------------------------------------------------------------------ playback
    def _play_interval(self) -> int:
        return max(5, int(1000 / (self.fps * self.settings.playback_speed)))

    def toggle_play(self) -> None:
        if self._play_timer.isActive():
            self.stop_playback()
        elif self.frame_count and not self.controller.running:
            if self.frame >= self.frame_count - 1:
                self.seek(0)
            self._play_timer.start(self._play_interval())
            self.player.set_playing(True)

    def stop_playback(self) -> None:
        self._play_timer.stop()
        self.player.set_playing(False)

    def _on_play_tick(self) -> None:
        nxt = self.frame + 1
        if nxt >= self.frame_count:
            self.stop_playback()
            return
        if self.loader.get(nxt) is None and self.displayed_frame != self.frame:
            return  # decoding is behind: wait for it instead of skipping frames
        self.seek(nxt, 1)

    # ------------------------------------------------------------------ selection and refresh
    def set_selection(self, track_ids: list[int]) -> None:
        self.selected = [t for t in track_ids if self.store and t in self.store.project.objects]
        self.edits.update_actions()  # at once: a key pressed right after a click must work
        self.schedule_refresh(timeline=True)

    def _on_store_changed(self, change: StoreChange) -> None:
        if change.structure:
            self.selected = [t for t in self.selected if t in self.store.project.objects]
        self.schedule_refresh(timeline=True)

    def schedule_refresh(self, timeline: bool = False) -> None:
        self._timeline_dirty |= timeline
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Bring every view up to date with the store (coalesced: called at most ~30 times/s)."""
        self._refresh_timer.stop()
        now = time.monotonic()
        # While a run streams results, the frame view follows at ~30 Hz but the timeline, the
        # object list and the progress bar (whose costs grow with the project) at ~5 Hz, so the
        # event loop stays free for input.
        heavy = not self.controller.running or now - self._last_heavy >= HEAVY_INTERVAL_S
        self.tracking.before_refresh(heavy)
        if self.store is not None and self.displayed_frame is not None:
            self.frame_view.set_boxes(self.box_displays(self.displayed_frame))
        if not heavy:
            self._refresh_timer.start()  # come back for the deferred part
            return
        self._last_heavy = now
        if self._timeline_dirty:
            self._timeline_dirty = False
            self.timeline.set_rows(self._timeline_rows())
        self.objects.set_objects(self._object_rows(), self._labels(), self.selected)
        self.edits.update_actions()
        dirty = "*" if self.store is not None and self.store.dirty else ""
        name = self.doc.name if self.doc else "no video"
        self.setWindowTitle(f"{name}{dirty} \u2014 {APP_NAME}")
        self._update_status()

    def _labels(self) -> list[str]:
        return list(self.store.project.labels) if self.store else []

    def box_displays(self, frame: int) -> list[BoxDisplay]:
        if self.store is None:
            return []
        return box_displays(self.store.project, frame, self.selected, self.settings.confidence_threshold,
                            self.tracking.moved_from)

    def _timeline_rows(self) -> list[TimelineRow]:
        if self.store is None:
            return []
        return timeline_rows(self.store.project, self.frame_count, self.selected,
                             self.settings.confidence_threshold, self.tracking.moved_frames)

    def _object_rows(self) -> list[ObjectRow]:
        return object_rows(self.store.project, self.displayed_frame) if self.store is not None else []

    def _update_status(self) -> None:
        if not self.frame_count:
            self.status_frame.setText("No video")
            self.status_time.setText("")
        else:
            self.status_frame.setText(f"Frame {self.frame} / {self.frame_count - 1}")
            self.status_time.setText(format_time(self.frame / self.fps))
        if not self.status_device.text():
            self.status_device.setText(f"MemTrack (loads on first run, device {self.settings.device})")

    def _edit_settings(self) -> None:
        from .actions import apply_shortcuts
        from .dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        new = dialog.result_settings()
        engine_changed = (new.device, new.weights) != (self.settings.device, self.settings.weights)
        self.update_settings(**{k: getattr(new, k) for k in AppSettings.keys()})
        apply_shortcuts(self.actions, self.settings.shortcuts)
        self.track_panel.load(self.settings.to_mapping())
        if engine_changed and not self.controller.busy:
            self.controller.drop_tracker()  # the next run loads the engine with the new settings
            self.status_device.setText("")

    # ------------------------------------------------------------------ help
    def _show_shortcuts(self) -> None:
        from .dialogs.shortcut_sheet import ShortcutSheet

        ShortcutSheet(self.settings.shortcuts, self).exec()

    def _show_about(self) -> None:
        self.prompts.info("About", f"{APP_NAME}\nVideo annotation with the MemTrack memory-network tracker.\n"
                                   f"Tracker: {self.status_device.text()}")

    def show_message(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.files.maybe_close():
            event.ignore()
            return
        self.stop_playback()
        if not self.controller.shutdown(5000):
            self.show_message("The tracking thread is still finishing; try closing again.")
            event.ignore()
            return
        if self.loader is not None:
            self.loader.close()
            self.loader = None
        if self.source is not None:
            self.source.close()
            self.source = None
        self.settings_store.set_value("window/geometry", self.saveGeometry())
        event.accept()


def _default_tracker_factory(settings: AppSettings) -> Any:
    from tracker import load_tracker

    return load_tracker(weights=settings.weights or None, device=settings.device)

