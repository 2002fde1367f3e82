"""Open the window on a project (or the bundled sample) at a given size for screenshots, with
settings and recovery files in a temporary folder (run under ../shared/tools/xshot):

    XSHOT_SIZE=1366x768 ../shared/tools/xshot /tmp/w1366.png 30 \
        .venv/bin/python scripts/window_screenshot.py PROJECT --size 1366x768 --frame 40 --crowd

--crowd adds objects close to the existing ones on the shown frame (labels that would overlap,
a long object list), hides one and locks one; --select N selects object N; --picker TEXT opens
the label picker of a new object (Edit > New object) and types TEXT into it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(REPO / "resources" / "sample" / "sample.mp4"))
    parser.add_argument("--size", default="", help="window size WxH (default: as the window chooses)")
    parser.add_argument("--frame", type=int, default=0)
    parser.add_argument("--select", type=int, default=1)
    parser.add_argument("--crowd", action="store_true")
    parser.add_argument("--picker", default=None)
    args = parser.parse_args()

    from PySide6 import QtCore, QtWidgets

    from app.application import apply_style, create_window
    from app.core import edits
    from tracker.types import Box

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    apply_style(app)
    tmp = Path(tempfile.mkdtemp(prefix="shot-"))
    w = create_window(str(tmp / "settings.ini"), tmp / "recovery")
    if args.size:
        width, height = (int(v) for v in args.size.lower().split("x"))
        w.resize(width, height)
    w.show()
    if not w.files.open_path(Path(args.path)):
        return 1

    def arrange() -> None:
        if w.displayed_frame != args.frame:
            w.seek(args.frame)
            QtCore.QTimer.singleShot(200, arrange)
            return
        if args.crowd:
            project = w.store.project
            base = [e.box for o in project.objects.values() for f, e in o.entries.items()
                    if f == args.frame and e.box is not None]
            labels = list(project.labels) + ["person", "bicycle"]
            w.edits.run_built(lambda: edits.set_labels(project, labels))
            for k in range(10):
                b = base[k % len(base)] if base else Box(100, 100, 60, 60)
                dx, dy = (k % 3) * 9 + 6, (k // 3) * 7 + 5
                command, tid = edits.add_object(project, labels[k % len(labels)], args.frame,
                                                Box(b.x + dx, b.y + dy, b.w * 0.8, b.h * 0.8))
                w.session.run_edit(command, w.edits.feedback)
            ids = sorted(project.objects)
            w.edits.set_flag([ids[-1]], "hidden", True)
            w.edits.set_flag([ids[2]], "locked", True)
        w.set_selection([args.select] if args.select in w.store.project.objects else [])
        w.refresh()
        if args.picker is not None:
            QtCore.QTimer.singleShot(1500, type_into_picker)
            QtCore.QTimer.singleShot(1000, w.actions["new_object"].trigger)

    def type_into_picker() -> None:
        from PySide6 import QtTest

        picker = QtWidgets.QApplication.activeModalWidget()
        if picker is not None and hasattr(picker, "edit"):
            QtTest.QTest.keyClicks(picker.edit, args.picker)

    QtCore.QTimer.singleShot(500, arrange)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
