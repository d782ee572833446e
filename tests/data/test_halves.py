"""Half of a pure-Python pass over many rows in a forked child (toolft.data.halves)."""

import json
import subprocess
import sys
import threading

from tests.conftest import REPO
from toolft.data.halves import can_fork, map_halves

# run in a fresh interpreter: pytest's own process may have other threads, where forking is refused
SCRIPT = """
import json, os, sys
from toolft.data.halves import can_fork, map_halves
parent, mode = os.getpid(), sys.argv[1]

def double(part):
    if os.getpid() != parent and mode == "raise":
        raise RuntimeError("the child fails")
    if os.getpid() != parent and mode == "die":
        os.kill(os.getpid(), 9)
    return [(x * 2, os.getpid() == parent) for x in part]

out = map_halves(double, list(range(5001)))
print(json.dumps({"can_fork": can_fork(), "values": [v for v, _ in out], "here": [h for _, h in out]}))
"""


def run_script(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_second_half_is_computed_in_a_child_and_comes_back_in_order():
    out = run_script("ok")
    assert out["can_fork"]  # 2+ CPUs, one thread: the machines toolft runs on
    assert out["values"] == [2 * x for x in range(5001)]
    assert out["here"] == [True] * 2500 + [False] * 2501  # the parent's half first, then the child's


def test_a_child_that_fails_or_is_killed_leaves_its_half_to_the_parent():
    for mode in ("raise", "die"):
        out = run_script(mode)
        assert out["values"] == [2 * x for x in range(5001)]
        assert all(out["here"])


def test_no_fork_while_another_thread_runs_and_the_answer_is_the_same():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        calls = []
        out = map_halves(lambda part: calls.append(len(part)) or [x + 1 for x in part], list(range(3000)))
    finally:
        stop.set()
        thread.join()
    assert calls == [3000]  # one call, here, on every item
    assert out == list(range(1, 3001))
