"""A recipe in other tools' terms: toolft's YAML, a config ``trl sft --config`` reads, ``accelerate launch``.

``export_recipe(recipe, out_dir)`` writes ``recipe.yaml`` (toolft's own), ``trl-sft.yaml`` (TRL's
command line: its ``ScriptArguments``, ``SFTConfig``, ``ModelConfig`` and ``DatasetMixtureConfig``
keys) and, for the bundled sample, the sample rows as ``sample.jsonl`` (TRL cannot generate
them), and returns the commands that use them. The differences from ``toolft train`` are
stated in the TRL file's header: TRL splits the held-out rows at random (toolft stratifies them
by row kind and draws the sample's held-out values from their own pools), TRL masks the
loss with the chat template's ``{% generation %}`` markers itself (toolft tokenises the rows
with the same rule beforehand), and on CPU TRL projects every position onto the vocabulary,
not only the trained ones (the same loss; toolft's CPU steps are about 1.4x faster,
:func:`toolft.train.score_trained_positions_only`).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from toolft.recipe import Recipe, save_recipe

TRL_HEADER = """\
# Written by toolft from recipe "{name}". Run with:  trl sft --config {file}
# Differences from `python -m toolft train`: TRL holds out a random {eval_pct} of the rows (toolft
# stratifies the split by row kind), and masks the loss itself with the chat template's generation
# markers (toolft does the same before training). On CPU, TRL scores every position, not only the
# trained ones: the same loss, about 1.4x slower a step. Checkpoints go to output_dir.
"""
LORAPLUS_NOTE = """\
# LoRA+ (lora.loraplus_lr_ratio {ratio}) has no `trl sft` setting: this config trains plain LoRA at
# one learning rate. The toolft and accelerate commands train with LoRA+.
"""


def trl_sft_config(recipe: Recipe, data_file: str, output_dir: str) -> dict:
    """The recipe as ``trl sft`` settings (a dict to write as YAML).

    ``data_file`` is a ``.jsonl`` of canonical rows; ``model_name_or_path`` is the model TRL
    will load (``tiny-qwen3`` resolves to its local folder). ``mixed_precision: auto`` leaves
    ``bf16``/``fp16`` to TRL's own default for the machine.
    """
    from toolft.modeling import resolve_model_path

    t, lora = recipe.training, recipe.lora
    config = {
        "model_name_or_path": resolve_model_path(recipe.model.name_or_path),
        "dtype": recipe.model.dtype,
        "datasets": [{"path": "json", "data_files": data_file, "split": "train"}],
        "output_dir": output_dir,
        "learning_rate": t.learning_rate,
        "per_device_train_batch_size": t.per_device_train_batch_size,
        "gradient_accumulation_steps": t.gradient_accumulation_steps,
        "num_train_epochs": t.num_train_epochs,
        "max_steps": t.max_steps,
        "warmup_steps": t.warmup_ratio,  # transformers 5: below 1 it is a share of the total steps
        "lr_scheduler_type": t.lr_scheduler_type,
        "weight_decay": t.weight_decay,
        "max_grad_norm": t.max_grad_norm,
        "max_length": t.max_length,
        **({"neftune_noise_alpha": t.neftune_noise_alpha} if t.neftune_noise_alpha else {}),
        "train_sampling_strategy": "group_by_length" if t.group_by_length else "random",
        "activation_checkpointing": t.gradient_checkpointing,
        "assistant_only_loss": t.assistant_only_loss,
        "packing": False,
        "logging_steps": t.logging_steps,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "seed": t.seed,
        "report_to": "none",
        "use_peft": True,
        "lora_r": lora.r,
        "lora_alpha": lora.alpha,
        "lora_dropout": lora.dropout,
        "lora_target_modules": lora.target_list() or ["all-linear"],
    }
    if recipe.data.eval_fraction > 0:
        config.update(test_split_size=recipe.data.eval_fraction,
                      eval_strategy="steps" if t.eval_steps else "epoch", **({"eval_steps": t.eval_steps}
                                                                             if t.eval_steps else {}))
    else:
        config["eval_strategy"] = "no"
    if t.mixed_precision in ("bf16", "fp16"):
        config.update(bf16=t.mixed_precision == "bf16", fp16=t.mixed_precision == "fp16")
    elif t.mixed_precision == "no":
        config.update(bf16=False, fp16=False)
    return config


def accelerate_command(recipe_path: Path, run_dir: Path, processes: int = 2) -> list[str]:
    """``accelerate launch`` of toolft's own trainer on ``processes`` GPUs of one machine."""
    return ["accelerate", "launch", "--num_processes", str(processes), "-m", "toolft", "train", str(recipe_path),
            "--run-dir", str(run_dir)]


def export_recipe(recipe: Recipe, out_dir: str | Path) -> dict[str, str]:
    """Write the recipe's exports into ``out_dir``; returns ``{"files": [...], "commands": {...}}`` as strings.

    Raises:
        ValueError: the recipe's data file cannot be read (see :func:`toolft.plan.count_rows`).
    """
    import yaml

    from toolft.data.files import write_jsonl

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    recipe_path = save_recipe(recipe, out / "recipe.yaml")
    files = [recipe_path]
    if recipe.data.train_file == "sample":
        from toolft.data.sample import generate_sample

        data_file = out / "sample.jsonl"
        write_jsonl(generate_sample(recipe.data.sample_rows, seed=recipe.data.split_seed,
                                    invented_share=recipe.data.invented_share,
                                    no_call_share=recipe.data.no_call_share), data_file)
        files.append(data_file)
    else:
        data_file = Path(recipe.data.train_file).resolve()
        if not data_file.is_file():
            raise ValueError(f"data.train_file: file not found: {data_file}")
    trl_path = out / "trl-sft.yaml"
    config = trl_sft_config(recipe, str(data_file), str(out / "trl-output"))
    header = TRL_HEADER.format(name=recipe.name, file=trl_path.name, eval_pct=f"{recipe.data.eval_fraction:.0%}")
    if recipe.lora.loraplus_lr_ratio != 1:
        header += LORAPLUS_NOTE.format(ratio=f"{recipe.lora.loraplus_lr_ratio:g}")
    trl_path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    files.append(trl_path)
    run_dir = out / "run"
    return {"files": [str(f) for f in files], "commands": {
        "toolft": shlex.join([sys.executable, "-m", "toolft", "train", str(recipe_path), "--run-dir", str(run_dir)]),
        "trl": shlex.join(["trl", "sft", "--config", str(trl_path)]),
        "accelerate": shlex.join(accelerate_command(recipe_path, run_dir)),
    }}
