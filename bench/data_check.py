"""How fast ``data check`` and ``data convert`` are on the seed's dataset size (15,694 rows).

Run: ``python bench/data_check.py [--rows N]``. Prints the time of each phase, measured in one
process on rows from ``data sample --n 15694``, and the whole CLI commands as a user runs them
(process start and imports included). Targets (issue 6): check with token lengths <= 10 s, convert
<= 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
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
    args = parser.parse_args()
    from toolft.data.files import write_jsonl
    from toolft.data.records import load_records
    from toolft.data.render import _render_chunk
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
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    for label, cmd in [("CLI: data check --json (whole command)", ["data", "check", str(data), "--json"]),
                       ("CLI: data convert (whole command)", ["data", "convert", str(data), str(tmp / "out.jsonl")])]:
        timed(label, lambda cmd=cmd: subprocess.run([sys.executable, "-m", "toolft", *cmd], cwd=REPO, env=env,
                                                    capture_output=True, check=True))


if __name__ == "__main__":
    main()
