"""One object's box on the frame view: a pyqtgraph ROI with resize handles and a label."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from tracker.project import Provenance
from tracker.types import Box, BoxError

from ..core.view_models import BoxDisplay

__all__ = ["BoxDisplay", "BoxItem"]

# Corner and edge handles; each scales about the opposite side.
_HANDLES = (
    ((0, 0), (1, 1)), ((1, 1), (0, 0)), ((1, 0), (0, 1)), ((0, 1), (1, 0)),
    ((0.5, 0), (0.5, 1)), ((0.5, 1), (0.5, 0)), ((0, 0.5), (1, 0.5)), ((1, 0.5), (0, 0.5)),
)


def _pen(display: BoxDisplay) -> QtGui.QPen:
    color = QtGui.QColor(display.color)
    width = 3 if display.provenance is Provenance.KEYFRAME else 2
    pen = pg.mkPen(color, width=width)
    pen.setCosmetic(True)
    if display.provenance is Provenance.INTERPOLATED:
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    elif display.provenance is Provenance.IMPORTED:
        pen.setStyle(QtCore.Qt.PenStyle.DotLine)
    return pen


class BoxItem(pg.ROI):
    """Emits ``edited(track_id, Box)`` when the user finishes a move or a resize.

    Programmatic updates (`show`) never emit: only a committed drag writes to the store. A locked
    object's box (``display.locked``) shows no handles, and a drag on it moves nothing: it calls
    ``refused_callback(track_id)`` once (and does not fall through to drawing a new box).
    The label's place is chosen by the frame view (`FrameView.layout_labels`) so that labels of
    nearby boxes do not overlap.
    """

    def __init__(self, display: BoxDisplay, edited_callback, clicked_callback, refused_callback=None):
        super().__init__((display.box.x, display.box.y), (display.box.w, display.box.h),
                         removable=False, rotatable=False, resizable=False, movable=True)
        self.track_id = display.track_id
        self._edited = edited_callback
        self._refused = refused_callback
        self._interactive = True
        for pos, center in _HANDLES:
            self.addScaleHandle(pos, center)
        # the label is the frame view's item, not a child of the box, so that every label is drawn
        # above every box (z 30); it follows the box while it is dragged (`_follow`)
        self.label = pg.TextItem("", anchor=(0, 0))
        self.label.setZValue(30)
        self.label_offset = QtCore.QPointF(0, 0)  # the label's place relative to the box's corner
        self.sigRegionChanged.connect(self._follow)
        self.sigRegionChangeFinished.connect(self._on_region_change_finished)
        self.sigClicked.connect(lambda *_: clicked_callback(self.track_id))
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.LeftButton)
        self.display: BoxDisplay | None = None
        self.bounds_for: tuple[int, int] | None = None  # the frame size `set_bounds` was given
        self.show_display(display)

    def show_display(self, display: BoxDisplay) -> None:
        if display == self.display:
            return
        self.display = display
        b = display.box
        self.setPos((b.x, b.y), update=False)
        self.setSize((b.w, b.h), update=False)
        self.stateChanged(finish=False)
        pen = _pen(display)
        self.setPen(pen)
        hover = QtGui.QPen(pen)
        hover.setWidth(pen.width() + 1)
        self.hoverPen = hover
        fill = QtGui.QColor("#c0392b") if display.low_confidence else QtGui.QColor(display.color)
        fill.setAlpha(200)
        text_color = "#ffffff" if display.low_confidence or QtGui.QColor(display.color).lightness() < 140 \
            else "#000000"
        self.label.fill = pg.mkBrush(fill)
        self.label.setColor(text_color)
        self.label.setText(display.caption)
        for handle in self.getHandles():
            handle.setVisible(display.selected and not display.locked)
        self.translatable = self._interactive and not display.locked
        self.setZValue(20 if display.selected else 10)

    @property
    def locked(self) -> bool:
        return self.display is not None and self.display.locked

    def place_label(self, view_pos: QtCore.QPointF) -> None:
        """Put the label at ``view_pos`` (image pixels) and keep it there relative to the box."""
        pos = self.pos()
        self.label_offset = QtCore.QPointF(view_pos.x() - pos[0], view_pos.y() - pos[1])
        self._follow()

    def _follow(self, *_args) -> None:
        pos = self.pos()
        self.label.setPos(pos[0] + self.label_offset.x(), pos[1] + self.label_offset.y())

    def label_size(self) -> QtCore.QSizeF:
        """The label's size in screen pixels (it is drawn unscaled)."""
        return self.label.textItem.boundingRect().size()

    def mouseDragEvent(self, ev) -> None:
        if self.locked and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()  # a drag on a locked box neither moves it nor draws a new box
            if ev.isStart() and self._refused is not None:
                self._refused(self.track_id)
            return
        super().mouseDragEvent(ev)

    def set_bounds(self, width: int, height: int) -> None:
        """Keep moves and resizes inside the frame (0..width, 0..height); a box already partly
        outside (a tracker result at the edge) may still move back in."""
        frame = QtCore.QRectF(0, 0, width, height)
        b = self.display.box if self.display is not None else None
        self.bounds_for = (width, height)
        self.maxBounds = frame.united(QtCore.QRectF(b.x, b.y, b.w, b.h)) if b is not None else frame

    def set_interactive(self, interactive: bool) -> None:
        """Whether the box takes the mouse (move, resize, click); in draw mode it does not, so a
        drag that starts inside it draws a new box."""
        self._interactive = interactive
        buttons = QtCore.Qt.MouseButton.LeftButton if interactive else QtCore.Qt.MouseButton.NoButton
        self.setAcceptedMouseButtons(buttons)
        self.translatable = interactive and not self.locked
        for handle in self.getHandles():
            handle.setAcceptedMouseButtons(buttons)
        self.setAcceptHoverEvents(interactive)

    def current_box(self) -> Box:
        pos, size = self.pos(), self.size()
        return Box(float(pos[0]), float(pos[1]), max(1.0, float(size[0])), max(1.0, float(size[1])))

    def _on_region_change_finished(self, _roi=None) -> None:
        try:
            box = self.current_box()
        except BoxError:
            return
        if self.display is None or box != self.display.box:
            self._edited(self.track_id, box)
