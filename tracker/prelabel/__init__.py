"""Pre-labelling a video collection in batch: for each video of a manifest, import its keyframes,
propagate every object with the engine and write a project file plus exports (``main.py prelabel``).

- ``manifest``: the CSV / JSON-lines list of videos and their keyframe files;
- ``propagate``: the engine run over one project (correction strategy, two-sided fill);
- ``job``: one video as a function of its inputs, published atomically with a done-marker;
- ``runners``: in this process, on a local process pool, or on Ray (local or a cluster);
- ``batch``: what is left to do (``--resume``), the run and its summary files.

Qt-free; torch and Ray load only when a video is run.
"""
from __future__ import annotations

from .batch import BatchError, BatchSummary, plan_batch, run_batch, write_summary
from .job import EXPORT_NAMES, PrelabelSettings, VideoResult, finished_result, run_video, weights_digest
from .manifest import ManifestError, VideoJob, read_manifest
from .propagate import PropagationSettings
from .runners import RUNNERS, ray_available, run_inline, run_pool, run_ray

__all__ = [
    "BatchError", "BatchSummary", "EXPORT_NAMES", "ManifestError", "PrelabelSettings", "PropagationSettings",
    "RUNNERS", "VideoJob", "VideoResult", "finished_result", "plan_batch", "ray_available", "read_manifest",
    "run_batch", "run_inline", "run_pool", "run_ray", "run_video", "weights_digest", "write_summary",
]
