"""Tracking from the window: plans a run from the current frame and the options, starts it on
the engine service, applies each tracked frame to the store on the GUI thread (never over a user
keyframe) and closes the run as one undo step. Also: re-track from here (showing which boxes
moved), interpolation between keyframes, auto-pause on low confidence.
"""
from __future__ import annotations

import time

from PySide6 import QtCore, QtGui, QtWidgets

from tracker.project import Provenance
from tracker.types import BoxError

from ..core import edits
from ..core.session import Feedback, Session
from ..core.store import Command, StoreError
from ..core.tracking_job import Direction, FrameOutcome, PlanError, RangeMode, StopReason, TrackingJob, plan_job
from ..engine_service import EngineService
from ..views.track_panel import TrackPanel

__all__ = ["TrackController", "KEEP_EARLIER", "OVERWRITE_EARLIER"]

KEEP_EARLIER = "Fill only the frames without tracked boxes (keep the earlier results)"
OVERWRITE_EARLIER = "Overwrite the earlier results"

FOLLOW_INTERVAL_MS = 33  # follow a run on screen at most ~30 times a second
PROGRESS_INTERVAL_S = 0.2  # progress and speed at ~5 Hz (their cost is small but the event loop's is not)


class TrackController(QtCore.QObject):
    def __init__(self, session: Session, panel: TrackPanel, status_speed: QtWidgets.QLabel,
                 actions: dict[str, QtGui.QAction], feedback: Feedback, engine: EngineService,
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.session, self.panel, self.status_speed = session, panel, status_speed
        self.actions, self.feedback, self.engine = actions, feedback, engine
        self._record_moves = False
        self._follow_frame: int | None = None
        self._done = 0
        self._last_frame: int | None = None
        self._last_progress = 0.0
        self._pause: tuple[int, tuple[int, ...]] | None = None
        self._run_command: Command | None = None  # the last run's undo step, while its messages are shown
        self._keep: dict[int, frozenset[int]] = {}  # per object, tracked frames this run must not overwrite
        self._follow_timer = QtCore.QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.setInterval(FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self._follow)
        a = actions
        a["track_forward"].triggered.connect(lambda: self.track(Direction.FORWARD))
        a["track_backward"].triggered.connect(lambda: self.track(Direction.BACKWARD))
        a["retrack"].triggered.connect(self.retrack)
        a["interpolate"].triggered.connect(self.interpolate)
        a["cancel"].triggered.connect(self.cancel)
        a["follow"].setChecked(session.settings.follow)
        a["follow"].toggled.connect(lambda on: session.update_settings(follow=on))
        panel.load(session.settings.to_mapping())
        panel.options_changed.connect(lambda o: session.update_settings(**o))
        engine.run_started.connect(self._on_run_started)
        engine.frame_tracked.connect(self._on_frame_tracked)
        engine.run_finished.connect(self._on_run_finished)
        session.document_changed.connect(self.reset)
        session.history_changed.connect(self._on_history)
        session.settings_changed.connect(self._on_settings_changed)
        a["cancel"].setEnabled(False)

    def reset(self) -> None:
        """Another video: nothing said about the previous one's runs stays on screen."""
        self._pause = None
        self._run_command = None
        self.panel.set_message("")
        self.panel.set_progress(0, 1, "idle")
        self.feedback.status("")

    def _on_history(self) -> None:
        """The last run was undone: its messages (pause, frames tracked) no longer hold."""
        store = self.session.store
        if self._run_command is not None and store is not None and not store.holds(self._run_command):
            self._run_command = None
            self.panel.set_message("")
            self.panel.set_progress(0, 1, "idle")
            self.feedback.status("")

    def _on_settings_changed(self, changes: dict) -> None:
        if "follow" not in changes:
            return
        if self.actions["follow"].isChecked() != changes["follow"]:
            self.actions["follow"].setChecked(changes["follow"])
        self.panel.follow.blockSignals(True)
        self.panel.follow.setChecked(changes["follow"])
        self.panel.follow.blockSignals(False)

    # ------------------------------------------------------------------ queries for the views
    def moved_from(self, track_id: int, frame: int):
        return self.session.moved_from(track_id, frame)

    def moved_frames(self, track_id: int) -> list[int]:
        return self.session.moved_frames(track_id)

    # ------------------------------------------------------------------ starting runs
    def _track_ids(self, scope: str) -> list[int]:
        """The objects a run tracks; locked objects never (their boxes are not to change)."""
        project = self.session.store.project
        if scope == "all":
            ids = sorted(project.objects)
        elif self.session.selected:
            ids = list(self.session.selected)
        else:
            ids = sorted(project.objects) if len(project.objects) == 1 else []
        locked = [t for t in ids if t in project.objects and project.objects[t].locked]
        if locked:
            names = ", ".join(f"#{t}" for t in locked)
            self.feedback.status(f"{names} locked: not tracked (unlock to track).")
        self._all_locked = bool(locked) and len(locked) == len(ids)
        return [t for t in ids if t not in locked]

    def track(self, direction: Direction, mode: RangeMode | None = None, scope: str | None = None,
              text: str | None = None, record_moves: bool = False) -> TrackingJob | None:
        """Plan and start a run from the displayed frame; returns the job, or None with a message."""
        w = self.session
        if w.store is None or w.displayed_frame is None:
            return None
        if self.engine.run_pending:
            self.feedback.status("A tracking run is still in progress (Esc cancels it).")
            return None
        s = w.settings
        mode = mode or RangeMode(s.track_range)
        word = "forward" if direction is Direction.FORWARD else "backward"
        track_ids = self._track_ids(scope or s.track_scope)
        if self._all_locked:
            return None  # the status bar says they are locked
        try:
            job = plan_job(w.store.project, video_path=str(w.doc.video_path), frame_count=w.frame_count,
                           start=w.displayed_frame, direction=direction,
                           track_ids=track_ids, mode=mode,
                           n_frames=s.track_frames, pause_below=s.confidence_threshold if s.auto_pause else None,
                           text=text or f"Track {word}", memory_edits=w.store.memory_edits,
                           correction_strategy=s.correction_strategy, two_sided=s.two_sided_fill,
                           pause_jump_above=s.jump_limit if s.auto_pause and s.jump_limit > 0 else None)
            for t in job.targets:
                t.start_box.check_inside(w.doc.project.video.width or 10**9, w.doc.project.video.height or 10**9)
        except (PlanError, BoxError) as e:
            self.feedback.status(f"Cannot track: {e}")
            self.panel.set_message(f"Cannot track: {e}")
            return None
        keep = {} if record_moves or mode is not RangeMode.TO_NEXT_KEYFRAME else self._earlier_results(job)
        if keep:
            n = sum(len(f) for f in keep.values())
            answer = self.feedback.prompts.choose(
                "Track to the next keyframe",
                f"{n} frame(s) up to the next keyframe already hold tracked boxes (an earlier run, for example "
                "one tracked backward from that keyframe). What should this run do with them?",
                [KEEP_EARLIER, OVERWRITE_EARLIER])
            if answer is None:
                self.feedback.status("Tracking not started.")
                return None
            if answer != KEEP_EARLIER:
                keep = {}
        self._keep = keep
        self._record_moves = record_moves
        if record_moves:
            for tid in job.track_ids:
                w.moved.pop(tid, None)
        w.store.begin_batch(job.text)
        if not self.engine.start(job):
            w.store.end_batch()
            return None
        return job

    def _earlier_results(self, job: TrackingJob) -> dict[int, frozenset[int]]:
        """Per target, the frames of the run's range that already hold tracker results."""
        project, d = self.session.store.project, int(job.direction)
        found = {}
        for t in job.targets:
            frames = frozenset(f for f, e in project.objects[t.track_id].entries.items()
                               if e.provenance is Provenance.TRACKED and t.covers(f, job.start, d))
            if frames:
                found[t.track_id] = frames
        return found

    def retrack(self) -> TrackingJob | None:
        """Recompute the selected objects from here up to their next keyframe; mark moved boxes."""
        return self.track(Direction.FORWARD, RangeMode.TO_NEXT_KEYFRAME, "selected", "Re-track from here",
                          record_moves=True)

    def cancel(self) -> None:
        self.engine.cancel()

    def interpolate(self) -> None:
        """Linear boxes between the keyframes before and after the displayed frame."""
        w = self.session
        frame = w.displayed_frame
        if w.store is None or frame is None or not w.selected:
            self.feedback.status("Select an object to interpolate.")
            return
        locked = [t for t in w.selected if w.store.project.objects[t].locked]
        if locked:
            names = ", ".join(f"#{t}" for t in locked)
            self.feedback.status(f"{names} locked: cannot interpolate its boxes.")
            return
        commands = []
        for tid in w.selected:
            keys = [f for f in w.store.project.objects[tid].keyframes()
                    if w.store.project.objects[tid].entries[f].box is not None]
            before = [f for f in keys if f <= frame]
            after = [f for f in keys if f > frame]
            if not before or not after:
                self.feedback.status(f"#{tid} needs a keyframe at or before frame {frame} and one after it.")
                return
            try:
                commands.append(edits.interpolate(w.store.project, tid, before[-1], after[0]))
            except StoreError as e:
                self.feedback.status(str(e))
                return
        w.run_edit(Command(f"Interpolate on frame {frame}", tuple(c for cmd in commands for c in cmd.changes)),
                   self.feedback)

    # ------------------------------------------------------------------ controller signals
    def _on_run_started(self, job: TrackingJob) -> None:
        self._done, self._last_frame, self._pause = 0, None, None
        self._last_progress = time.monotonic()
        self.actions["cancel"].setEnabled(True)
        self.session.set_tracking(True)
        self.panel.set_message("")
        self.panel.set_progress(0, job.total, f"{job.text}: starting\u2026")
        self.status_speed.setText("Tracking: starting\u2026")
        self.session.request_refresh()

    def _on_frame_tracked(self, outcome: FrameOutcome) -> None:
        w = self.session
        job = self.engine.job
        if job is not None and not job.record:  # a check run: progress only, its boxes are not kept
            self._done += 1
            self._last_frame = outcome.frame
            self._show_progress()
            return
        project = w.store.project
        if job is not None:
            for tid, record in outcome.start_memory.items():  # the memory after re-seeding on the start keyframe
                w.diagnostics.put_slots(tid, job.start, record)
        for tid, record in outcome.memory.items():
            w.diagnostics.put_slots(tid, outcome.frame, record)
        changes = []
        for tid, result in outcome.results.items():
            if tid not in project.objects:
                continue  # deleted meanwhile (cannot happen while edits are refused; be safe)
            if outcome.frame in self._keep.get(tid, ()):
                continue  # the user chose to keep the earlier run's box here
            change = edits.tracked_change(project, tid, outcome.frame, result)
            if change is None:
                if not project.objects[tid].entries[outcome.frame].is_keyframe:
                    w.diagnostics.put(tid, outcome.frame, result.diagnostics)  # same box again
                continue
            if (self._record_moves and change.before is not None and change.before.box is not None
                    and change.before.box.iou(result.box) < w.settings.moved_iou):
                w.moved.setdefault(tid, {})[outcome.frame] = change.before.box
            changes.append(change)
            w.diagnostics.put(tid, outcome.frame, result.diagnostics)
        w.store.apply_in_batch(changes)
        w.loader.put(outcome.frame, outcome.image)
        self._done += 1
        self._last_frame = outcome.frame
        if outcome.low_confidence:
            self._pause = (outcome.frame, outcome.low_confidence, dict(outcome.pause_reasons))
        self._show_progress()
        if w.settings.follow:
            # the seek and the views' refresh happen together in `_follow`, in one event-loop pass,
            # so each view repaints once per followed frame
            self._follow_frame = outcome.frame
            if not self._follow_timer.isActive():
                self._follow_timer.start()
        else:
            w.request_refresh(timeline=True)  # the views repaint there, at most ~30 times a second

    def _follow(self) -> None:
        """Show the last tracked frame (at most ~30 times a second while a run streams)."""
        if self._follow_frame is not None:
            frame, self._follow_frame = self._follow_frame, None
            self.session.request_seek(frame)
        self.session.request_refresh(timeline=True, now=True)

    def _show_progress(self) -> None:
        """Progress and speed, at most ~5 times a second while a run streams."""
        c, now = self.engine, time.monotonic()
        if c.running and c.job is not None and self._last_frame is not None \
                and now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.status_speed.setText(f"Tracking: {c.fps:.1f} fps")
            self.panel.set_progress(self._done, c.job.total, f"frame {self._last_frame}  ({self._done}/{c.job.total})")

    def _on_run_finished(self, reason: str, error: str) -> None:
        w = self.session
        command = w.store.end_batch() if w.store is not None else None
        self._keep = {}
        self.actions["cancel"].setEnabled(False)
        w.set_tracking(False)
        fps = self.engine.fps
        self.status_speed.setText(f"Tracking: idle (last run {fps:.1f} fps)" if fps else "Tracking: idle")
        frames = self._done
        moved = sum(len(v) for v in w.moved.values()) if self._record_moves else 0
        checked = self.engine.job is not None and not self.engine.job.record
        text = {StopReason.COMPLETED.value: f"{'Checked' if checked else 'Tracked'} {frames} frames",
                StopReason.CANCELLED.value: f"Cancelled after {frames} frames (kept; Ctrl+Z undoes them)",
                StopReason.PAUSED.value: f"Paused after {frames} frames",
                "failed": "Tracking failed"}.get(reason, reason)
        if self._record_moves and reason != "failed":
            text += f"; {moved} boxes moved (orange marks)"
        self.panel.set_progress(frames, max(frames, 1), text)
        self._follow_timer.stop()
        if self._follow_frame is not None:  # show the last tracked frame now, not after a later key
            frame, self._follow_frame = self._follow_frame, None
            w.request_seek(frame)
        if reason == StopReason.PAUSED.value and self._pause is not None:
            frame, tids, reasons = self._pause
            why = "; ".join(f"#{t}: {reasons[t]}" if t in reasons else f"#{t}" for t in tids)
            message = f"Paused on frame {frame} ({why}). Correct the box if needed, then press T."
            self.panel.set_message(message)
            self.feedback.status(message, 15000)
            w.set_selection(list(tids))
            w.request_seek(frame)
        else:
            self.feedback.status(text)
        if reason == "failed":
            self.feedback.prompts.error("Tracking failed", "The tracker stopped with an error. The frames "
                                        "tracked before it are kept (Ctrl+Z undoes them).", error)
        self._run_command = command
        w.request_refresh(timeline=True)
