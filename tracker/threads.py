"""How many CPU threads the engine's math libraries (PyTorch, OpenCV) may use, and applying that.

PyTorch sizes its thread pool to the machine's cores. When other processes keep those cores busy,
its threads wait for each other at every parallel region and the tracker slows down many times over
(the ``track`` command fell from about 30 to about 1 frame per second at a load of 5 on a small
machine). ``auto`` therefore chooses:

* the usable cores: ``len(os.sched_getaffinity(0))`` where the OS has it (a container or ``taskset``
  may allow fewer than ``os.cpu_count()``), else ``os.cpu_count()``;
* minus one core for the GUI's own thread when the window runs the tracker (``reserve_gui``);
* at most the cores the rest of the machine leaves idle: usable minus the one-minute load average
  (``os.getloadavg()``, where the OS has it), rounded;
* and at least 1.

A number instead of ``auto`` is used as given. :func:`apply_threads` sets both libraries.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["AUTO", "ThreadChoice", "apply_threads", "choose_threads", "parse_threads", "threads_problem",
           "usable_cores"]

AUTO = "auto"
MAX_THREADS = 1024


@dataclass(frozen=True)
class ThreadChoice:
    """The thread count and what it was chosen from (for a one-line report)."""

    threads: int
    usable_cores: int
    load: float | None  # the one-minute load average when ``auto`` looked at it
    requested: str  # "auto" or the number asked for

    def describe(self) -> str:
        if self.requested != AUTO:
            return f"{_threads(self.threads)} (asked for)"
        load = "unknown" if self.load is None else f"{self.load:.1f}"
        return f"{_threads(self.threads)} (auto: {self.usable_cores} usable cores, load {load})"


def _threads(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except OSError:  # pragma: no cover - a platform that lists the call but refuses it
            pass
    return max(1, os.cpu_count() or 1)


def _load() -> float | None:
    if not hasattr(os, "getloadavg"):
        return None  # pragma: no cover - Windows
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return None


def threads_problem(value: object) -> str | None:
    """Why ``value`` is not a thread setting (``"auto"`` or a whole number from 1), or None."""
    if isinstance(value, bool):
        return "must be 'auto' or a whole number of threads from 1"
    if isinstance(value, int):
        return None if 1 <= value <= MAX_THREADS else f"must be from 1 to {MAX_THREADS}"
    if isinstance(value, str):
        text = value.strip().lower()
        if text == AUTO:
            return None
        if text.isdigit():
            return threads_problem(int(text))
    return "must be 'auto' or a whole number of threads from 1"


def parse_threads(value: object) -> str | int:
    """``"auto"`` or the thread count; ValueError with the reason for anything else."""
    problem = threads_problem(value)
    if problem is not None:
        raise ValueError(f"threads {value!r}: {problem}")
    if isinstance(value, str):
        text = value.strip().lower()
        return AUTO if text == AUTO else int(text)
    return int(value)  # type: ignore[arg-type]


def choose_threads(setting: object = AUTO, *, reserve_gui: bool = False, cores: int | None = None,
                   load: float | None | str = "measure") -> ThreadChoice:
    """The thread count for ``setting`` (``"auto"`` or a number). ``cores`` and ``load`` override
    what the machine reports (tests); ``load=None`` means the load is unknown."""
    value = parse_threads(setting)
    usable = usable_cores() if cores is None else max(1, int(cores))
    if value != AUTO:
        return ThreadChoice(int(value), usable, None, str(value))
    measured = _load() if load == "measure" else load
    threads = usable - (1 if reserve_gui else 0)
    if measured is not None:
        threads = min(threads, usable - int(round(measured)))
    return ThreadChoice(max(1, threads), usable, measured, AUTO)


def apply_threads(setting: object = AUTO, *, reserve_gui: bool = False) -> ThreadChoice:
    """Choose the thread count and give it to PyTorch and OpenCV; returns the choice."""
    import cv2
    import torch

    choice = choose_threads(setting, reserve_gui=reserve_gui)
    torch.set_num_threads(choice.threads)
    cv2.setNumThreads(choice.threads)
    return choice
