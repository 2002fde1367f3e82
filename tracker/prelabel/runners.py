"""Where the videos of a batch run. Each runner takes the jobs and the settings and yields one
``VideoResult`` per video as it finishes (in finishing order); the work itself is always
``job.run_video``, so every runner writes the same files.

- ``run_inline``: one after another in this process;
- ``run_pool``: a local pool of ``workers`` processes (spawned, so no torch state is forked);
- ``run_ray``: one Ray task per video, on a local Ray started for the batch (``address`` None: as
  many workers as ``workers``) or on an existing cluster (``address``, e.g. ``ray://head:10001`` or
  ``auto``). A task asks for one CPU and, when the cluster has GPUs, ``gpus_per_task`` GPUs (default
  1), so Ray places it on a GPU and the engine's ``auto`` device uses it. On a cluster the videos,
  keyframe files and output folder must be at the same paths on every node (a shared file system);
  this project's code and bundled weights travel with the job (Ray's ``working_dir``), its
  dependencies (torch, OpenCV, ...) must be installed on the nodes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

from .batch import BatchError
from .job import PrelabelSettings, VideoResult, run_video
from .manifest import VideoJob

__all__ = ["RUNNERS", "ray_available", "run_inline", "run_pool", "run_ray"]

RUNNERS = ("inline", "pool", "ray")
REPO = Path(__file__).resolve().parents[2]
# what a cluster's workers need of the repository: the packages and the bundled weights
_NOT_SHIPPED = [".git", ".venv", "tests", "bench", "scripts", "resources/screenshots", "resources/sample", "runs",
                "out", "eval-results", "__pycache__"]


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


def _unreachable(address: str, timeout_s: float = 10.0) -> str | None:
    """Why nothing answers at a ``[ray://]host:port`` address, or None (also for ``auto`` and other
    forms Ray resolves itself). Ray retries an unreachable address for many minutes; this says so at once."""
    import socket

    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as e:
        return e.strerror or str(e) or type(e).__name__
    return None


def _task_gpus(ray, gpus_per_task: float | None) -> float:
    if gpus_per_task is not None:
        return gpus_per_task
    return 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0


def run_ray(jobs: Sequence[VideoJob], settings: PrelabelSettings, workers: int | None = None,
            address: str | None = None, gpus_per_task: float | None = None) -> Iterator[VideoResult]:
    """See the module docstring. ``address`` None also reads ``RAY_ADDRESS``; a Ray this function
    started (or connected to) is shut down when the batch ends. Raises BatchError (when the first
    result is asked for) for a cluster it cannot connect to."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    started = not ray.is_initialized()
    if started:
        if address is None:
            ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        else:
            problem = _unreachable(address)
            if problem is not None:
                raise BatchError(f"cannot connect to the Ray cluster at {address}: {problem}")
            try:
                ray.init(address=address, log_to_driver=False, configure_logging=False,
                         runtime_env={"working_dir": str(REPO), "excludes": _NOT_SHIPPED})
            except Exception as e:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, AuthenticationError
                last = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
                raise BatchError(f"cannot connect to the Ray cluster at {address}: {last}") from None
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
