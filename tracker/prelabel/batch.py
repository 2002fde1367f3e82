"""A batch: which videos still need work, running them, and the summary files.

``OUT/summary.json`` lists every video of the manifest with its status (``done``, ``skipped``: finished
by an earlier run and left alone by ``--resume``, or ``failed``) and the batch's throughput;
``OUT/failed.json`` lists the failed videos with the file and the problem (an empty list when none
failed). Both are written atomically when the batch ends, also when it is interrupted.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from ..atomic import atomic_write_text
from .job import PrelabelSettings, VideoResult, finished_result
from .manifest import VideoJob

__all__ = ["BatchError", "BatchSummary", "plan_batch", "run_batch", "write_summary"]


class BatchError(Exception):
    """A batch that cannot start; the message says why and what to do."""


@dataclass
class BatchSummary:
    runner: str
    workers: int
    results: list[VideoResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    interrupted: bool = False

    @property
    def failed(self) -> list[VideoResult]:
        return [r for r in self.results if not r.ok]

    @property
    def done(self) -> list[VideoResult]:
        return [r for r in self.results if r.ok]

    @property
    def tracked(self) -> int:
        return sum(r.tracked for r in self.done)

    @property
    def frames_per_second(self) -> float:
        """Tracked boxes per second of wall time (one object on one frame each)."""
        return self.tracked / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def videos_per_hour(self) -> float:
        return 3600.0 * len(self.done) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_json(self, jobs: Sequence[VideoJob]) -> dict:
        by_id = {r.id: r for r in self.results}
        videos = []
        for job in jobs:
            entry = {**job.describe()}
            if job.id in self.skipped:
                entry["status"] = "skipped"
            elif job.id in by_id:
                r = by_id[job.id]
                entry.update({"status": "done" if r.ok else "failed", "tracked": r.tracked,
                              "video_frames": r.video_frames, "seconds": round(r.seconds, 3), "worker": r.worker})
                if not r.ok:
                    entry["problem"] = r.problem
            else:
                entry["status"] = "not run (interrupted)"
            videos.append(entry)
        return {"runner": self.runner, "workers": self.workers, "interrupted": self.interrupted,
                "wall_seconds": round(self.wall_seconds, 3), "done": len(self.done), "failed": len(self.failed),
                "skipped": len(self.skipped), "tracked_boxes": self.tracked,
                "frames_per_second": round(self.frames_per_second, 3),
                "videos_per_hour": round(self.videos_per_hour, 2), "videos": videos}


def plan_batch(jobs: Sequence[VideoJob], settings: PrelabelSettings, resume: bool, force: bool
               ) -> tuple[list[VideoJob], list[str]]:
    """(jobs to run, ids of finished videos to skip). Without ``resume`` or ``force`` an output folder
    that already holds a video's results is an error (a batch never replaces results unasked)."""
    todo, skipped = [], []
    for job in jobs:
        if resume and finished_result(job, settings) is not None:
            skipped.append(job.id)
        else:
            todo.append(job)
    if not resume and not force:
        existing = [job.id for job in todo if (settings.out_dir / job.id).exists()]
        if existing:
            shown = ", ".join(existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise BatchError(f"{settings.out_dir}: already holds results for {shown}; use --resume to skip "
                             "finished videos or --force to redo them")
    return todo, skipped


def run_batch(results: Iterable[VideoResult], summary: BatchSummary,
              on_result: Callable[[VideoResult], None] | None = None) -> BatchSummary:
    """Collect the runner's ``results`` into ``summary`` (timing the batch); an interrupt (Ctrl-C)
    ends the batch with what finished, marked interrupted, and is raised again."""
    start = time.perf_counter()
    try:
        for result in results:
            summary.results.append(result)
            if on_result is not None:
                on_result(result)
    except KeyboardInterrupt:
        summary.interrupted = True
        raise
    finally:
        summary.wall_seconds = time.perf_counter() - start
    return summary


def write_summary(settings: PrelabelSettings, jobs: Sequence[VideoJob], summary: BatchSummary) -> None:
    out = settings.out_dir
    atomic_write_text(out / "summary.json", json.dumps(summary.to_json(jobs), indent=1) + "\n")
    failed = [{"id": r.id, "problem": r.problem} for r in summary.failed]
    atomic_write_text(out / "failed.json", json.dumps(failed, indent=1) + "\n")
