"""Batched generation (left padding) against one prompt at a time, side by side in one run.

Run: ``python bench/generation.py [--rows N] [--max-new-tokens T]``. Uses tiny-qwen3 with a
LoRA adapter (random, non-zero: the cost of a trained one) on N held-out sample prompts,
greedy, on whatever device ``toolft`` picks (the CPU here). Prints the seconds of each way,
the speed-up, and how many answers are identical. Target (issue 7): >= 3x on CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    args = parser.parse_args()

    import torch
    from peft import LoraConfig, get_peft_model

    from toolft.data.records import check_rows
    from toolft.data.sample import generate_sample
    from toolft.inference import Sampling, generate_batch
    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.scoring import first_turn

    torch.manual_seed(0)
    model = get_peft_model(load_base_model("tiny-qwen3", "float32"),
                           LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM",
                                      init_lora_weights=False)).eval()
    tokenizer = load_tokenizer("tiny-qwen3")
    rows = check_rows([(i, r, None) for i, r in enumerate(generate_sample(args.rows, seed=987654, pools="heldout"))])
    prompts = [(first_turn(r)[0], r.get("tools")) for r in rows.records]
    sampling = Sampling(max_new_tokens=args.max_new_tokens)
    print(f"{len(prompts)} prompts, max_new_tokens {args.max_new_tokens}, {os.cpu_count()} CPUs, "
          f"device {next(model.parameters()).device}")

    start = time.perf_counter()
    one = [generate_batch(model, tokenizer, [p], sampling=sampling, batch_size=1)[0] for p in prompts]
    t_one = time.perf_counter() - start
    print(f"{'one prompt at a time':<32} {t_one:7.2f} s")
    for batch_size in (8, 16):
        start = time.perf_counter()
        batched = generate_batch(model, tokenizer, prompts, sampling=sampling, batch_size=batch_size)
        seconds = time.perf_counter() - start
        same = sum(a == b for a, b in zip(one, batched))
        print(f"{f'batches of {batch_size} (left padding)':<32} {seconds:7.2f} s   speed-up {t_one / seconds:4.1f}x   "
              f"identical answers {same}/{len(one)}")


if __name__ == "__main__":
    main()
