"""The review queue in the window: ranks the tracked frames (app.core.review_queue), lists them in the
review panel, steps through them with N, and runs the forward/backward check (app.core.fb_check).

A check runs on the tracking controller like any run, one object at a time, but its boxes are
kept here (``backward``), never written to the project. The engine's resting memory is saved
before the check and put back after it, so a run continued afterwards resumes where it would
have without the check.
"""
from __future__ import annotations

from typing import Callable

from PySide6 import QtCore, QtGui

from tracker.types import Box

from ..core.fb_check import plan_backward_check
from ..core.review_queue import ReviewItem, ReviewThresholds, collect_signals, next_item, rank
from ..core.session import Feedback, Session
from ..core.tracking_job import FrameOutcome, PlanError, StopReason
from ..engine_service import EngineService
from ..views.review_panel import ReviewPanel

__all__ = ["ReviewController"]


class ReviewController:
    def __init__(self, session: Session, panel: ReviewPanel, actions: dict[str, QtGui.QAction],
                 feedback: Feedback, engine: EngineService, on_shown: Callable[[], None]):
        self.session, self.feedback, self.engine = session, feedback, engine
        self.panel = panel
        self._on_shown = on_shown
        self.backward: dict[int, dict[int, Box]] = {}  # per object: boxes of the last backward check
        self.queue: list[ReviewItem] = []
        self.stale = False  # the project changed while the panel was hidden: re-rank before use
        self.current: tuple[int, int] | None = None  # (track id, frame) last shown from the queue
        self._jobs: list = []
        self._saved = None  # the engine's resting state, put back after a check
        self.checking = False
        a = actions
        a["next_suspicious"].triggered.connect(self.next)
        a["fb_check"].triggered.connect(self.check)
        panel.add_action_buttons([a["next_suspicious"], a["fb_check"]])
        panel.item_activated.connect(self.show_item)
        engine.frame_tracked.connect(self._on_frame_tracked)
        engine.run_finished.connect(self._on_run_finished)
        session.document_changed.connect(self.reset)

    def reset(self) -> None:
        self.backward.clear()
        self.queue = []
        self.current = None
        self.refresh()

    def thresholds(self) -> ReviewThresholds:
        return ReviewThresholds(confidence=self.session.settings.confidence_threshold)

    # ------------------------------------------------------------------ the queue
    def refresh(self) -> None:
        """Re-rank from the project, the diagnostics and the backward boxes."""
        self.stale = False
        store = self.session.store
        if store is None:
            self.queue = []
            self.panel.set_items([], "No video open.", {})
            return
        signals = collect_signals(store.project, self.session.diagnostics, self.backward)
        t = self.thresholds()
        self.queue = rank(signals, t)
        checked = sum(1 for s in signals if s.fb_iou is not None)
        summary = (f"{len(self.queue)} of {len(signals)} tracked frames flagged. Thresholds: confidence "
                   f"< {t.confidence:.2f}, box jump > {t.jump:.1f} box sizes, attention spread "
                   f"> {t.entropy:.2f} (and {t.entropy_margin:.2f} over the object's median), "
                   f"forward/backward IoU < {t.fb_iou:.2f} ({checked} frames checked).")
        labels = {tid: f"#{tid} {o.label}" for tid, o in store.project.objects.items()}
        self.panel.set_items(self.queue, summary, labels)
        self.panel.highlight(self.current)

    def next(self) -> None:
        """Show the next frame of the queue (N)."""
        if self.stale and not self.checking and not self.session.tracking:
            self.refresh()
        if self.session.store is None:
            return
        self.refresh()
        item = next_item(self.queue, self.current)
        if item is None:
            self.feedback.status("The review queue is empty: no tracked frame is flagged.")
            return
        self.show_item(item.track_id, item.frame)

    def show_item(self, track_id: int, frame: int) -> None:
        self.current = (track_id, frame)
        self.session.set_selection([track_id])
        self.session.request_seek(frame, stop_playback=True)
        self.panel.highlight(self.current)
        for item in self.queue:
            if (item.track_id, item.frame) == self.current:
                rank_no = self.queue.index(item) + 1
                self.feedback.status(f"Review {rank_no}/{len(self.queue)}: #{track_id} on frame {frame}: "
                                    + "; ".join(item.reasons))
                break
        self._on_shown()

    # ------------------------------------------------------------------ forward/backward check
    def check(self) -> None:
        """Track the selected objects (all when none is selected) backward and compare."""
        w = self.session
        if w.store is None:
            return
        if self.engine.run_pending:
            self.feedback.status("A tracking run is in progress (Esc cancels it).")
            return
        tids = list(w.selected) or sorted(w.store.project.objects)
        jobs, problems = [], []
        for tid in tids:
            try:
                jobs.append(plan_backward_check(w.store.project, tid, video_path=str(w.doc.video_path),
                                                frame_count=w.frame_count, memory_edits=w.store.memory_edits))
            except PlanError as e:
                problems.append(str(e))
        if not jobs:
            self.feedback.status("Cannot check: " + ("; ".join(problems) or "nothing to check"))
            return
        self._jobs = jobs
        self._saved = None
        self.checking = True
        self.engine.save_resting(self._on_saved)  # on the engine's thread, before the check runs

    def _on_saved(self, saved) -> None:
        self._saved = saved
        self._start_next()

    def _start_next(self) -> None:
        if not self._jobs:
            self._finish()
            return
        job = self._jobs.pop(0)
        for tid in job.track_ids:
            self.backward[tid] = {}
        # a check always starts afresh on its keyframe, never from a resting memory
        if not self.engine.start(job, fresh=True):  # another run was started meanwhile
            self._jobs = []
            self._finish()

    def _on_frame_tracked(self, outcome: FrameOutcome) -> None:
        job = self.engine.job
        if job is None or job.record:
            return
        for tid, result in outcome.results.items():
            self.backward.setdefault(tid, {})[outcome.frame] = result.box
        for tid in outcome.reseeded:
            self.backward.setdefault(tid, {}).pop(outcome.frame, None)

    def _on_run_finished(self, reason: str, _error: str) -> None:
        if not self.checking:
            return
        if reason != StopReason.COMPLETED.value:
            self._jobs = []
        QtCore.QTimer.singleShot(0, self._start_next if self._jobs else self._finish)

    def _finish(self) -> None:
        """Put the engine's resting memory back (queued after the check's runs), then report."""
        saved, self._saved = self._saved, None
        if saved is not None:
            self.engine.restore_resting(saved, lambda _state: self._report())
        else:
            self._report()

    def _report(self) -> None:
        self.checking = False
        self.refresh()
        t = self.thresholds()
        compared = disagree = 0
        for signal in collect_signals(self.session.store.project, self.session.diagnostics, self.backward):
            if signal.fb_iou is not None:
                compared += 1
                disagree += signal.fb_iou < t.fb_iou
        self.feedback.status(f"Forward/backward check: {compared} frames compared, {disagree} disagree "
                            f"(IoU < {t.fb_iou:.2f}); they are in the review queue.", 10000)
        self._on_shown()
