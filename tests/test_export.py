"""Exports: the trl-sft.yaml that `trl sft --config` reads (parsed by TRL's own parser), and the commands."""

import json
import shlex

from tests.conftest import cli
from toolft.recipe import load_recipe, replace_field, save_recipe


def parse_with_trl(path):
    """What `trl sft --config PATH --use_cpu true` would run with: TRL's own parser of its sft script (use_cpu
    only because TRL's config check wants it on a machine without a GPU, like this one)."""
    from trl.scripts.sft import make_parser

    return make_parser().parse_args_and_config(args=["--config", str(path), "--use_cpu", "true"],
                                               fail_with_unknown_args=True)


def test_trl_sft_reads_the_exported_config(tmp_path):
    recipe = load_recipe("qwen3-1.7b-t4")
    # TRL's own config check refuses fp16 on a machine without CUDA, so this parse uses "no"
    for key, value in [("lora.target_modules", "q_proj, v_proj"), ("training.mixed_precision", "no"),
                       ("training.eval_steps", 50), ("training.group_by_length", True),
                       ("training.neftune_noise_alpha", 30.0)]:
        recipe = replace_field(recipe, key, value)
    data = tmp_path / "rows.jsonl"
    assert cli("data", "sample", data, "--n", "20").returncode == 0
    recipe = replace_field(recipe, "data.train_file", str(data))
    proc = cli("export", save_recipe(recipe, tmp_path / "in.yaml"), "--out", tmp_path / "out", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    script, training, model, mixture = parse_with_trl(tmp_path / "out" / "trl-sft.yaml")
    t = recipe.training
    assert model.model_name_or_path == "Qwen/Qwen3-1.7B" and model.use_peft
    assert (model.lora_r, model.lora_alpha, model.lora_dropout) == (16, 32, 0.05)
    assert model.lora_target_modules == ["q_proj", "v_proj"]
    assert (training.learning_rate, training.per_device_train_batch_size, training.gradient_accumulation_steps,
            training.num_train_epochs, training.max_length) == (t.learning_rate, 4, 4, 3.0, 2048)
    assert not training.fp16 and not training.bf16 and training.save_steps == 50 and training.eval_steps == 50
    assert training.train_sampling_strategy == "group_by_length" and training.neftune_noise_alpha == 30.0
    assert mixture.datasets[0].path == "json" and mixture.datasets[0].data_files == str(data.resolve())
    assert mixture.test_split_size == 0.1
    assert result["commands"]["trl"] == shlex.join(["trl", "sft", "--config", str(tmp_path / "out" / "trl-sft.yaml")])
    accelerate = shlex.split(result["commands"]["accelerate"])
    assert accelerate[:2] == ["accelerate", "launch"] and accelerate[-4:-2] == ["train", str(tmp_path / "out" /
                                                                                           "recipe.yaml")]
    assert load_recipe(tmp_path / "out" / "recipe.yaml") == recipe  # the toolft YAML round-trips


def test_precision_maps_to_trl_flags():
    from toolft.export import trl_sft_config

    def flags(mode):
        config = trl_sft_config(replace_field(load_recipe("qwen3-1.7b-t4"), "training.mixed_precision", mode), "d", "o")
        return config.get("bf16"), config.get("fp16")

    assert [flags(m) for m in ("fp16", "bf16", "no", "auto")] == [(False, True), (True, False), (False, False),
                                                                  (None, None)]  # auto: TRL decides on the GPU


def test_the_sample_is_written_for_trl_and_tiny_qwen3_is_a_folder(tmp_path):
    proc = cli("export", "tiny-cpu", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    _, training, model, mixture = parse_with_trl(tmp_path / "out" / "trl-sft.yaml")
    sample = tmp_path / "out" / "sample.jsonl"
    assert mixture.datasets[0].data_files == str(sample)
    assert len(sample.read_text().splitlines()) == load_recipe("tiny-cpu").data.sample_rows
    header = (tmp_path / "out" / "trl-sft.yaml").read_text()
    assert header.startswith("# Written by toolft") and "LoRA+" not in header
    # LoRA+ has no trl sft setting: the config says that it trains plain LoRA instead
    plus = save_recipe(replace_field(load_recipe("tiny-cpu"), "lora.loraplus_lr_ratio", 8.0), tmp_path / "plus.yaml")
    assert cli("export", plus, "--out", tmp_path / "plus").returncode == 0
    assert "LoRA+ (lora.loraplus_lr_ratio 8) has no `trl sft` setting" in (tmp_path / "plus" / "trl-sft.yaml").read_text()
    from pathlib import Path

    assert (Path(model.model_name_or_path) / "config.json").is_file()  # TRL cannot know the name tiny-qwen3
    bad = save_recipe(replace_field(load_recipe("tiny-cpu"), "data.train_file", str(tmp_path / "no.jsonl")),
                      tmp_path / "bad.yaml")
    proc = cli("export", bad, "--out", tmp_path / "y")
    assert proc.returncode == 2 and "data.train_file: file not found" in proc.stderr
