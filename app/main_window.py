"""The annotation window. Composition only: it builds the views, docks, menus and status bar,
creates the session, the engine service and the controllers, and hands each controller the views
it drives. It holds no behaviour of its own (nothing imports this module but app.application).

Frames: ``frame`` is the frame the user asked for (slider, keys); ``displayed_frame`` is the
frame whose image and boxes are on screen. They differ only while a frame is being decoded;
edits always apply to the displayed frame.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6 import QtCore, QtGui, QtWidgets

from tracker.video import open_source as default_open_source

from .actions import build_actions, build_menus
from .controllers.edit import EditController
from .controllers.files import FileController
from .controllers.insight import InsightController, InsightViews
from .controllers.io import IoController
from .controllers.navigation import APP_NAME, NavigationController, NavigationViews
from .controllers.settings import SettingsController
from .controllers.track import TrackController
from .core.session import Session
from .core.settings import AppSettings
from .engine_service import EngineService
from .feedback import StatusFeedback
from .prompts import Prompts
from .qt_settings import SettingsStore
from .core.recovery import RecoveryStore
from .views.attention_overlay import AttentionOverlay
from .views.frame_view import FrameView
from .views.insight_plots import InsightPlots
from .views.memory_panel import MemoryPanel
from .views.object_panel import ObjectPanel
from .views.player_bar import PlayerBar
from .views.response_view import MapsView
from .views.review_panel import ReviewPanel
from .views.timeline_view import TimelineView
from .views.track_panel import TrackPanel

__all__ = ["MainWindow"]

Area = QtCore.Qt.DockWidgetArea


def _from_session(name: str) -> property:
    return property(lambda self: getattr(self.session, name))



def _scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """``widget`` in a frameless scroll area that resizes it: it scrolls once shorter than its minimum."""
    area = QtWidgets.QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    return area

class MainWindow(QtWidgets.QMainWindow):
    """Signals: frame_changed(int) when another frame is displayed; document_changed() when a
    document is opened or closed."""

    frame_changed = QtCore.Signal(int)
    document_changed = QtCore.Signal()

    def __init__(self, settings_store: SettingsStore, recovery: RecoveryStore,
                 tracker_factory: Callable[[AppSettings], Any] | None = None, prompts: Prompts | None = None,
                 open_source: Callable[[str], Any] = default_open_source):
        super().__init__()
        self.settings_store = settings_store
        self.session = s = Session(settings_store.load(), settings_store.save, recovery, open_source)
        self.prompts = prompts or Prompts(self)
        self._build_views()
        self.actions = build_actions(self, s.settings.shortcuts)
        self.menus = build_menus(self, self.actions)
        for dock in (self.timeline_dock, self.objects_dock, self.track_dock):
            self.menus["View"].addAction(dock.toggleViewAction())
        a = self.actions
        self.track_panel.add_action_buttons([[a["track_backward"], a["track_forward"]],
                                             [a["retrack"], a["interpolate"]], [a["cancel"]]])
        self._build_insight_views()
        feedback = StatusFeedback(self.statusBar(), self.prompts, self)
        factory = tracker_factory or _default_tracker_factory
        self.controller = EngineService(lambda: factory(s.settings), s.source_for_worker, self)
        self.navigation = NavigationController(s, NavigationViews(
            self.frame_view, self.player, self.timeline, self.objects, self.status_frame, self.status_time,
            self.status_device, self.setWindowTitle), self.actions, self.controller, self)
        self.files = FileController(s, self.actions, feedback, self.controller)
        self.edits = EditController(s, self.frame_view, self.objects, self.actions, feedback)
        self.tracking = TrackController(s, self.track_panel, self.status_speed, self.actions, feedback,
                                        self.controller, self)
        self.io = IoController(s, self.actions, feedback)
        self.insight = InsightController(s, InsightViews(self.overlay, self.maps, self.memory_panel, self.plots,
                                                         self.review_panel),
                                         self.actions, feedback, self.controller, settings_store, self)
        for dock, view in ((self.maps_dock, self.maps), (self.memory_dock, self.memory_panel),
                           (self.plots_dock, self.plots), (self.review_dock, self.review_panel)):
            dock.visibilityChanged.connect(lambda visible, view=view: self.insight.set_visible(view, visible))
        self.preferences = SettingsController(s, self.actions, self.track_panel, self.status_device, feedback,
                                              self.controller, APP_NAME)
        self.navigation.frame_changed.connect(self.frame_changed)
        s.document_changed.connect(self.document_changed.emit)
        self.actions["quit"].triggered.connect(self.close)
        self.setWindowTitle(APP_NAME)
        self.frame_view.setFocus()
        screen = QtGui.QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QtCore.QRect(0, 0, 1440, 900)
        self.resize(min(1440, area.width()), min(900, area.height()))
        geometry = settings_store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.navigation.refresh()

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
        # the right column (objects over tracking) runs the window's full height; the timeline
        # spans the frame only, so the object list keeps its rows on a 768-pixel-high screen
        self.setCorner(QtCore.Qt.Corner.TopRightCorner, Area.RightDockWidgetArea)
        self.setCorner(QtCore.Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        # many objects scroll instead of squeezing their rows
        self.timeline_dock = self._dock("Timeline", _scrolling(self.timeline), Area.BottomDockWidgetArea)
        self.objects_dock = self._dock("Objects", self.objects, Area.RightDockWidgetArea)
        self.track_dock = self._dock("Tracking", self.track_panel, Area.RightDockWidgetArea)
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

    def _build_insight_views(self) -> None:
        """Tracker insight: attention overlay, maps, memory, plots, review queue."""
        self.overlay = AttentionOverlay()
        for item, z in self.overlay.items():
            self.frame_view.add_overlay(item, z)
        self.maps, self.memory_panel = MapsView(), MemoryPanel()
        self.plots, self.review_panel = InsightPlots(), ReviewPanel()
        self.maps_dock = self.add_panel("Attention and response", self.maps, Area.RightDockWidgetArea)
        self.memory_dock = self.add_panel("Memory", self.memory_panel, Area.RightDockWidgetArea)
        self.review_dock = self.add_panel("Review queue", self.review_panel, Area.RightDockWidgetArea)
        # a low dock scrolls the plots instead of squashing them
        self.plots_dock = self.add_panel("Tracker plots", _scrolling(self.plots), Area.BottomDockWidgetArea)
        self.tabifyDockWidget(self.objects_dock, self.review_dock)
        self.tabifyDockWidget(self.track_dock, self.memory_dock)
        self.tabifyDockWidget(self.track_dock, self.maps_dock)
        self.tabifyDockWidget(self.timeline_dock, self.plots_dock)
        for dock in (self.objects_dock, self.track_dock, self.timeline_dock):
            dock.raise_()
        # the object list gets most of the right column (several rows even at 1366x768); the
        # tracking panel keeps what its controls need
        self.resizeDocks([self.objects_dock, self.track_dock], [330, 300], QtCore.Qt.Orientation.Vertical)

    def _dock(self, title: str, widget: QtWidgets.QWidget, area: Area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def add_panel(self, title: str, widget: QtWidgets.QWidget, area: Area = Area.RightDockWidgetArea
                  ) -> QtWidgets.QDockWidget:
        """Dock a panel after the menus exist; its toggle goes into the View menu."""
        dock = self._dock(title, widget, area)
        self.menus["View"].addAction(dock.toggleViewAction())
        return dock

    # ------------------------------------------------------------------ the session, for scripts and tests
    doc = _from_session("doc")
    store = _from_session("store")
    loader = _from_session("loader")
    source = _from_session("source")
    settings = _from_session("settings")
    diagnostics = _from_session("diagnostics")
    selected = _from_session("selected")
    frame = _from_session("frame")
    frame_count = _from_session("frame_count")
    fps = _from_session("fps")

    @property
    def displayed_frame(self) -> int | None:
        return self.frame_view.frame

    def update_settings(self, **changes: Any) -> None:
        self.session.update_settings(**changes)

    def set_selection(self, track_ids: list[int]) -> None:
        self.session.set_selection(track_ids)

    def seek(self, frame: int, direction: int | None = None) -> None:
        self.navigation.seek(frame, direction)

    def step(self, delta: int) -> None:
        self.navigation.step(delta)

    def refresh(self) -> None:
        self.navigation.refresh()

    def box_displays(self, frame: int) -> list:
        return self.navigation.box_displays(frame)

    def show_message(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        # a running export or import: ask first, cancel and wait only once the save question is answered
        if not self.io.confirm_close() or not self.files.maybe_close() or not self.io.cancel_and_wait():
            event.ignore()
            return
        self.navigation.stop_playback()
        if not self.controller.shutdown(5000):
            self.show_message("The tracking thread is still finishing; try closing again.")
            event.ignore()
            return
        self.session.close_video()
        self.files.close()
        self.settings_store.set_value("window/geometry", self.saveGeometry())
        event.accept()


def _default_tracker_factory(settings: AppSettings) -> Any:
    from tracker import load_tracker

    return load_tracker(weights=settings.weights or None, device=settings.device, threads=settings.threads,
                        reserve_gui=True)

