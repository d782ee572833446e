"""The planner's memory and time estimates against a real GPU, side by side in one run.

For each case, a fresh subprocess builds a Qwen3 model of the planned size from its
config with random weights (``toolft.plan.KNOWN_CONFIGS``: the same shapes as the Hub
models), wraps it with toolft's own LoRA config and TRL ``SFTConfig`` (``toolft.train``),
and trains a few optimizer steps on random token rows exactly ``max_length`` long (the
planner's worst case: no row shorter than the padding). It records:

* ``weights_gib``: memory allocated once the model is on the GPU;
* ``peak_gib``: what the process held at its peak, as ``nvidia-smi`` would show it:
  the CUDA context (measured before the model loads) plus PyTorch's peak reserved memory;
* ``peak_allocated_gib``: PyTorch's peak allocated memory (tensors only);
* ``tokens_per_s`` over the optimizer steps after the first, and the model FLOPs
  utilisation that implies, counted as the planner counts FLOPs
  (``total_params x (6 with checkpointing, else 4)`` per token) against the GPU's
  dense 16-bit datasheet peak.

It then prints, per case, the planner's ``memory_estimate`` beside the measured peak and
their ratio, and the measured utilisation beside the planner's ``UTILISATION``.

Run on a CUDA machine (results under ``--out``)::

    python bench/gpu_memory.py --out bench-out/gpu_memory.json

Compare the planner of this checkout with measurements saved earlier (no GPU needed)::

    python bench/gpu_memory.py --replan bench/results/gpu_memory_h200.json

``--smoke`` runs one tiny case on the CPU, only to check the script itself works.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GIB = 1024 ** 3
# NVIDIA H100 / H200 SXM datasheet, dense FP16 and BF16 tensor throughput (the two share compute)
H200_PEAK_TFLOPS = 989.0

# (label, model, per-device batch, max_length, gradient checkpointing, precision)
# fp16 mimics a T4 (float16 weights and autocast); bf16 an L4 / A10G / A100 / H100.
CASES = [
    ("seed: 1.7B b4 x 2048, ckpt", "Qwen/Qwen3-1.7B", 4, 2048, True, "fp16"),
    ("1.7B b1 x 2048, ckpt", "Qwen/Qwen3-1.7B", 1, 2048, True, "fp16"),
    ("1.7B b4 x 1024, ckpt", "Qwen/Qwen3-1.7B", 4, 1024, True, "fp16"),
    ("1.7B b2 x 1024, no ckpt", "Qwen/Qwen3-1.7B", 2, 1024, False, "fp16"),
    ("0.6B b4 x 2048, ckpt", "Qwen/Qwen3-0.6B", 4, 2048, True, "fp16"),
    ("4B b2 x 2048, ckpt (bf16)", "Qwen/Qwen3-4B", 2, 2048, True, "bf16"),
    ("8B b1 x 2048, ckpt (bf16)", "Qwen/Qwen3-8B", 1, 2048, True, "bf16"),
]
SMOKE = [("smoke: tiny b2 x 64, ckpt", "smoke", 2, 64, True, "no")]


def _recipe(model: str, batch: int, seq: int, ckpt: bool, precision: str, steps: int):
    from toolft.recipe import load_recipe

    recipe = load_recipe("qwen3-1.7b-t4")  # the seed: LoRA r=16, alpha 32, all linear layers, accumulation 4
    recipe.model.name_or_path = model
    recipe.model.dtype = {"fp16": "float16", "bf16": "bfloat16", "no": "float32"}[precision]
    t = recipe.training
    t.per_device_train_batch_size, t.max_length, t.gradient_checkpointing = batch, seq, ckpt
    t.mixed_precision, t.max_steps, t.logging_steps, t.save_steps = precision, steps, 1, 10 ** 6
    return recipe


def _config(model: str):
    from transformers import Qwen3Config

    from toolft.plan import KNOWN_CONFIGS

    if model == "smoke":
        return Qwen3Config(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, head_dim=16)
    return Qwen3Config(**KNOWN_CONFIGS[model])


def run_case(case: list, steps: int) -> dict:
    """Train one case in this process and return its measurements (see the module docstring)."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, PrinterCallback, TrainerCallback
    from trl import SFTTrainer

    from toolft.modeling import load_tokenizer
    from toolft.plan import count_params
    from toolft.train import lora_config, sft_config

    label, model_name, batch, seq, ckpt, precision = case
    recipe = _recipe(model_name, batch, seq, ckpt, precision, steps)
    config = _config(model_name)
    cuda = torch.cuda.is_available()
    context = 0
    if cuda:
        torch.cuda.init()
        torch.zeros(1, device="cuda")
        free, total_mem = torch.cuda.mem_get_info()
        context = total_mem - free - torch.cuda.memory_reserved()
    dtype = getattr(torch, recipe.model.dtype)
    torch.manual_seed(0)
    with torch.device("cuda" if cuda else "cpu"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    weights = torch.cuda.memory_allocated() if cuda else 0

    rows = batch * recipe.training.gradient_accumulation_steps * steps
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (rows, seq), generator=generator).tolist()
    dataset = Dataset.from_dict({"input_ids": ids, "labels": ids})

    step_times: list[float] = []

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if cuda:
                torch.cuda.synchronize()
            step_times.append(time.perf_counter() - self.t0)

    with tempfile.TemporaryDirectory() as out:
        trainer = SFTTrainer(model=model, args=sft_config(recipe, Path(out), has_eval=False),
                             train_dataset=dataset, peft_config=lora_config(recipe), callbacks=[Timer()],
                             # only its pad token is used: the rows are token ids already, all max_length long
                             processing_class=load_tokenizer("tiny-qwen3"))
        trainer.remove_callback(PrinterCallback)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        trainer.train()
    total, trainable = count_params(config, recipe.lora.r, recipe.lora.target_modules)
    timed = step_times[1:] or step_times
    step_s = sum(timed) / len(timed)
    tokens_per_step = batch * recipe.training.gradient_accumulation_steps * seq
    tokens_per_s = tokens_per_step / step_s
    flops_per_token = total * (6 if ckpt else 4)
    return {
        "label": label, "model": model_name, "batch": batch, "max_length": seq, "checkpointing": ckpt,
        "precision": precision, "dtype": recipe.model.dtype, "steps": len(step_times),
        "total_params": total, "trainable_params": trainable,
        "gpu": torch.cuda.get_device_name() if cuda else "cpu",
        "context_gib": round(context / GIB, 2),
        "weights_gib": round(weights / GIB, 2),
        "peak_allocated_gib": round(torch.cuda.max_memory_allocated() / GIB, 2) if cuda else None,
        "peak_gib": round((context + torch.cuda.max_memory_reserved()) / GIB, 2) if cuda else None,
        "step_s": round(step_s, 3),
        "tokens_per_s": round(tokens_per_s),
        "mfu": round(tokens_per_s * flops_per_token / (H200_PEAK_TFLOPS * 1e12), 3) if cuda else None,
    }


