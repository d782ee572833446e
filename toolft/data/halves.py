"""Use a second CPU core for pure-Python work on many rows: half of it in a forked child.

Rendering rows with a chat template is Python that holds the GIL, so threads do not help;
a forked child does the second half of the rows with no pickling of the inputs (it
inherits them) and sends back only its results, while this process does the first half.
``toolft.data.render.row_lengths`` (``data check``'s token lengths) uses it;
bench/data_check.py measures it. Forking for conversion + lint measured slower (pickling
the converted rows back costs more than the half saves), so that stays in one process.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Callable, Sequence, TypeVar

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


def map_halves(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], min_items: int = MIN_ROWS) -> list[R]:
    """``fn(items)``: with :func:`can_fork` and ``min_items`` items or more, a forked child computes the second half.

    ``fn`` maps a run of items to one result per item and must not depend on other
    items. The child's results come back pickled through a pipe while this process
    computes the first half. If the child fails in any way (an exception, a crash, a kill),
    its half is computed here, so the answer is always ``fn(items)``.
    """
    if len(items) < min_items or not can_fork():
        return fn(items)
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
    try:
        first = fn(items[:half])
    finally:  # also when this half fails: always reap the child
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
    second = None
    if status == 0:
        try:
            second = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a cut-off payload: the half is computed here instead
            second = None
    if second is None or len(second) != len(items) - half:
        second = fn(items[half:])
    return list(first) + list(second)
