"""Benchmark evaluation: datasets on disk, OPE metrics, OpenCV baselines, the runner and its output files.

Qt-free; the success and precision plots are drawn by ``app.plots``.
"""
from .baselines import BASELINES, OpenCVTracker, TrackerUnavailable, make_baseline
from .datasets import FORMATS, DatasetError, Sequence, detect_format, load_dataset, parse_groundtruth
from .metrics import SequenceMetrics, mean_metrics, sequence_metrics
from .results import format_table, results_json, write_results_json, write_sequence_files
from .runner import RESTART_DELAY, Evaluation, SequenceResult, TrackerRun, evaluate, run_sequence

__all__ = [
    "BASELINES",
    "FORMATS",
    "RESTART_DELAY",
    "DatasetError",
    "Evaluation",
    "OpenCVTracker",
    "Sequence",
    "SequenceMetrics",
    "SequenceResult",
    "TrackerRun",
    "TrackerUnavailable",
    "detect_format",
    "evaluate",
    "format_table",
    "load_dataset",
    "make_baseline",
    "mean_metrics",
    "parse_groundtruth",
    "results_json",
    "run_sequence",
    "sequence_metrics",
    "write_results_json",
    "write_sequence_files",
]
