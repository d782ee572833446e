"""How fast ``data check`` and ``data convert`` are on the seed's dataset size (15,694 rows).

Run: ``python bench/data_check.py [--rows N] [--repeat K]``. Prints the time of each phase, measured
in one process on rows from ``data sample --n 15694``; the token-length pass three ways side by side
(every row tokenised whole in one process, the old way; each distinct stretch between added tokens
tokenised once; and that with half the rows done by a forked child), as medians of ``--repeat``
runs and ratios; and the whole CLI commands as a user runs them (process start and imports
included), median and best of ``--repeat`` runs, since a shared machine's timings scatter.
Targets (issue 6): check with token lengths <= 10 s, convert <= 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SEED_ROWS = 15_694  # the seed recipe's dataset size (shared/seed)


def timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:6.2f} s")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=SEED_ROWS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from toolft.data import halves
    from toolft.data.files import write_jsonl
    from toolft.data.records import gc_paused, load_records
    from toolft.data.render import _render_chunk, row_lengths, training_chat_template
    from toolft.data.sample import generate_sample
    from toolft.data.stats import length_lint, summarize
    from toolft.modeling import load_tokenizer

    tmp = Path(tempfile.mkdtemp())
    data = tmp / "rows.jsonl"
    write_jsonl(generate_sample(args.rows, seed=0), data)
    print(f"{args.rows} rows, {data.stat().st_size / 2**20:.1f} MiB, {os.cpu_count()} CPUs")
    tokenizer, _ = timed("load tiny-qwen3 tokenizer", lambda: load_tokenizer("tiny-qwen3"))
    result, t_load = timed("read + convert + lint (jsonschema)", lambda: load_records(data))
    template = tokenizer.get_chat_template(None, None)
    texts = timed("  render alone (jinja, 1 thread)", lambda: _render_chunk(tokenizer, result.records, template, True))[0][0]
    cpu = time.process_time()
    timed("  tokenize alone (Rust, all threads)", lambda: tokenizer.backend_tokenizer.encode_batch(texts))
    print(f"{'    tokenizer CPU time':<44} {time.process_time() - cpu:6.2f} s  "
          f"({sum(map(len, texts)) / 1e6:.1f} M characters)")
    lengths, t_len = timed("render + tokenize overlapped (data check)", lambda: length_lint(result, tokenizer, 2048))
    _, t_sum = timed("summary", lambda: summarize(result, lengths, 2048))
    print(f"{'in-process check total':<44} {t_load + t_len + t_sum:6.2f} s")

    train_template = training_chat_template(tokenizer, True)
    can_fork = halves.can_fork
    ways = {"whole rows, one process": (False, False), "distinct pieces, one process": (None, False),
            "distinct pieces, half the rows in a child": (None, True)}
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    answers = {}
    with gc_paused():
        for _ in range(args.repeat):
            for way, (pieces, fork) in ways.items():
                halves.can_fork = can_fork if fork else (lambda: False)
                start = time.perf_counter()
                answers[way] = row_lengths(tokenizer, result.records, train_template, pieces=pieces)
                seconds[way].append(time.perf_counter() - start)
    halves.can_fork = can_fork
    assert all(answer == answers["whole rows, one process"] for answer in answers.values()), "the ways disagree"
    base = statistics.median(seconds["whole rows, one process"])
    print(f"token lengths of all rows, median of {args.repeat} (same answers every way):")
    for way, times in seconds.items():
        print(f"  {way:<42} {statistics.median(times):6.2f} s  x{base / statistics.median(times):.2f}")

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for label, cmd in [("CLI: data check --json (whole command)", ["data", "check", str(data), "--json"]),
                       ("CLI: data convert (whole command)", ["data", "convert", str(data), str(tmp / "out.jsonl")])]:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "toolft", *cmd], cwd=REPO, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        print(f"{label:<44} {statistics.median(times):6.2f} s median, {min(times):.2f} s best of {args.repeat}")


if __name__ == "__main__":
    main()
