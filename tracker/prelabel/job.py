"""One video of a pre-labelling batch, as a function of its inputs: import the keyframes, propagate
every object with the engine (``propagate``), and publish ``OUT/<id>/`` in one rename.

``OUT/<id>/`` holds ``project.json`` (the project file: keyframes plus tracked boxes), one export per
asked format (``EXPORT_NAMES``) and, written last, ``result.json``: the done-marker that ``--resume``
reads. Everything is first written into a private folder beside ``OUT/<id>`` that is renamed into
place when complete, so an interrupted batch leaves either a finished video or none. Nothing in the
folder depends on the time, the process or the machine: two runs with the same inputs and settings
(in one process, a process pool or on Ray) write the same bytes.

``run_video`` never raises for a broken video: the problem comes back in the ``VideoResult``.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..atomic import clean_stale_siblings, recover_interrupted_swap
from .manifest import VideoJob
from .propagate import PropagationSettings

__all__ = ["EXPORT_NAMES", "PrelabelSettings", "RESULT_FILE", "VideoResult", "finished_result", "run_video",
           "weights_digest"]

RESULT_FILE = "result.json"
PROJECT_FILE = "project.json"
#: Export format -> its name inside OUT/<id>/ (folder formats use the format's name).
EXPORT_NAMES = {"coco": "coco.json", "cvat": "cvat.xml", "csv": "boxes.csv", "video": "overlay.mp4"}


@dataclass(frozen=True)
class PrelabelSettings:
    """What every video of a batch is run with. ``weights`` None: the bundled default checkpoint;
    ``weights_id``: a digest of the weights (``weights_digest``), recorded so that ``--resume`` redoes
    videos finished with other weights; ``threads``: torch threads per video."""

    out_dir: Path
    formats: tuple[str, ...] = ()
    weights: str | None = None
    weights_id: str = ""
    device: str = "auto"
    propagation: PropagationSettings = field(default_factory=PropagationSettings)
    threads: int = 1

    def __post_init__(self) -> None:
        if "project" in self.formats:
            raise ValueError(f"the project file is always written ({PROJECT_FILE}); leave 'project' out of the formats")
        if self.threads < 1:
            raise ValueError("threads per video must be at least 1")

    def signature(self) -> dict:
        """What a video's outputs depend on besides its inputs (compared by ``--resume``)."""
        return {"formats": list(self.formats), "weights": self.weights_id,
                "correction_strategy": self.propagation.correction_strategy,
                "two_sided": self.propagation.two_sided}


@dataclass(frozen=True)
class VideoResult:
    """How one video went. ``tracked``: boxes the tracker produced (one object on one frame each);
    ``problem``: why it failed (None when it succeeded); ``worker``: host and process that ran it."""

    id: str
    ok: bool
    tracked: int = 0
    video_frames: int = 0
    seconds: float = 0.0
    problem: str | None = None
    worker: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def weights_digest(weights: str | os.PathLike | None) -> str:
    """A short digest of the checkpoint's bytes (the bundled default when None)."""
    from ..checkpoint import DEFAULT_WEIGHTS

    path = Path(weights) if weights is not None else DEFAULT_WEIGHTS
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def finished_result(job: VideoJob, settings: PrelabelSettings) -> dict | None:
    """The done-marker of ``job`` under ``settings.out_dir`` when it finished with the same inputs and
    settings, else None."""
    marker = settings.out_dir / job.id / RESULT_FILE
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("job") != job.describe() or data.get("settings") != settings.signature():
        return None
    return data


_TRACKERS: dict = {}  # (weights, device) -> MemTracker, kept for the next video of this process


def _tracker(settings: PrelabelSettings):
    from .. import load_tracker

    key = (settings.weights, settings.device)
    if key not in _TRACKERS:
        _TRACKERS.clear()
        _TRACKERS[key] = load_tracker(settings.weights, device=settings.device, diagnostics=False)
    return _TRACKERS[key]


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _export_name(fmt: str) -> str:
    return EXPORT_NAMES.get(fmt, fmt)


def _write(job: VideoJob, settings: PrelabelSettings, project, tracked: int) -> None:
    from ..formats import export_project
    from ..formats.staging import StagedDir
    from ..project import save_project

    target = settings.out_dir / job.id
    recover_interrupted_swap(target)
    clean_stale_siblings(target)
    with StagedDir(target, overwrite=True) as stage:
        save_project(stage.path / PROJECT_FILE, project)
        files = [PROJECT_FILE]
        for fmt in settings.formats:
            written = export_project(project, fmt, stage.path / _export_name(fmt), video_path=project.video_path(),
                                     overwrite=True)
            files += sorted(p.relative_to(stage.path).as_posix() for p in written)
        marker = {"job": job.describe(), "settings": settings.signature(), "video_frames": project.video.frame_count,
                  "objects": len(project.objects), "tracked": tracked, "files": files}
        (stage.path / RESULT_FILE).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        stage.commit()


def _problem(error: BaseException) -> str:
    from ..formats import FormatError
    from ..project import ProjectError
    from ..video import VideoError

    if isinstance(error, (FormatError, ProjectError, VideoError, ValueError)):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.filename or ''}: {error.strerror or error}".lstrip(": ")
    return f"{type(error).__name__}: {error}"


def run_video(job: VideoJob, settings: PrelabelSettings) -> VideoResult:
    """Pre-label one video (module docstring). Returns a failed VideoResult, never raises, for a video,
    keyframe file or box that cannot be used (the message names the file and the problem)."""
    import torch

    from ..formats import import_annotations
    from ..video import open_source

    start = time.perf_counter()
    torch.set_num_threads(settings.threads)
    try:
        project = import_annotations(job.keyframes, job.keyframes_format, job.video)
        from .propagate import propagate_project

        with open_source(project.video_path()) as source:
            project, tracked = propagate_project(_tracker(settings), source, project, settings.propagation)
        _write(job, settings, project, tracked)
    except Exception as e:  # noqa: BLE001 - one broken video must never stop the batch
        problem = _problem(e)
        where = str(job.video or job.keyframes)
        if where not in problem:
            problem = f"{where}: {problem}"
        return VideoResult(job.id, False, seconds=time.perf_counter() - start, problem=problem, worker=_worker())
    return VideoResult(job.id, True, tracked, project.video.frame_count, time.perf_counter() - start,
                       worker=_worker())
