"""End-to-end CPU benchmark: the default demo, measured the way a user would run it.

1. ``python -m toolft tiny build`` (timed; cached afterwards),
2. ``python -m toolft train tiny-cpu --run-dir RUN`` (real subprocess, timed),
3. ``python -m toolft eval --run-dir RUN --json --verbose`` on four held-out sets:

   * ``own``: the run's own held-out split (values from the sample's held-out pools),
   * ``seed987654``: 200 rows of ``data sample --seed 987654`` (training pools, new combinations),
   * ``seed987654-heldout``: the same with ``--pools heldout`` (values no training row has),
   * ``visitor``: ``tests/fixtures/visitor_prompts.jsonl``, 36 prompts written by hand,

then prints base and fine-tuned side by side for each. Run from the repository root
with a fresh ``TOOLFT_HOME`` / ``TOOLFT_MODELS_DIR`` to time a first use:

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
METRICS = [("full_call_accuracy", "right tool and right arguments"), ("tool_name_accuracy", "right tool name(s)"),
           ("parse_rate", "calls that parse"), ("call_rate", "any call (of all rows)"),
           ("over_calling_rate", "call where none was due"), ("refusal_accuracy", "refusals"),
           ("clarification_accuracy", "clarifying questions"), ("no_call_accuracy", "no-call answers"),
           ("accuracy", "passes every rule (all rows)")]


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "toolft", *args], cwd=REPO, env=env, capture_output=True, text=True)


def _cell(value) -> str:
    return f"{value:>7.2f}" if value is not None else f"{'-':>7}"


def table(name: str, result: dict) -> str:
    """Overall measures, then each row kind's pass rate (all rules), base and fine-tuned side by side."""
    base, ft = result["base"], result["finetuned"]
    lines = [f"\n== {name}: {result['data']} ({ft['overall']['n']} rows)", f"{'measure':<34}{'base':>7}{'tuned':>7}   n"]
    for key, label in METRICS:
        lines.append(f"{label:<34}{_cell(base['overall'][key])}{_cell(ft['overall'][key])}   {ft['overall']['n_' + key]}")
    for kind, section in ft["by_kind"].items():
        if section["n"]:
            lines.append(f"{'kind ' + kind + ': passes':<34}{_cell(base['by_kind'][kind]['accuracy'])}"
                         f"{_cell(section['accuracy'])}   {section['n']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="tiny-cpu")
    parser.add_argument("--out", default=str(REPO / "bench-out"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
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

    sets = {"own": None}
    for name, extra in (("seed987654", []), ("seed987654-heldout", ["--pools", "heldout"])):
        path = out / f"{name}.jsonl"
        assert cli("data", "sample", str(path), "--n", "200", "--seed", "987654", *extra).returncode == 0
        sets[name] = str(path)
    sets["visitor"] = str(REPO / "tests" / "fixtures" / "visitor_prompts.jsonl")

    results, eval_s = {}, {}
    for name, data in sets.items():
        t0 = time.time()
        proc = cli("eval", "--run-dir", str(run_dir), "--json", "--verbose", *(["--data", data] if data else []))
        eval_s[name] = time.time() - t0
        if proc.returncode != 0:
            print(proc.stderr[-4000:])
            return 1
        results[name] = json.loads(proc.stdout)

    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in events if e.get("event") == "train"]
    evals = [round(e["eval_loss"], 3) for e in events if e.get("event") == "eval"]
    print(f"recipe {args.recipe}: run folder {run_dir}")
    print(f"tiny build: {build_s:.0f}s (about 0 when cached); training: {train_s:.0f}s; "
          f"eval: {', '.join(f'{k} {v:.0f}s' for k, v in eval_s.items())}")
    print(f"train loss {losses[0]:.3f} -> {losses[-1]:.3f}; eval loss per epoch {evals}")
    for name, result in results.items():
        print(table(name, result))
    (out / "last.json").write_text(json.dumps({"recipe": args.recipe, "build_s": build_s, "train_s": train_s,
                                                "eval_s": eval_s, "losses": losses, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
