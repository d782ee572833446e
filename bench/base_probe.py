"""Probe a tiny-qwen3 base before fine-tuning it: does it copy, does it answer in JSON, does it stay out of tools?

Two greedy probes of a base model folder (a build, or the output of bench/continued_pretraining.py):

1. **Copy and extraction tasks** of the pre-training kinds (``tiny_corpus.fresh_conversations``), with
   values made up from a seed no build draws: exact answers, counted apart for answers that are a JSON
   object ("fill a JSON object from a sentence", "the arguments of get_weather as JSON") and the rest
   (quote a span, say why it cannot be done).
2. **Tools prompts**: the first user turn of each row of a dataset (default: 200 rows of
   ``data sample --seed 987654 --pools heldout``), rendered with its tools by the model's own template.
   It counts answers that write ``<tool_call>`` and answers whose first word is a function name: a base
   must do neither (issue 5; ``tests/test_tiny.py`` checks 24 such prompts). It also counts answers that
   name a function anywhere ("First get_weather, then read_file."): prose, but not how a chat model that
   knows nothing of the tools answers.

    python bench/base_probe.py MODEL_DIR [MODEL_DIR ...] [--fresh 80] [--data ROWS.jsonl] [--rows 200]

About 20 seconds per model on 2 CPU cores (batches of 16). Section 14 of bench/tiny_copying.md used it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FRESH_SEED = 123_456_789  # no build draws it: builds use seed * 1_000_003 + step for steps below 3,200


def _generate(model, tok, prompts: list[tuple[list[dict], list[dict] | None]], max_new_tokens: int) -> list[str]:
    """Greedy answers to ``(messages, tools)`` prompts, batched as ``toolft eval`` does (markup kept)."""
    from toolft.inference import Sampling, generate_batch

    return generate_batch(model, tok, prompts, use_adapter=False, sampling=Sampling(max_new_tokens=max_new_tokens))


def fresh_tasks(model, tok, n: int) -> dict:
    """Exact answers to ``n`` fresh copy and extraction tasks: ``{"json": (right, n), "other": (right, n)}``."""
    from toolft.tiny_corpus import fresh_conversations

    convs = fresh_conversations(n, seed=FRESH_SEED)
    prompts = [(c[:-1], None) for c in convs]
    counts = {"json": [0, 0], "other": [0, 0]}
    for conv, text in zip(convs, _generate(model, tok, prompts, 70)):
        want = conv[-1]["content"]
        kind = "json" if want.startswith("{") else "other"
        counts[kind][1] += 1
        counts[kind][0] += text == want
    return {k: tuple(v) for k, v in counts.items()}


def tools_prompts(model, tok, rows: list[dict]) -> dict:
    """Greedy answers (40 tokens) to each row's first user turn with its tools: counts and the offending texts."""
    from toolft.data.sample import TOOLS

    prompts = []
    for row in rows:
        msgs = row["messages"]
        first = next(i for i, m in enumerate(msgs) if m["role"] == "assistant")
        prompts.append((msgs[:first], row.get("tools")))
    texts = _generate(model, tok, prompts, 40)
    markup = [t for t in texts if "<tool_call>" in t]
    named = [t for t in texts if t.split() and t.replace(",", " ").split()[0].strip(".") in TOOLS]
    anywhere = [t for t in texts if set(re.findall(r"\w+", t)) & set(TOOLS)]
    return {"n": len(texts), "tool_call": len(markup), "function_name": len(named), "names_anywhere": len(anywhere),
            "examples": (markup + named + [t for t in anywhere if t not in named])[:5]}


def main(argv: list[str] | None = None) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", type=Path)
    p.add_argument("--fresh", type=int, default=80, help="fresh copy/extraction tasks (default 80)")
    p.add_argument("--data", type=Path, help="tools rows (default: data sample --n ROWS --seed 987654 --pools heldout)")
    p.add_argument("--rows", type=int, default=200)
    args = p.parse_args(argv)

    if args.data:
        rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        from toolft.data.sample import generate_sample

        rows = generate_sample(args.rows, seed=987654, pools="heldout")
    rows = rows[:args.rows]
    for path in args.models:
        tok = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path)).eval()
        fresh = fresh_tasks(model, tok, args.fresh)
        tools = tools_prompts(model, tok, rows)
        print(f"{path}\n  fresh tasks, exact: JSON answers {fresh['json'][0]}/{fresh['json'][1]}, "
              f"others {fresh['other'][0]}/{fresh['other'][1]}\n"
              f"  tools prompts: {tools['tool_call']}/{tools['n']} write <tool_call>, "
              f"{tools['function_name']}/{tools['n']} begin with a function name, "
              f"{tools['names_anywhere']}/{tools['n']} name one anywhere")
        for text in tools["examples"]:
            print("    " + text[:150].replace("\n", " "))


if __name__ == "__main__":
    main()
