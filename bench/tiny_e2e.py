"""End-to-end CPU benchmark: the default demo, measured the way a user would run it.

1. build tiny-qwen3 (or find it cached),
2. ``python -m toolft train tiny-cpu --run-dir RUN`` (real subprocess, timed),
3. ``python -m toolft eval --run-dir RUN --json`` on the held-out split,

then prints base and fine-tuned side by side with their ratio, the training wall
time and the loss curve's first and last values. Run from the repository root:

    python bench/tiny_e2e.py [--recipe tiny-cpu] [--out bench-out]

The README's figures come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "toolft", *args], cwd=REPO, env=env, capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="tiny-cpu")
    parser.add_argument("--out", default=str(REPO / "bench-out"))
    parser.add_argument("--limit", type=int, default=None, help="score at most this many held-out rows")
    args = parser.parse_args()
    out = Path(args.out)
    run_dir = out / f"run-{time.strftime('%Y%m%d-%H%M%S')}"

    t0 = time.time()
    proc = cli("tiny", "build")
    assert proc.returncode == 0, proc.stderr
    build_s = time.time() - t0

    t0 = time.time()
    proc = cli("train", args.recipe, "--run-dir", str(run_dir))
    train_s = time.time() - t0
    if proc.returncode != 0:
        print(proc.stderr[-4000:])
        return 1

    t0 = time.time()
    eval_args = ["eval", "--run-dir", str(run_dir), "--json"] + (["--limit", str(args.limit)] if args.limit else [])
    proc = cli(*eval_args)
    eval_s = time.time() - t0
    if proc.returncode != 0:
        print(proc.stderr[-4000:])
        return 1
    result = json.loads(proc.stdout)

    train = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in train if e.get("event") == "train"]
    evals = [e["eval_loss"] for e in train if e.get("event") == "eval"]
    base, ft = result["base"], result["finetuned"]
    print(f"recipe {args.recipe}: run folder {run_dir}")
    print(f"tiny build (cached if 0s-ish): {build_s:.0f}s; training: {train_s:.0f}s; eval: {eval_s:.0f}s")
    print(f"train loss {losses[0]:.3f} -> {losses[-1]:.3f}; eval loss per epoch {[round(x, 3) for x in evals]}")
    print(f"{'metric':<18}{'base':>8}{'finetuned':>11}")
    for key in ("tool_call_rate", "name_accuracy", "exact_match", "false_call_rate"):
        print(f"{key:<18}{base[key]:>8.2f}{ft[key]:>11.2f}")
    for label, stats in ft["label_accuracy"].items():
        b = base["label_accuracy"].get(label, {}).get("accuracy", 0.0)
        print(f"{'acc ' + label:<18}{b:>8.2f}{stats['accuracy']:>11.2f}   (n={stats['n']})")
    print(f"tool-call rows scored: {ft['n']} of {ft['rows']} held-out rows")
    (out / "last.json").write_text(json.dumps({"recipe": args.recipe, "build_s": build_s, "train_s": train_s,
                                                "eval_s": eval_s, "losses": losses, "result": result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
