"""Tracking from the window: plans a run from the current frame and the options, starts it on
the controller, applies each tracked frame to the store on the GUI thread (never over a user
keyframe) and closes the run as one undo step. Also: re-track from here (showing which boxes
moved), interpolation between keyframes, auto-pause on low confidence.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.types import Box, BoxError

from .core import edits
from .core.store import Command, StoreError
from .core.tracking_job import Direction, FrameOutcome, PlanError, RangeMode, StopReason, TrackingJob, plan_job

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["TrackOps"]


class TrackOps:
    def __init__(self, window: "MainWindow"):
        self.w = window
        self._moved: dict[int, dict[int, Box]] = {}  # boxes before the last re-track, where they moved
        self._record_moves = False
        self._follow_frame: int | None = None
        self._done = 0
        self._last_frame: int | None = None
        self._pause: tuple[int, tuple[int, ...]] | None = None
        a = window.actions
        a["track_forward"].triggered.connect(lambda: self.track(Direction.FORWARD))
        a["track_backward"].triggered.connect(lambda: self.track(Direction.BACKWARD))
        a["retrack"].triggered.connect(self.retrack)
        a["interpolate"].triggered.connect(self.interpolate)
        a["cancel"].triggered.connect(self.cancel)
        window.track_panel.add_action_buttons([[a["track_backward"], a["track_forward"]],
                                               [a["retrack"], a["interpolate"]], [a["cancel"]]])
        c = window.controller
        c.run_started.connect(self._on_run_started)
        c.frame_tracked.connect(self._on_frame_tracked)
        c.run_finished.connect(self._on_run_finished)
        a["cancel"].setEnabled(False)

    def reset(self) -> None:
        self._moved.clear()
        self._pause = None
        self.w.track_panel.set_message("")

    # ------------------------------------------------------------------ queries for the views
    def moved_from(self, track_id: int, frame: int) -> Box | None:
        return self._moved.get(track_id, {}).get(frame)

    def moved_frames(self, track_id: int) -> list[int]:
        return sorted(self._moved.get(track_id, ()))

    # ------------------------------------------------------------------ starting runs
    def _track_ids(self, scope: str) -> list[int]:
        project = self.w.store.project
        if scope == "all":
            return sorted(project.objects)
        if self.w.selected:
            return list(self.w.selected)
        return sorted(project.objects) if len(project.objects) == 1 else []

    def track(self, direction: Direction, mode: RangeMode | None = None, scope: str | None = None,
              text: str | None = None, record_moves: bool = False) -> TrackingJob | None:
        """Plan and start a run from the displayed frame; returns the job, or None with a message."""
        w = self.w
        if w.store is None or w.displayed_frame is None:
            return None
        if w.controller.busy:
            w.show_message("A tracking run is still in progress (Esc cancels it).")
            return None
        s = w.settings
        mode = mode or RangeMode(s.track_range)
        word = "forward" if direction is Direction.FORWARD else "backward"
        try:
            job = plan_job(w.store.project, video_path=str(w.doc.video_path), frame_count=w.frame_count,
                           start=w.displayed_frame, direction=direction,
                           track_ids=self._track_ids(scope or s.track_scope), mode=mode,
                           n_frames=s.track_frames, pause_below=s.confidence_threshold if s.auto_pause else None,
                           text=text or f"Track {word}", memory_edits=w.store.memory_edits,
                           correction_strategy=s.correction_strategy, two_sided=s.two_sided_fill)
            for t in job.targets:
                t.start_box.check_inside(w.doc.project.video.width or 10**9, w.doc.project.video.height or 10**9)
        except (PlanError, BoxError) as e:
            w.show_message(f"Cannot track: {e}")
            w.track_panel.set_message(f"Cannot track: {e}")
            return None
        w.stop_playback()
        self._record_moves = record_moves
        if record_moves:
            for tid in job.track_ids:
                self._moved.pop(tid, None)
        w.store.begin_batch(job.text)
        if not w.controller.start(job):
            w.store.end_batch()
            return None
        return job

    def retrack(self) -> TrackingJob | None:
        """Recompute the selected objects from here up to their next keyframe; mark moved boxes."""
        return self.track(Direction.FORWARD, RangeMode.TO_NEXT_KEYFRAME, "selected", "Re-track from here",
                          record_moves=True)

    def cancel(self) -> None:
        self.w.controller.cancel()

    def interpolate(self) -> None:
        """Linear boxes between the keyframes before and after the displayed frame."""
        w = self.w
        frame = w.displayed_frame
        if w.store is None or frame is None or not w.selected:
            w.show_message("Select an object to interpolate.")
            return
        commands = []
        for tid in w.selected:
            keys = [f for f in w.store.project.objects[tid].keyframes()
                    if w.store.project.objects[tid].entries[f].box is not None]
            before = [f for f in keys if f <= frame]
            after = [f for f in keys if f > frame]
            if not before or not after:
                w.show_message(f"#{tid} needs a keyframe at or before frame {frame} and one after it.")
                return
            try:
                commands.append(edits.interpolate(w.store.project, tid, before[-1], after[0]))
            except StoreError as e:
                w.show_message(str(e))
                return
        w.edits.run(Command(f"Interpolate on frame {frame}", tuple(c for cmd in commands for c in cmd.changes)))

    # ------------------------------------------------------------------ controller signals
    def _on_run_started(self, job: TrackingJob) -> None:
        self._done, self._last_frame, self._pause = 0, None, None
        self.w.actions["cancel"].setEnabled(True)
        self.w.edits.update_actions()
        self.w.track_panel.set_message("")
        self.w.track_panel.set_progress(0, job.total, f"{job.text}: starting\u2026")
        self.w.status_speed.setText("Tracking: starting\u2026")
        self.w.schedule_refresh()

    def _on_frame_tracked(self, outcome: FrameOutcome) -> None:
        w = self.w
        job = w.controller.job
        if job is not None and not job.record:  # a check run: progress only, its boxes are not kept
            self._done += 1
            self._last_frame = outcome.frame
            w.schedule_refresh()
            return
        project = w.store.project
        for tid, record in outcome.memory.items():
            w.diagnostics.put_slots(tid, outcome.frame, record)
        changes = []
        for tid, result in outcome.results.items():
            if tid not in project.objects:
                continue  # deleted meanwhile (cannot happen while edits are refused; be safe)
            change = edits.tracked_change(project, tid, outcome.frame, result)
            if change is None:
                if not project.objects[tid].entries[outcome.frame].is_keyframe:
                    w.diagnostics.put(tid, outcome.frame, result.diagnostics)  # same box again
                continue
            if (self._record_moves and change.before is not None and change.before.box is not None
                    and change.before.box.iou(result.box) < w.settings.moved_iou):
                self._moved.setdefault(tid, {})[outcome.frame] = change.before.box
            changes.append(change)
            w.diagnostics.put(tid, outcome.frame, result.diagnostics)
        w.store.apply_in_batch(changes)
        w.loader.put(outcome.frame, outcome.image)
        self._done += 1
        self._last_frame = outcome.frame
        if outcome.low_confidence:
            self._pause = (outcome.frame, outcome.low_confidence)
        if w.settings.follow:
            self._follow_frame = outcome.frame
        w.schedule_refresh(timeline=True)  # progress and views repaint there, at most ~30 times/s

    def before_refresh(self, heavy: bool) -> None:
        """Called by the window's coalesced refresh: follow the run at most ~30 times a second;
        progress and speed only on the slower ``heavy`` refreshes."""
        if self._follow_frame is not None:
            frame, self._follow_frame = self._follow_frame, None
            self.w.seek(frame)
        c = self.w.controller
        if heavy and c.running and c.job is not None and self._last_frame is not None:
            self.w.status_speed.setText(f"Tracking: {c.fps:.1f} fps")
            self.w.track_panel.set_progress(self._done, c.job.total,
                                            f"frame {self._last_frame}  ({self._done}/{c.job.total})")

    def _on_run_finished(self, reason: str, error: str) -> None:
        w = self.w
        command = w.store.end_batch() if w.store is not None else None
        w.actions["cancel"].setEnabled(False)
        w.edits.update_actions()
        fps = w.controller.fps
        w.status_speed.setText(f"Tracking: idle (last run {fps:.1f} fps)" if fps else "Tracking: idle")
        frames = self._done
        moved = sum(len(v) for v in self._moved.values()) if self._record_moves else 0
        checked = w.controller.job is not None and not w.controller.job.record
        text = {StopReason.COMPLETED.value: f"{'Checked' if checked else 'Tracked'} {frames} frames",
                StopReason.CANCELLED.value: f"Cancelled after {frames} frames (kept; Ctrl+Z undoes them)",
                StopReason.PAUSED.value: f"Paused after {frames} frames",
                "failed": "Tracking failed"}.get(reason, reason)
        if self._record_moves and reason != "failed":
            text += f"; {moved} boxes moved (orange marks)"
        w.track_panel.set_progress(frames, max(frames, 1), text)
        if self._follow_frame is not None:  # show the last tracked frame now, not after a later key
            frame, self._follow_frame = self._follow_frame, None
            w.seek(frame)
        if reason == StopReason.PAUSED.value and self._pause is not None:
            frame, tids = self._pause
            ids = ", ".join(f"#{t}" for t in tids)
            message = (f"Paused on frame {frame}: confidence of {ids} fell below "
                       f"{w.settings.confidence_threshold:.2f}. Correct the box if needed, then press T.")
            w.track_panel.set_message(message)
            w.show_message(message, 15000)
            w.set_selection(list(tids))
            w.seek(frame)
        else:
            w.show_message(text)
        if reason == "failed":
            w.prompts.error("Tracking failed", "The tracker stopped with an error. The frames tracked "
                            "before it are kept (Ctrl+Z undoes them).", error)
        del command
        w.schedule_refresh(timeline=True)
