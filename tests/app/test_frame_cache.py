"""The display frame cache: bounded memory, newest request first, read-ahead both ways."""
from __future__ import annotations

import threading
import time

import numpy as np

from app.core.frame_cache import FrameCache


class CountingSource:
    def __init__(self, n=200, shape=(12, 16, 3), delay=0.0):
        self.n, self.shape, self.delay = n, shape, delay
        self.reads: list[int] = []
        self.threads: set[int] = set()
        self.height, self.width = shape[:2]

    def __len__(self):
        return self.n

    def read(self, i):
        self.threads.add(threading.get_ident())
        self.reads.append(i)
        time.sleep(self.delay)
        return np.full(self.shape, i % 256, np.uint8)

    def close(self):
        pass


def wait_for(cond, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_request_decodes_in_the_loader_thread_and_reads_ahead():
    src = CountingSource()
    ready = []
    cache = FrameCache(lambda: src, src.n, src.shape, capacity_bytes=100 * 12 * 16 * 3,
                       on_ready=ready.append, read_ahead=8)
    try:
        assert cache.get(10) is None
        cache.request(10)
        assert wait_for(lambda: 18 in cache)
        assert ready == [10] and int(cache.get(10)[0, 0, 0]) == 10
        assert src.reads == list(range(10, 19))
        assert threading.get_ident() not in src.threads
        assert not cache.get(10).flags.writeable
        cache.request(50, direction=-1)  # backward: one forward block ending at 50
        assert wait_for(lambda: 50 in cache and ready[-1] == 50)
        assert src.reads[-9:] == list(range(42, 51))
    finally:
        cache.close()


def test_memory_is_bounded_and_least_recently_used_frames_go_first():
    src = CountingSource()
    frame_bytes = 12 * 16 * 3
    cache = FrameCache(lambda: src, src.n, src.shape, capacity_bytes=10 * frame_bytes, read_ahead=0)
    try:
        for i in range(30):
            cache.put(i, np.zeros(src.shape, np.uint8))
            if i >= 5:
                cache.get(0)  # keep frame 0 in use
        assert len(cache) == 10 and 0 in cache and 29 in cache and 1 not in cache
    finally:
        cache.close()


def test_scrubbing_serves_the_newest_request_and_drops_stale_ones():
    src = CountingSource(delay=0.02)
    ready = []
    cache = FrameCache(lambda: src, src.n, src.shape, capacity_bytes=1 << 20, on_ready=ready.append,
                       read_ahead=0)
    try:
        for i in range(100, 140):
            cache.request(i)  # a fast slider drag: 40 requests while one frame decodes
        assert wait_for(lambda: 139 in ready)
        assert len(src.reads) < 10  # stale positions were skipped, not queued
    finally:
        cache.close()
