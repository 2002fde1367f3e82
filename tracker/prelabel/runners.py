"""Where the videos of a batch run. Each runner takes the jobs and the settings and yields one
``VideoResult`` per video as it finishes (in finishing order); the work itself is always
``job.run_video``, so every runner writes the same files.

- ``run_inline``: one after another in this process;
- ``run_pool``: a local pool of ``workers`` processes (spawned, so no torch state is forked);
- ``run_ray``: one Ray task per video, on a local Ray started for the batch (``address`` None: as
  many workers as ``workers``) or on an existing cluster (``address``, e.g. ``ray://head:10001`` or
  ``auto``). A task asks for one CPU and, when the cluster has GPUs, ``gpus_per_task`` GPUs (default
  1), so Ray places it on a GPU and the engine's ``auto`` device uses it. On a cluster the videos,
  keyframe files and output folder must be at the same paths on every node (a shared file system), and
  every node needs this project and its dependencies installed.
"""
from __future__ import annotations

import os
from typing import Iterator, Sequence

from .job import PrelabelSettings, VideoResult, run_video
from .manifest import VideoJob

__all__ = ["RUNNERS", "ray_available", "run_inline", "run_pool", "run_ray"]

RUNNERS = ("inline", "pool", "ray")


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def run_inline(jobs: Sequence[VideoJob], settings: PrelabelSettings) -> Iterator[VideoResult]:
    for job in jobs:
        yield run_video(job, settings)


def run_pool(jobs: Sequence[VideoJob], settings: PrelabelSettings, workers: int) -> Iterator[VideoResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if workers <= 1:
        yield from run_inline(jobs, settings)
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)) or 1,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(run_video, job, settings): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                yield future.result()
            except Exception as e:  # noqa: BLE001 - a worker that died (out of memory, killed)
                yield VideoResult(job.id, False, problem=f"{job.video or job.keyframes}: the worker process "
                                                        f"failed: {type(e).__name__}: {e}")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _task_gpus(ray, gpus_per_task: float | None) -> float:
    if gpus_per_task is not None:
        return gpus_per_task
    return 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0


def run_ray(jobs: Sequence[VideoJob], settings: PrelabelSettings, workers: int | None = None,
            address: str | None = None, gpus_per_task: float | None = None) -> Iterator[VideoResult]:
    """See the module docstring. ``address`` None also reads ``RAY_ADDRESS``; a Ray this function
    started (or connected to) is shut down when the batch ends."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    pending: dict = {}
    try:
        task = ray.remote(run_video).options(num_cpus=1, num_gpus=_task_gpus(ray, gpus_per_task), max_retries=0)
        settings_ref = ray.put(settings)
        pending = {task.remote(job, settings_ref): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(done[0])
            try:
                yield ray.get(done[0])
            except Exception as e:  # noqa: BLE001 - a task whose worker died
                yield VideoResult(job.id, False, problem=f"{job.video or job.keyframes}: the Ray task failed: "
                                                        f"{type(e).__name__}: {str(e).splitlines()[0]}")
    finally:
        for ref in pending:  # an interrupted batch leaves no work behind on a cluster
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
