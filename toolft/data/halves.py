"""Use a second CPU core for pure-Python work on many rows: half of it in a forked child.

Reading, linting and rendering rows is Python that holds the GIL, so threads do not help;
a forked child does the second half of the rows with no pickling of the inputs (it
inherits them) and sends back only its results, while this process does the first half.
``data check`` uses it for conversion + lint and for chat-template rendering
(bench/data_check.py measures it).
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ROWS = 2000  # below this, forking and pickling cost more than the half saves


def can_fork() -> bool:
    """True where forking is safe and useful: Linux, 2+ usable CPUs, no other Python thread.

    A process with other threads (the Gradio server, for one) may hold locks that a forked
    child would find locked forever, so it never forks and does all the work itself. macOS
    has ``fork`` but its system frameworks are not fork-safe (Python's own multiprocessing
    stopped forking there), so only Linux forks.
    """
    return (sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2
            and threading.active_count() == 1)


def iter_halves(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], chunk: int,
                min_items: int = MIN_ROWS) -> Iterator[list[R]]:
    """``fn`` of successive runs of at most ``chunk`` items, in order; their concatenation is ``fn(items)``.

    ``fn`` maps a run of items to one result per item and must not depend on other
    items. With :func:`can_fork` and ``min_items`` items or more, a forked child computes
    the second half while this process yields the runs of the first half (so the caller
    can work on them meanwhile); the child's results come back pickled through a pipe. If
    the child fails in any way (an exception, a crash, a kill), its half is computed here.
    """
    if len(items) < min_items or not can_fork():
        for start in range(0, len(items), chunk):
            yield fn(items[start:start + chunk])
        return
    half = len(items) // 2
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its half, pickled into the pipe; exit without the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            payload = pickle.dumps(fn(items[half:]), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    second = None
    try:
        for start in range(0, half, chunk):
            yield fn(items[start:min(start + chunk, half)])
    finally:  # also when the caller stops early: always reap the child
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status == 0:
            try:
                second = pickle.loads(payload)
            except Exception:  # noqa: BLE001 - a cut-off payload: the half is computed here instead
                second = None
    if second is None or len(second) != len(items) - half:
        second = fn(items[half:])
    for start in range(0, len(second), chunk):
        yield second[start:start + chunk]

