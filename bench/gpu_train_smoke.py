"""The app's whole training path on a GPU: train, kill -9, resume, evaluate, through toolft's own job runner.

A Qwen3-1.7B-shaped model with random weights (its real config, ``toolft.plan.KNOWN_CONFIGS``)
is saved to a local folder with tiny-qwen3's tokenizer and chat template, so it needs no Hub.
The seed recipe (``qwen3-1.7b-t4``: float16 weights and fp16 autocast on a T4-like setting;
``--precision auto`` lets the GPU pick) then trains on the bundled sample as the app does:
``JobRunner.start`` (a real trainer subprocess), a checkpoint, ``kill -9`` of the trainer,
``python -m toolft runs resume``, then ``python -m toolft eval`` (batched generation on the GPU,
base and fine-tuned). It prints what each step gave and writes ``--out`` (JSON).

    python bench/gpu_train_smoke.py --out bench-out/gpu_train_smoke.json

``--shape smoke`` does the same with a two-layer model on the CPU, to check the script.
Nothing here is a quality figure: the weights are random.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_model(folder: Path, shape: str, dtype: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, Qwen3Config

    from toolft.plan import KNOWN_CONFIGS
    from toolft.tiny import ensure_tiny_tokenizer

    tokenizer_dir = Path(ensure_tiny_tokenizer())
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    if shape == "smoke":
        config = Qwen3Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, head_dim=16, **ids)
    else:
        config = Qwen3Config(**{**KNOWN_CONFIGS["Qwen/Qwen3-1.7B"], **ids})
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench-out/gpu_train_smoke.json")
    parser.add_argument("--shape", choices=["qwen3-1.7b", "smoke"], default="qwen3-1.7b")
    parser.add_argument("--precision", default="fp16", help="training.mixed_precision: fp16 (a T4's), auto, bf16")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--work", default="/tmp/toolft-gpu-smoke")
    args = parser.parse_args()

    import torch

    work = Path(args.work)
    if work.exists() and not (work / ".gpu-smoke").exists():
        raise SystemExit(f"{work} exists and was not made by this script: pick another --work folder")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / ".gpu-smoke").touch()  # marks the folder as this script's, so a rerun may clear it
    os.environ["TOOLFT_HOME"] = str(work / "home")
    from toolft.recipe import load_recipe, replace_field, save_recipe
    from toolft.runs import JobRunner

    cuda = torch.cuda.is_available()
    dtype = {"fp16": "float16", "bf16": "bfloat16"}.get(args.precision, "auto") if cuda else "float32"
    report: dict = {"gpu": torch.cuda.get_device_name() if cuda else "cpu", "shape": args.shape,
                    "precision": args.precision, "dtype": dtype}
    started = time.perf_counter()
    model_dir = work / "model"
    build_model(model_dir, args.shape, "float32" if dtype == "auto" else dtype)
    report["build_s"] = round(time.perf_counter() - started, 1)

    recipe = load_recipe("qwen3-1.7b-t4")
    for key, value in [("model.name_or_path", str(model_dir)), ("model.dtype", dtype),
                       ("training.mixed_precision", args.precision if cuda else "no"),
                       ("data.sample_rows", 200), ("training.max_steps", args.steps),
                       ("training.save_steps", 4), ("training.logging_steps", 1), ("training.eval_steps", 4),
                       ("name", "gpu-smoke")]:
        recipe = replace_field(recipe, key, value)
    recipe_path = work / "recipe.yaml"
    save_recipe(recipe, recipe_path)

    runner = JobRunner()
    t0 = time.perf_counter()
    run = runner.start(recipe)
    deadline = time.time() + 300
    while time.time() < deadline:
        status = run.read_status()
        if status.get("state") in ("failed", "completed", "cancelled"):
            break
        if run.last_checkpoint() is not None and (status.get("step") or 0) >= 6:
            os.killpg(status["pid"], signal.SIGKILL)
            break
        time.sleep(0.5)
    runner._proc.wait(timeout=60)
    JobRunner().active()  # as after an app restart: a fresh runner marks the dead trainer's run interrupted
    status = run.read_status()
    report["first_leg"] = {"state": status.get("state"), "step": status.get("step"), "error": status.get("error"),
                           "checkpoint": run.last_checkpoint().name if run.last_checkpoint() else None,
                           "seconds": round(time.perf_counter() - t0, 1)}
    print("first leg:", report["first_leg"], flush=True)
    if status.get("state") != "interrupted":
        print(run.log_path.read_text()[-4000:])
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2))
        return 1

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "toolft", "runs", "resume", str(run.path)], capture_output=True,
                          text=True, env=env, timeout=300)
    status = run.read_status()
    steps = [e["step"] for e in run.read_metrics() if e["event"] == "train"]
    report["resume"] = {"rc": proc.returncode, "state": status.get("state"), "step": status.get("step"),
                        "resumed_from": status.get("resumed_from"), "steps_logged_once_in_order":
                        steps == list(range(1, args.steps + 1)), "adapter": run.has_adapter(),
                        "eval_losses": [round(e["eval_loss"], 3) for e in run.read_metrics()
                                        if e["event"] == "eval"],
                        "seconds": round(time.perf_counter() - t0, 1)}
    print("resume:", report["resume"], flush=True)
    if proc.returncode:
        print(proc.stderr[-3000:])

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "toolft", "eval", "--run-dir", str(run.path), "--limit", "16",
                           "--max-new-tokens", "48", "--json"], capture_output=True, text=True, env=env,
                          timeout=300)
    report["eval"] = {"rc": proc.returncode, "seconds": round(time.perf_counter() - t0, 1)}
    if proc.returncode == 0:
        scores = json.loads(proc.stdout)
        report["eval"]["rows"] = {side: scores[side]["overall"].get("n") for side in ("base", "finetuned")}
    else:
        report["eval"]["stderr"] = proc.stderr[-2000:]
    print("eval:", report["eval"], flush=True)
    report["log_tail"] = run.log_path.read_text()[-1500:]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    ok = report["resume"]["state"] == "completed" and report["eval"]["rc"] == 0
    print("ALL OK" if ok else "PROBLEM", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
