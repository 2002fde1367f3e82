"""The frame view: the video frame with every object's box; draw, move and resize boxes.

Mouse: left-drag on the image draws a box; drag a box to move it, its handles to resize it;
Ctrl+left-drag or middle-drag pans; the wheel or right-drag zooms; double-click fits. Modes
(`set_mode`): "edit" (the default: a drag draws on the image and moves a box it starts in),
"draw" (every drag draws, even one starting inside a box) and "move" (drags move and resize
boxes, or pan; they never draw). Boxes stay inside the frame: moves and resizes stop at its edge,
and an edited box is clipped to it.

The image and the boxes always belong to one frame index (`frame`), so a box on screen is the
box stored for the frame on screen. Drawing is refused (``draw_refused``) while the frame the user
asked for (`set_requested`) is not the one on screen (it is still decoding) and on a frame that
could not be decoded (`show_error`: a placeholder with the reason instead of the last image). Overlays (attention maps and the like) can be added with
`add_overlay`; they live in image pixel coordinates.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from tracker.types import Box, BoxError

from .box_item import BoxDisplay, BoxItem

__all__ = ["FrameView"]

MIN_DRAWN_SIZE = 4.0  # pixels; a smaller drag is a click, not a box
MODES = ("edit", "draw", "move")


class _DrawViewBox(pg.ViewBox):
    """A ViewBox whose plain left-drag draws a rectangle instead of panning."""

    def __init__(self, on_drawn, on_double_click):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self._on_drawn = on_drawn
        self._on_double_click = on_double_click
        self.drawing_enabled = True
        self.band = QtWidgets.QGraphicsRectItem()
        pen = pg.mkPen("#ffffff", width=1, style=QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.band.setPen(pen)
        self.band.setBrush(pg.mkBrush(255, 255, 255, 30))
        self.band.setZValue(100)
        self.band.hide()
        self.addItem(self.band, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):
        left = ev.button() == QtCore.Qt.MouseButton.LeftButton
        ctrl = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier)
        if not left or ctrl or not self.drawing_enabled:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p0 = self.mapSceneToView(ev.buttonDownScenePos())
        p1 = self.mapSceneToView(ev.scenePos())
        rect = QtCore.QRectF(p0, p1).normalized()
        if ev.isFinish():
            self.band.hide()
            self._on_drawn(rect)
        else:
            self.band.setRect(rect)
            self.band.show()

    def mouseClickEvent(self, ev):
        if ev.double() and ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_double_click()
            return
        super().mouseClickEvent(ev)


def _place_label(box: QtCore.QRectF, size: QtCore.QSizeF, view: QtCore.QRectF,
                 placed: list[QtCore.QRectF]) -> QtCore.QRectF:
    """Where a label of ``size`` goes for ``box`` (scene pixels): above the box, else below it, else
    inside its top edge; each of these shifted further out in steps of the label's height when it
    would cover a label in ``placed``; always inside ``view`` when it fits. The first free place wins;
    with none free, the place that covers the least."""
    w, h = size.width(), size.height()

    def inside(x: float, y: float) -> QtCore.QRectF:
        x = min(max(x, view.left()), max(view.left(), view.right() - w))
        y = min(max(y, view.top()), max(view.top(), view.bottom() - h))
        return QtCore.QRectF(x, y, w, h)

    candidates: list[QtCore.QRectF] = []
    for step in range(0, 8):
        candidates.append(inside(box.left(), box.top() - h - step * h))  # above, further up
        candidates.append(inside(box.left(), box.bottom() + step * h))  # below, further down
        candidates.append(inside(box.left(), box.top() + step * h))  # inside, further down
    for step in range(1, 6):  # to the right of the box's left edge, at the first three heights
        for y in (box.top() - h, box.bottom(), box.top()):
            candidates.append(inside(box.left() + step * w / 2, y))

    def covered(rect: QtCore.QRectF) -> float:
        total = 0.0
        for other in placed:
            cut = rect.intersected(other)
            if not cut.isEmpty():
                total += cut.width() * cut.height()
        return total

    best, best_cover = candidates[0], None
    for rect in candidates:
        cover = covered(rect)
        if cover == 0.0:
            return rect
        if best_cover is None or cover < best_cover:
            best, best_cover = rect, cover
    return best


class FrameView(pg.GraphicsView):
    """Signals:
        box_drawn(int frame, Box): the user dragged out a new box on ``frame``.
        box_edited(int frame, int track_id, Box): the user moved or resized a box.
        box_clicked(int track_id): the user clicked a box (selects its object).
        draw_refused(str): a drawn box was dropped, with the reason (the frame is not on screen).
        locked_box_dragged(int track_id): the user tried to drag a locked object's box (nothing moved).

    Box labels are laid out (`layout_labels`) whenever the boxes or the view change: each goes
    above its box, else below it, else inside its top edge, shifted away from labels already
    placed (the selected box's first), and kept inside the view, so labels of nearby boxes never
    cover each other.
    """

    box_drawn = QtCore.Signal(int, object)
    draw_refused = QtCore.Signal(str)
    box_edited = QtCore.Signal(int, int, object)
    box_clicked = QtCore.Signal(int)
    locked_box_dragged = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent, background="#1e1f22")
        self.vb = _DrawViewBox(self._on_band_drawn, self.fit)
        self.setCentralItem(self.vb)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.vb.addItem(self.image)
        self.frame: int | None = None  # the frame index whose image and boxes are shown
        self._size: tuple[int, int] | None = None  # (width, height)
        self._items: dict[int, BoxItem] = {}
        self._ghosts: dict[int, QtWidgets.QGraphicsRectItem] = {}
        self.requested: int | None = None  # the frame the user asked for (may still be decoding)
        self.error_frame: int | None = None  # the frame shown as undecodable, with error_text
        self.error_text = ""
        self.error_label = pg.TextItem("", color="#ff8a80", anchor=(0.5, 0.5))
        self.error_label.setZValue(200)
        self.error_label.hide()
        self.vb.addItem(self.error_label, ignoreBounds=True)
        self.mode = "edit"
        self._drawing_enabled = True
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.label_rects: dict[int, QtCore.QRectF] = {}  # track id -> its label's place, scene pixels
        self._layout_timer = QtCore.QTimer(self)
        self._layout_timer.setSingleShot(True)
        self._layout_timer.setInterval(0)
        self._layout_timer.timeout.connect(self.layout_labels)
        self.vb.sigTransformChanged.connect(lambda *_: self._layout_timer.start())
        self.setToolTip("Drag: draw a box  |  drag a box or its handles: move/resize  |  "
                        "Ctrl+drag: pan  |  wheel: zoom  |  double-click: fit")

    # ------------------------------------------------------------------ showing
    def show_frame(self, frame: int, image: np.ndarray, boxes: list[BoxDisplay]) -> None:
        """Show one frame and its boxes together."""
        first = self._size is None or self._size != (image.shape[1], image.shape[0])
        # uint8 RGB without levels or lookup table: pyqtgraph wraps the array in a QImage without
        # copying or rescaling (about 9 ms saved per 1080p frame)
        self.image.setImage(image, autoLevels=False)
        self.frame = frame
        self.requested = frame if self.requested is None else self.requested
        self._size = (image.shape[1], image.shape[0])
        self.error_frame, self.error_text = None, ""
        self.error_label.hide()
        self.set_boxes(boxes)
        if first:
            self.fit()

    def set_requested(self, frame: int) -> None:
        """The frame the user asked for; drawing waits until it is the frame on screen."""
        self.requested = frame

    def show_error(self, frame: int, size: tuple[int, int] | None, reason: str) -> None:
        """Frame ``frame`` cannot be decoded: a dark placeholder (``size`` = (width, height) of the
        video) with the reason, no boxes, and no frame on screen to draw on."""
        w, h = size or self._size or (640, 360)
        placeholder = np.full((h, w, 3), 40, np.uint8)
        first = self._size != (w, h)
        self.image.setImage(placeholder, autoLevels=False)
        self.set_boxes([])
        self.frame, self._size = None, (w, h)
        self.error_frame, self.error_text = frame, reason
        self.error_label.setText(f"Frame {frame} cannot be decoded\n{reason}")
        self.error_label.setPos(w / 2, h / 2)
        self.error_label.show()
        if first:
            self.fit()

    def set_boxes(self, boxes: list[BoxDisplay]) -> None:
        """Update the boxes of the frame on screen (reusing items, so a drag in progress is kept)."""
        wanted = {d.track_id: d for d in boxes}
        for tid in list(self._items):
            if tid not in wanted:
                gone = self._items.pop(tid)
                self.vb.removeItem(gone.label)
                self.vb.removeItem(gone)
        for tid, display in wanted.items():
            item = self._items.get(tid)
            if item is not None and item.display == display and item.bounds_for == self._size \
                    and (display.moved_from is None) == (tid not in self._ghosts):
                continue  # unchanged: nothing to do (most boxes, when one of many is edited)
            if item is None:
                item = BoxItem(display, self._on_item_edited, self.box_clicked.emit, self.locked_box_dragged.emit)
                item.set_interactive(self.mode != "draw")
                self._items[tid] = item
                self.vb.addItem(item)
                self.vb.addItem(item.label, ignoreBounds=True)
            elif not item.isMoving:
                item.show_display(display)
            if self._size is not None and not item.isMoving:
                item.set_bounds(*self._size)
            self._set_ghost(tid, display.moved_from)
        for tid in list(self._ghosts):
            if tid not in wanted:
                self._set_ghost(tid, None)
        self.layout_labels()

    # ------------------------------------------------------------------ label layout
    def layout_labels(self) -> None:
        """Place every box's label so that no two overlap (see the class docstring)."""
        self._layout_timer.stop()
        self.label_rects = {}
        if not self._items:
            return
        view = self.vb.sceneBoundingRect()
        placed: list[QtCore.QRectF] = []
        order = sorted(self._items.values(),
                       key=lambda it: (not (it.display is not None and it.display.selected), it.track_id))
        for item in order:
            if item.display is None:
                continue
            b = item.display.box
            box = QtCore.QRectF(self.vb.mapViewToScene(QtCore.QPointF(b.x, b.y)),
                                self.vb.mapViewToScene(QtCore.QPointF(b.x + b.w, b.y + b.h))).normalized()
            size = item.label_size()
            reach = box.adjusted(-4 * size.width(), -9 * size.height(), 4 * size.width(), 9 * size.height())
            rect = _place_label(box, size, view, [r for r in placed if r.intersects(reach)])
            placed.append(rect)
            self.label_rects[item.track_id] = rect
            item.place_label(self.vb.mapSceneToView(rect.topLeft()))

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        timer = getattr(self, "_layout_timer", None)  # pyqtgraph resizes during construction
        if timer is not None:
            timer.start()

    def _set_ghost(self, tid: int, box: Box | None) -> None:
        ghost = self._ghosts.get(tid)
        if box is None:
            if ghost is not None:
                self.vb.removeItem(self._ghosts.pop(tid))
            return
        if ghost is None:
            ghost = QtWidgets.QGraphicsRectItem()
            pen = pg.mkPen("#ff9f1a", width=1.5, style=QtCore.Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            ghost.setPen(pen)
            ghost.setZValue(5)
            ghost.setToolTip("Where this box was before the last re-track")
            self._ghosts[tid] = ghost
            self.vb.addItem(ghost)
        ghost.setRect(QtCore.QRectF(box.x, box.y, box.w, box.h))

    def boxes_shown(self) -> dict[int, Box]:
        return {tid: item.display.box for tid, item in self._items.items() if item.display}

    def item(self, track_id: int) -> BoxItem | None:
        return self._items.get(track_id)

    def clear(self) -> None:
        self.set_boxes([])
        self.image.clear()
        self.frame = self.requested = self.error_frame = None
        self.error_text = ""
        self.error_label.hide()
        self._size = None

    def fit(self) -> None:
        if self._size is not None:
            w, h = self._size
            self.vb.setRange(QtCore.QRectF(0, 0, w, h), padding=0.02)

    def zoom(self, factor: float) -> None:
        self.vb.scaleBy((1 / factor, 1 / factor))

    def add_overlay(self, item: QtWidgets.QGraphicsItem, z: float = 15) -> None:
        """Add an item drawn in image pixel coordinates above the frame (e.g. an attention map)."""
        item.setZValue(z)
        self.vb.addItem(item, ignoreBounds=True)

    def set_drawing_enabled(self, enabled: bool) -> None:
        self._drawing_enabled = enabled
        self.vb.drawing_enabled = enabled and self.mode != "move"

    def set_mode(self, mode: str) -> None:
        """One of MODES: "edit", "draw" (drags always draw) or "move" (drags never draw)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.vb.drawing_enabled = self._drawing_enabled and mode != "move"
        for item in self._items.values():
            item.set_interactive(mode != "draw")
        cursor = QtCore.Qt.CursorShape.CrossCursor if mode == "draw" else QtCore.Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(cursor)

    # ------------------------------------------------------------------ edits
    def commit_drawn_rect(self, rect: QtCore.QRectF) -> None:
        """The drawing path: a rectangle in image pixels becomes ``box_drawn`` (clipped to the frame)."""
        if self.error_frame is not None:
            self.draw_refused.emit(f"Frame {self.error_frame} cannot be decoded: no box can be drawn on it.")
            return
        if self.frame is None or self._size is None:
            return
        if self.requested is not None and self.requested != self.frame:
            self.draw_refused.emit(f"Frame {self.requested} is still being decoded: draw once it is shown.")
            return
        w, h = self._size
        x0, y0 = max(0.0, rect.left()), max(0.0, rect.top())
        x1, y1 = min(float(w), rect.right()), min(float(h), rect.bottom())
        if x1 - x0 < MIN_DRAWN_SIZE or y1 - y0 < MIN_DRAWN_SIZE:
            return
        try:
            box = Box(round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))
        except BoxError:
            return
        self.box_drawn.emit(self.frame, box)

    def _on_band_drawn(self, rect: QtCore.QRectF) -> None:
        self.commit_drawn_rect(rect)

    def clamp(self, box: Box) -> Box | None:
        """``box`` clipped to the frame; None when too little of it is inside."""
        if self._size is None:
            return box
        w, h = self._size
        x0, y0 = max(0.0, box.x), max(0.0, box.y)
        x1, y1 = min(float(w), box.x + box.w), min(float(h), box.y + box.h)
        if x1 - x0 < 1.0 or y1 - y0 < 1.0:
            return None
        if (x0, y0, x1, y1) == (box.x, box.y, box.x + box.w, box.y + box.h):
            return box
        return Box(round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2))

    def restore_box(self, track_id: int) -> None:
        """Put a box the user dragged back where it is stored (the edit was refused)."""
        item = self._items.get(track_id)
        if item is not None and item.display is not None:
            shown, item.display = item.display, None
            item.show_display(shown)
            self.layout_labels()

    def _on_item_edited(self, track_id: int, box: Box) -> None:
        if self.frame is None:
            return
        clamped = self.clamp(box)
        item = self._items.get(track_id)
        if clamped is None or (item is not None and item.display is not None and clamped == item.display.box):
            self.restore_box(track_id)
            return
        self.box_edited.emit(self.frame, track_id, clamped)

    def map_image_to_widget(self, x: float, y: float) -> QtCore.QPoint:
        """Widget pixel position of an image point (tests drive the mouse with it)."""
        scene = self.vb.mapViewToScene(QtCore.QPointF(x, y))
        return self.mapFromScene(scene)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        # pyqtgraph's GraphicsView would eat arrow keys; leave them to the window's shortcuts.
        ev.ignore()
