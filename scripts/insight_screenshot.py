"""Open the window on the bundled sample, track the ball with the real engine and show one of the
tracker-insight views, for screenshots (run under ../shared/tools/xshot).

    ../shared/tools/xshot resources/screenshots/memory_panel.png 40 \
        .venv/bin/python scripts/insight_screenshot.py memory

Views: attention (overlay + maps), memory (memory panel), plots (tracker plots), review (queue).
The ball gets keyframes on frames 0, 20 (its ground truth, a correction) and 60; frames 1-59
are tracked in two runs with memory edits (writes frozen over frames 44-47, the initial template
replaced on frame 32, the slot holding frame 20's appearance pinned on frame 25), then checked
backward.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VIEWS = ("attention", "memory", "plots", "review")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("view", choices=VIEWS)
    parser.add_argument("--frame", type=int, default=None, help="frame to show (default: per view)")
    args = parser.parse_args()

    import torch
    from PySide6 import QtCore, QtWidgets

    from app.core import edits
    from app.application import apply_style, create_window
    from app.core.memory_edits import EditKind, MemoryEdit, slot_edit_command
    from tracker import load_tracker
    from tracker.types import Box

    torch.set_num_threads(1)
    app = QtWidgets.QApplication(sys.argv[:1])
    apply_style(app)
    tmp = Path(tempfile.mkdtemp())
    engine = load_tracker(device="cpu")
    w = create_window(str(tmp / "settings.ini"), tmp / "recovery", lambda s: engine, None)
    w.resize(1600, 1000)
    w.show()
    sample = REPO / "resources" / "sample"
    ball = [Box.parse(x) for x in (sample / "sample_groundtruth.txt").read_text().split()]
    car = [Box.parse(x) for x in (sample / "sample_groundtruth_car.txt").read_text().split()]
    steps: list = []

    def then(fn):
        steps.append(fn)

    def advance():
        if steps:
            steps.pop(0)()

    def when_idle(fn):
        def check():
            if w.controller.busy or w.insight.review.checking:
                QtCore.QTimer.singleShot(50, check)
            else:
                fn()
        QtCore.QTimer.singleShot(50, check)

    def open_and_track():
        w.files.open_path(sample / "sample.mp4")
        project = w.store.project
        project.labels[:] = ["ball", "car"]
        w.edits.run(edits.add_object(project, "ball", 0, ball[0])[0])
        if args.view == "review":  # the car too, tracked forward to the end and checked backward
            w.edits.run(edits.add_object(project, "car", 0, car[0])[0])
        w.edits.run(edits.set_keyframe(project, 1, 20, ball[20]))
        w.edits.run(edits.set_keyframe(project, 1, 60, ball[60]))
        w.edits.run(slot_edit_command(w.store.memory_edits, 1, MemoryEdit(EditKind.FREEZE, 44, last=47)))
        w.edits.run(slot_edit_command(w.store.memory_edits, 1, MemoryEdit(EditKind.RETEMPLATE, 32)))
        w.set_selection([1])
        w.seek(0)
        w.update_settings(track_range="frames", track_frames=25, auto_pause=False, follow=False)
        QtCore.QTimer.singleShot(300, lambda: (w.actions["track_forward"].trigger(), when_idle(advance)))

    def pin_and_track_on():
        w.seek(25)
        record = w.diagnostics.slots(1, 25)
        slot = record.sources.index(20) if 20 in record.sources else 1
        w.insight.memory.toggle_pin(1, 25, slot)
        w.update_settings(track_range="next_keyframe")
        QtCore.QTimer.singleShot(300, lambda: (w.actions["track_forward"].trigger(), when_idle(advance)))

    def track_car():
        if args.view != "review":
            advance()
            return
        w.set_selection([2])
        w.seek(0)
        w.update_settings(track_range="frames", track_frames=80)
        QtCore.QTimer.singleShot(300, lambda: (w.actions["track_forward"].trigger(), when_idle(advance)))

    def check():
        w.set_selection([])
        QtCore.QTimer.singleShot(300, lambda: (w.actions["fb_check"].trigger(), when_idle(advance)))

    def show_view():
        frame = args.frame if args.frame is not None else {"attention": 5, "memory": 38, "plots": 38,
                                                            "review": 38}[args.view]
        docks = {"attention": [w.maps_dock, w.objects_dock, w.timeline_dock],
                 "memory": [w.memory_dock, w.objects_dock, w.timeline_dock],
                 "plots": [w.plots_dock, w.maps_dock, w.objects_dock],
                 "review": [w.review_dock, w.maps_dock, w.timeline_dock]}[args.view]
        for dock in docks:
            dock.raise_()
        if args.view == "review":
            w.resizeDocks([w.review_dock], [520], QtCore.Qt.Orientation.Vertical)
        if args.view == "plots":
            w.resizeDocks([w.plots_dock], [470], QtCore.Qt.Orientation.Vertical)
        if args.view == "memory":
            w.resizeDocks([w.objects_dock], [470], QtCore.Qt.Orientation.Horizontal)
            w.objects_dock.hide()
            w.review_dock.hide()
        w.actions["attention_overlay"].setChecked(True)
        if args.view == "review":
            w.insight.review.refresh()
            queue = w.insight.review.queue
            if queue:
                w.insight.review.show_item(queue[0].track_id, queue[0].frame)
        else:
            w.seek(frame)
        QtCore.QTimer.singleShot(400, zoom)

    def zoom():
        w.insight.update()
        if args.view == "attention":
            box = w.store.project.objects[1].entries[w.displayed_frame].box
            cx, cy = box.center
            x0 = min(max(0.0, cx - 190), w.source.width - 380)
            w.frame_view.vb.setRange(QtCore.QRectF(x0, cy - 120, 380, 240), padding=0)

    then(pin_and_track_on)
    then(track_car)
    then(check)
    then(show_view)
    QtCore.QTimer.singleShot(200, open_and_track)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
