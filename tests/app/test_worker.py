"""The one Qt worker: a generator's values arrive in order on the GUI thread, its return value
last; cancelling stops it between values and runs its cleanup; errors end it cleanly."""
from __future__ import annotations

import threading

import pytest

from app.worker import Worker

pytestmark = pytest.mark.gui


def run(qtbot, worker: Worker) -> dict:
    seen = {"yielded": [], "returned": [], "errored": []}
    worker.yielded.connect(seen["yielded"].append)
    worker.returned.connect(seen["returned"].append)
    worker.errored.connect(lambda message, details: seen["errored"].append((message, details)))
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    return seen


def test_generator_values_then_return_value(qtbot):
    threads = set()

    def work(ctx):
        for i in range(5):
            threads.add(threading.get_ident())
            yield i
        return "done"

    seen = run(qtbot, Worker(work))
    assert seen == {"yielded": [0, 1, 2, 3, 4], "returned": ["done"], "errored": []}
    assert threading.get_ident() not in threads  # the work ran off the GUI thread


def test_plain_function_reports_progress_and_returns(qtbot):
    def work(ctx):
        for i in range(3):
            ctx.report((i, 3))
        return 42

    seen = run(qtbot, Worker(work))
    assert seen["yielded"] == [(0, 3), (1, 3), (2, 3)] and seen["returned"] == [42]


def test_cancel_stops_between_values_and_runs_cleanup(qtbot):
    cleaned = threading.Event()
    go_on = threading.Event()

    def work(ctx):
        try:
            yield 0
            go_on.wait(5)
            for i in range(1, 1000):
                yield i
        finally:
            cleaned.set()

    worker = Worker(work)
    values = []

    def on_value(v):
        values.append(v)
        worker.cancel()
        go_on.set()

    worker.yielded.connect(on_value)
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.start()
    assert values[0] == 0 and len(values) <= 2 and cleaned.is_set()


def test_errors_end_the_work_with_a_message(qtbot):
    def expected(ctx):
        raise ValueError("bad input")
        yield  # noqa: unreachable - makes this a generator

    def bug(ctx):
        raise RuntimeError("boom")

    seen = run(qtbot, Worker(expected, (ValueError,)))
    assert seen["errored"] == [("bad input", "")] and seen["returned"] == []
    seen = run(qtbot, Worker(bug))
    message, details = seen["errored"][0]
    assert message == "RuntimeError: boom" and "Traceback" in details