def planned(result: dict) -> dict:
    """The planner's estimate for the same case (``toolft.plan.memory_estimate``)."""
    from toolft.plan import lora_input_width, memory_estimate

    config = _config(result["model"])
    recipe = _recipe(result["model"], result["batch"], result["max_length"], result["checkpointing"],
                     result["precision"], 1)
    width = lora_input_width(config, recipe.lora.target_modules) if recipe.lora.dropout > 0 else 0
    return memory_estimate(config, result["total_params"], result["trainable_params"], result["dtype"],
                           result["batch"], result["max_length"], result["checkpointing"], width)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench-out/gpu_memory.json", help="where the results JSON goes")
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps per case (the first is not timed)")
    parser.add_argument("--only", default="", help="run only the cases whose label contains this text")
    parser.add_argument("--case-timeout", type=float, default=180, help="seconds one case may take")
    parser.add_argument("--smoke", action="store_true", help="one tiny case on the CPU: checks the script only")
    parser.add_argument("--replan", metavar="RESULTS_JSON",
                        help="print the planner's current figures beside measurements saved by an earlier run")
    parser.add_argument("--case", help=argparse.SUPPRESS)      # internal: run one case, print its JSON
    args = parser.parse_args()

    if args.case:
        print("RESULT " + json.dumps(run_case(json.loads(args.case), args.steps)), flush=True)
        return 0

    if args.replan:  # the planner's figures again beside measurements saved earlier (no GPU needed)
        results = json.loads(Path(args.replan).read_text())
        for result in results:
            if "error" not in result:
                result["planned_gib"] = planned(result)
        _table(results)
        return 0
    cases = SMOKE if args.smoke else [c for c in CASES if args.only in c[0]]
    results = []
    for case in cases:
        started = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, __file__, "--case", json.dumps(case), "--steps", str(args.steps)],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                  timeout=args.case_timeout)
        except subprocess.TimeoutExpired:
            print(f"{case[0]}: FAILED (over {args.case_timeout} s)", flush=True)
            results.append({"label": case[0], "error": f"over {args.case_timeout} s"})
            continue
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            print(f"{case[0]}: FAILED ({proc.returncode}) {' | '.join(tail)}", flush=True)
            results.append({"label": case[0], "error": "\n".join(tail)})
            continue
        result = json.loads(lines[-1].removeprefix("RESULT "))
        result["planned_gib"] = planned(result)
        result["wall_s"] = round(time.perf_counter() - started, 1)
        results.append(result)
        print(f"{case[0]}: done in {result['wall_s']} s", flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2))
    _table(results)
    return 0


def _table(results: list[dict]) -> None:
    from toolft.plan import UTILISATION

    print(f"\n{'case':32} {'planned':>8} {'measured':>9} {'ratio':>6} {'weights p/m':>12} {'tok/s':>7} {'MFU':>6}")
    for r in results:
        if "error" in r:
            print(f"{r['label']:32} failed")
            continue
        p = r["planned_gib"]
        measured = r["peak_gib"]
        ratio = f"{p['total'] / measured:.2f}" if measured else "-"
        print(f"{r['label']:32} {p['total']:8.2f} {measured if measured is not None else '-':>9} {ratio:>6} "
              f"{p['weights']:5.2f}/{r['weights_gib']:<6} {r['tokens_per_s']:7} "
              f"{r['mfu'] if r['mfu'] is not None else '-':>6}")
    print(f"planned/measured > 1: the planner over-estimates. Planner utilisation: {UTILISATION}; "
          f"MFU here is against {H200_PEAK_TFLOPS} TFLOP/s (H100/H200 dense 16-bit).")


if __name__ == "__main__":
    raise SystemExit(main())
