"""OpenCV trackers as baselines, behind MemTracker's interface: ``initialize(frame_rgb, box)`` and
``track(frame_rgb) -> TrackResult``.

``csrt``, ``kcf`` and ``mil`` need no model; ``nano`` (NanoTrack v2) needs
``nanotrack_backbone_sim.onnx`` and ``nanotrack_head_sim.onnx``; ``vit`` (ViTTrack) needs ``vitTracker.onnx``.
Model files are looked for in ``../shared/models`` beside the repository unless a path is given; a missing
file raises :class:`TrackerUnavailable` so the caller can report it and go on without that tracker.

OpenCV trackers take BGR frames and integer boxes: the wrappers convert. The runner hands them the BGR
frame it already has through ``initialize_bgr`` / ``track_bgr`` so that colour conversion stays out of the
timing. When OpenCV reports the target lost (``update`` returns False or raises), the wrapper keeps the
previous box with score 0, as the OTB toolkit does for a tracker that outputs no box. Each ``initialize``
uses a fresh OpenCV object (KCF cannot be re-initialised in place with another box size, MIL's state
leaks); ``prepare()`` builds it ahead, so loading an ONNX model is not timed as tracking.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..result import TrackResult
from ..types import Box

__all__ = [
    "BASELINES",
    "DEFAULT_MODELS_DIR",
    "OpenCVTracker",
    "TrackerUnavailable",
    "make_baseline",
]

DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "models"
NANO_FILES = ("nanotrack_backbone_sim.onnx", "nanotrack_head_sim.onnx")
VIT_FILE = "vitTracker.onnx"

BASELINES = ("csrt", "kcf", "mil", "nano", "vit")


class TrackerUnavailable(Exception):
    """A tracker that cannot be built here (model file missing, OpenCV without the class)."""


def _quiet_dnn(factory: Callable[[], object]) -> Callable[[], object]:
    """Build an OpenCV DNN tracker with OpenCV's log level at ERROR (OpenCV 5 warns about targets)."""

    def build() -> object:
        log = getattr(getattr(cv2, "utils", None), "logging", None)
        if log is None:
            return factory()
        old = log.getLogLevel()
        log.setLogLevel(log.LOG_LEVEL_ERROR)
        try:
            return factory()
        finally:
            log.setLogLevel(old)

    return build


class OpenCVTracker:
    """One OpenCV single-object tracker with MemTracker's initialize/track interface."""

    def __init__(self, name: str, factory: Callable[[], object], has_score: bool = False):
        self.name = name
        self._factory = factory
        self._has_score = has_score
        self._cv = None  # the OpenCV object tracking now
        self._spare = None  # a fresh one built by prepare()
        self._last: Box | None = None

    def describe(self) -> str:
        return f"OpenCV {self.name} ({cv2.__version__})"

    def prepare(self) -> None:
        """Build the OpenCV object the next ``initialize`` will use (not part of the timed work)."""
        if self._spare is None:
            self._spare = self._factory()

    @staticmethod
    def _int_box(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
        # OpenCV wants integer pixels inside the frame: round the corners, clip, keep at least 1 px.
        x0 = min(max(int(round(box.x)), 0), width - 1)
        y0 = min(max(int(round(box.y)), 0), height - 1)
        x1 = min(max(int(round(box.x + box.w)), x0 + 1), width)
        y1 = min(max(int(round(box.y + box.h)), y0 + 1), height)
        return (x0, y0, x1 - x0, y1 - y0)

    def initialize_bgr(self, frame_bgr: np.ndarray, box: Box, target_id: int = 0) -> None:
        """Start tracking ``box`` (0-based float pixels) on a BGR frame."""
        self.prepare()
        self._cv, self._spare = self._spare, None
        h, w = frame_bgr.shape[:2]
        self._cv.init(frame_bgr, self._int_box(box, w, h))
        self._last = box

    def track_bgr(self, frame_bgr: np.ndarray) -> TrackResult:
        """Track on a BGR frame; keeps the previous box (score 0) when OpenCV loses the target."""
        if self._cv is None or self._last is None:
            raise RuntimeError(f"{self.name}: track() before initialize()")
        try:
            ok, rect = self._cv.update(frame_bgr)
        except cv2.error:
            ok, rect = False, None
        if ok and rect is not None and rect[2] > 0 and rect[3] > 0:
            self._last = Box(float(rect[0]), float(rect[1]), float(rect[2]), float(rect[3]))
            score = float(self._cv.getTrackingScore()) if self._has_score else 1.0
            return TrackResult(self._last, min(max(score, 0.0), 1.0))
        return TrackResult(self._last, 0.0)

    def initialize(self, frame_rgb: np.ndarray, box: Box, target_id: int = 0) -> None:
        """Start tracking ``box`` on an RGB uint8 frame (same interface as MemTracker)."""
        self.initialize_bgr(cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR), box, target_id)

    def track(self, frame_rgb: np.ndarray) -> TrackResult:
        """Track on an RGB uint8 frame (same interface as MemTracker)."""
        return self.track_bgr(cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR))


def _need(path: Path, what: str) -> str:
    if not path.is_file():
        raise TrackerUnavailable(f"{what}: model file {path} not found")
    return str(path)


def make_baseline(
    name: str, nano_dir: str | Path | None = None, vit_model: str | Path | None = None
) -> OpenCVTracker:
    """Build baseline ``name`` (one of BASELINES); TrackerUnavailable when its model is missing."""
    name = name.lower()
    if name in ("csrt", "kcf", "mil"):
        cls = {"csrt": "TrackerCSRT", "kcf": "TrackerKCF", "mil": "TrackerMIL"}[name]
        create = getattr(cv2, f"{cls}_create", None)
        if create is None:
            raise TrackerUnavailable(f"{name}: this OpenCV build has no {cls} (install opencv-contrib)")
        tracker = OpenCVTracker(name.upper(), create)
    elif name == "nano":
        folder = Path(nano_dir) if nano_dir else DEFAULT_MODELS_DIR / "nanotrack_v2"
        backbone = _need(folder / NANO_FILES[0], "nano")
        neckhead = _need(folder / NANO_FILES[1], "nano")

        def nano() -> object:
            params = cv2.TrackerNano_Params()
            params.backbone = backbone
            params.neckhead = neckhead
            return cv2.TrackerNano_create(params)

        tracker = OpenCVTracker("NanoTrack", _quiet_dnn(nano), has_score=True)
    elif name == "vit":
        model = _need(Path(vit_model) if vit_model else DEFAULT_MODELS_DIR / "vittrack" / VIT_FILE, "vit")

        def vit() -> object:
            params = cv2.TrackerVit_Params()
            params.net = model
            return cv2.TrackerVit_create(params)

        tracker = OpenCVTracker("ViTTrack", _quiet_dnn(vit), has_score=True)
    else:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    try:
        tracker.prepare()  # fail now, not halfway through a run, if the model does not load
    except cv2.error as e:
        raise TrackerUnavailable(f"{name}: OpenCV cannot build it: {str(e).strip().splitlines()[-1]}") from e
    return tracker
