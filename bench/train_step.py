"""How much faster a CPU training step is when TRL's fused LM head scores only the trained positions.

Run: ``python bench/train_step.py [--batches N] [--recipe tiny-cpu]``. Builds TRL's ``SFTTrainer`` the
way ``toolft train`` does (the recipe's ``SFTConfig``, LoRA config and pre-tokenised rows from the
bundled sample), then times ``training_step`` (forward and backward) on the same batches two ways,
interleaved so that a shared machine's slow moments hit both: TRL's default on CPU (every position
projected onto the vocabulary) and toolft's :func:`toolft.train.score_trained_positions_only` (only
positions with a label, as TRL does on CUDA). Prints the share of positions that carry a label, the
median step time of each way, their ratio, and the largest loss difference between the two ways
on the same batch (it must be ~0: both use the same seed, so the same dropout masks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--recipe", default="tiny-cpu")
    args = parser.parse_args()

    import torch
    from trl import SFTTrainer
    from trl.trainer import utils as trl_utils

    from toolft.data.sample import generate_sample
    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.recipe import load_recipe
    from toolft.train import lora_config, score_trained_positions_only, sft_config, to_dataset

    recipe = load_recipe(args.recipe)
    if torch.cuda.is_available():
        sys.exit("a GPU is visible: TRL already scores only trained positions there, so both ways are the same; "
                 "run this on CPU (CUDA_VISIBLE_DEVICES=)")
    torch.manual_seed(0)
    tokenizer = load_tokenizer(recipe.model.name_or_path)
    model = load_base_model(recipe.model.name_or_path, recipe.model.dtype)
    rows = generate_sample(recipe.training.per_device_train_batch_size * args.batches, seed=0,
                           invented_share=recipe.data.invented_share, no_call_share=recipe.data.no_call_share)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = SFTTrainer(model=model, args=sft_config(recipe, Path(tmp), has_eval=False),
                             train_dataset=to_dataset(rows, tokenizer, recipe), processing_class=tokenizer,
                             peft_config=lora_config(recipe))
        batches = list(trainer.get_train_dataloader())[:args.batches]
        every_position = trl_utils._use_triton
        assert score_trained_positions_only(), "this TRL has no compact-path switch: nothing to compare"
        trained_only = trl_utils._use_triton

        labelled = sum(int((b["labels"][:, 1:] != -100).sum()) for b in batches)
        positions = sum(b["labels"][:, 1:].numel() for b in batches)
        print(f"recipe {args.recipe}: {len(batches)} batches of {recipe.training.per_device_train_batch_size} rows, "
              f"{positions:,} positions, {labelled / positions:.0%} of them carry a label")
        times = {"every position (TRL's CPU default)": [], "trained positions only (toolft)": []}
        worst = 0.0
        trainer.model.train()
        trainer.current_gradient_accumulation_steps = 1  # set by the training loop, which is not run here
        for i, batch in enumerate(batches):
            ways = list(zip(times, (every_position, trained_only)))
            losses = []
            for label, decide in (ways if i % 2 == 0 else ways[::-1]):
                trl_utils._use_triton = decide
                trainer.model.zero_grad()
                torch.manual_seed(i)  # the same dropout masks both ways, where the recipe has dropout
                start = time.perf_counter()
                losses.append(float(trainer.training_step(trainer.model, dict(batch))))
                times[label].append(time.perf_counter() - start)
            worst = max(worst, abs(losses[0] - losses[1]))
        trl_utils._use_triton = every_position
    medians = {label: statistics.median(ts[1:]) for label, ts in times.items()}  # the first step warms up
    for label, median in medians.items():
        print(f"{label:<40} {median * 1000:7.0f} ms a step (median)")
    slow, fast = medians.values()
    print(f"speed-up {slow / fast:.2f}x; largest loss difference {worst:.2e}")


if __name__ == "__main__":
    main()
