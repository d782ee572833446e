"""Tests for toolft.plan: parameter counts, step arithmetic, memory estimate, config lookup.

Everything runs offline on the meta device: no weights are downloaded or built.
"""

import json
import math
from pathlib import Path

import pytest

from toolft.plan import KNOWN_CONFIGS, count_params, count_rows, model_config, plan
from toolft.recipe import Recipe, load_recipe, replace_field


@pytest.fixture(autouse=True)
def _offline_and_unbuilt(tmp_path, monkeypatch):
    """No Hub access and an empty models folder, so tiny-qwen3 is never built here."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def lora_closed_form(cfg: dict, r: int) -> int:
    """r * (in + out) summed over q, k, v, o, gate, up, down in every layer."""
    h, m, d = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    per_layer = (h + q) + 2 * (h + kv) + (q + h) + 2 * (h + m) + (m + h)
    return r * per_layer * cfg["num_hidden_layers"]


def base_closed_form(cfg: dict) -> int:
    """Embeddings (tied with lm_head, so once), per-layer projections and norms, final norm."""
    h, m, d = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    attention = h * q + 2 * h * kv + q * h + 2 * d  # + q_norm, k_norm
    per_layer = attention + 3 * h * m + 2 * h       # + two RMSNorms
    embeddings = cfg["vocab_size"] * h * (1 if cfg.get("tie_word_embeddings", True) else 2)  # an untied lm_head too
    return embeddings + cfg["num_hidden_layers"] * per_layer + h


def recipe_with(**settings) -> Recipe:
    recipe = Recipe()
    for path, value in settings.items():
        recipe = replace_field(recipe, path.replace("__", "."), value)
    return recipe


def test_qwen3_1_7b_preset_counts():
    p = plan(load_recipe("qwen3-1.7b-t4"))
    cfg = KNOWN_CONFIGS["Qwen/Qwen3-1.7B"]
    assert p["trainable_params"] == lora_closed_form(cfg, 16) == 17_432_576
    assert p["total_params"] == base_closed_form(cfg)
    # In memory the tied embedding exists once: 1.72e9. (The Hub's "2.03B" counts the
    # checkpoint's separately stored lm_head copy, which loading ties away.)
    assert abs(p["total_params"] - 1.72e9) / 1.72e9 < 0.01
    assert p["rows"] == 2000 and p["train_rows"] == 1800 and p["eval_rows"] == 200
    assert p["effective_batch"] == 16
    assert p["steps_per_epoch"] == math.ceil(math.ceil(1800 / 4) / 4) == 113
    assert p["total_steps"] == 339 and p["warmup_steps"] == 34
    assert p["trainable_percent"] == round(100 * 17_432_576 / (p["total_params"] + 17_432_576), 2)
    assert set(p["memory_gb"]) == {"weights", "adapter_and_optimizer", "activations", "logits", "overhead", "total"}
    assert p["memory_gb"]["total"] == pytest.approx(sum(v for k, v in p["memory_gb"].items() if k != "total"), abs=0.02)
    assert "estimate" in p["memory_note"] and "peak" in p["memory_note"]
    # the seed's claim: LoRA with gradient checkpointing fits a T4, full fine-tuning of the same model does not
    assert p["fits"]["T4"] is True and p["full_finetune"]["fits"]["T4"] is False
    assert p["full_finetune"]["memory_gb"]["T4"] > 16 * p["total_params"] / 1024 ** 3
    json.dumps(p)  # JSON-ready


def test_fits_time_and_cost_per_gpu():
    from toolft.plan import GPUS, UTILISATION

    p = plan(load_recipe("qwen3-1.7b-t4"))
    assert set(p["fits"]) == set(p["hours"]) == set(GPUS) == set(p["full_finetune"]["fits"])
    # FLOPs: 6 x params a token with checkpointing, every row at max_length; at the stated utilisation of the peak
    tokens = p["total_steps"] * p["effective_batch"] * p["max_length"]
    assert p["hours"]["T4"] == round(tokens * p["total_params"] * 6 / (65e12 * UTILISATION) / 3600, 2)
    assert p["hours"]["H100-80GB"] < p["hours"]["A100-80GB"] < p["hours"]["T4"]
    # the H100 is timed at the utilisation measured on an H200 (bench/gpu_memory.py), the others at the assumed one
    assert p["gpus"]["H100-80GB"]["utilisation_measured"] and not p["gpus"]["T4"]["utilisation_measured"]
    assert p["hours"]["H100-80GB"] == round(tokens * p["total_params"] * 6 / (989e12 * 0.18) / 3600, 2)
    assert p["cost_usd"]["T4"] == round(p["hours"]["T4"] * GPUS["T4"].usd_per_hour, 2)
    assert "A100-40GB" not in p["cost_usd"] and "huggingface.co/pricing" in p["time_note"]
    no_ckpt = plan(replace_field(load_recipe("qwen3-1.7b-t4"), "training.gradient_checkpointing", False))
    assert no_ckpt["hours"]["T4"] == pytest.approx(p["hours"]["T4"] * 4 / 6, abs=0.02)
    big = plan(replace_field(load_recipe("qwen3-4b-l4"), "training.per_device_train_batch_size", 64))
    assert big["fits"]["T4"] is False and big["fits"]["H100-80GB"] is True


def test_every_preset_file_is_valid_and_plans():
    from toolft.recipe import preset_names

    names = preset_names()  # every .yaml under toolft/presets
    assert {"tiny-cpu", "qwen3-1.7b-t4", "qwen3-0.6b-t4", "qwen3-4b-l4"} <= set(names)
    for name in names:
        recipe = load_recipe(name)  # raises on any schema problem
        assert recipe.name == name and recipe.validate() == []
        p = plan(recipe)
        assert p["total_steps"] > 0 and p["trainable_params"] > 0
        if name != "tiny-cpu":
            gpu = {"qwen3-1.7b-t4": "T4", "qwen3-0.6b-t4": "T4", "qwen3-4b-l4": "L4"}[name]
            assert p["fits"][gpu], (name, p["memory_gb"])


def test_other_known_sizes_plan_offline():
    for name in ("Qwen/Qwen3-0.6B", "Qwen/Qwen3-4B", "Qwen/Qwen3-8B"):
        config = model_config(name)
        total, trainable = count_params(config, 8, "all-linear")
        assert total == base_closed_form(KNOWN_CONFIGS[name])
        assert trainable == lora_closed_form(KNOWN_CONFIGS[name], 8)


def test_steps_arithmetic_and_max_steps_override():
    recipe = recipe_with(data__eval_fraction=0.1, training__per_device_train_batch_size=4,
                         training__gradient_accumulation_steps=2, training__num_train_epochs=3.0,
                         training__warmup_ratio=0.1)
    p = plan(recipe, rows=100)
    assert (p["rows"], p["train_rows"], p["eval_rows"]) == (100, 90, 10)
    assert p["effective_batch"] == 8
    assert p["steps_per_epoch"] == 12           # ceil(ceil(90 / 4) / 2) = ceil(23 / 2)
    assert p["total_steps"] == 36
    assert p["warmup_steps"] == 4               # ceil(3.6)
    capped = plan(replace_field(recipe, "training.max_steps", 10), rows=100)
    assert capped["total_steps"] == 10 and capped["warmup_steps"] == 1
    half = plan(replace_field(recipe, "training.num_train_epochs", 0.5), rows=100)
    assert half["total_steps"] == 6


def test_split_matches_split_records_edge_cases():
    from toolft.data.records import split_records

    for n, fraction in [(2, 0.05), (5, 0.1), (37, 0.25), (10, 0.0), (1, 0.3)]:
        train, ev = split_records(list(range(n)), fraction, seed=0)
        p = plan(recipe_with(data__eval_fraction=fraction), rows=n)
        assert (p["train_rows"], p["eval_rows"]) == (len(train), len(ev))


def test_rank_scales_trainable_and_target_list_is_smaller():
    config = model_config("Qwen/Qwen3-0.6B")
    total, r8 = count_params(config, 8, "all-linear")
    assert count_params(config, 16, "all-linear") == (total, 2 * r8)
    _, qv = count_params(config, 8, "q_proj, v_proj")
    cfg = KNOWN_CONFIGS["Qwen/Qwen3-0.6B"]
    q, kv = cfg["num_attention_heads"] * cfg["head_dim"], cfg["num_key_value_heads"] * cfg["head_dim"]
    assert qv == 8 * cfg["num_hidden_layers"] * ((cfg["hidden_size"] + q) + (cfg["hidden_size"] + kv))
    assert 0 < qv < r8
    with pytest.raises(ValueError, match="match no linear layer"):
        count_params(config, 8, "lm_head_typo")


def test_gradient_checkpointing_lowers_activations():
    recipe = load_recipe("qwen3-1.7b-t4")
    on = plan(recipe, rows=100)["memory_gb"]
    off = plan(replace_field(recipe, "training.gradient_checkpointing", False), rows=100)["memory_gb"]
    assert on["activations"] < off["activations"]
    assert on["weights"] == off["weights"] and on["total"] < off["total"]
    longer = plan(replace_field(recipe, "training.max_length", 4096), rows=100)["memory_gb"]
    assert longer["activations"] > on["activations"]


def test_dtype_sets_weight_bytes():
    recipe = load_recipe("qwen3-1.7b-t4")
    fp32 = plan(replace_field(recipe, "model.dtype", "float32"), rows=10)
    fp16 = plan(replace_field(recipe, "model.dtype", "float16"), rows=10)
    assert (fp32["dtype"], fp16["dtype"]) == ("float32", "float16")
    assert fp32["memory_gb"]["weights"] == pytest.approx(2 * fp16["memory_gb"]["weights"], abs=0.02)
    assert fp16["memory_gb"]["weights"] == round(fp16["total_params"] * 2 / 1024 ** 3, 2)
    assert plan(recipe, rows=10)["dtype"] in ("float32", "float16", "bfloat16")


def test_local_folder_config_is_read(tmp_path):
    from transformers import Qwen3Config

    folder = tmp_path / "my-model"
    Qwen3Config(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                tie_word_embeddings=True).save_pretrained(folder)
    p = plan(recipe_with(model__name_or_path=str(folder)), rows=20)
    assert p["model"] == str(folder)
    # per layer r * [(64+64) + 2(64+32) + (64+64) + 2(64+128) + (128+64)]
    assert p["trainable_params"] == 16 * 2 * (128 + 192 + 128 + 384 + 192)
    with pytest.raises(ValueError, match="cannot read the model config of"):
        model_config(str(tmp_path))  # a folder without config.json


def test_unknown_uncached_hub_id_raises_clear_error():
    with pytest.raises(ValueError) as info:
        model_config("nobody-toolft/not-a-real-model")
    message = str(info.value)
    assert message.startswith("cannot read the model config of nobody-toolft/not-a-real-model:")
    assert "Qwen/Qwen3-1.7B" in message  # says what does work offline


def test_tiny_qwen3_without_and_with_a_build(tmp_path):
    from toolft.tiny import TinySpec, tiny_model_dir

    spec = TinySpec()
    unbuilt = plan(Recipe(), rows=50)          # default recipe: tiny-qwen3, nothing built
    assert not (tiny_model_dir() / "model.safetensors").exists()
    config = model_config("tiny-qwen3")
    assert (config.vocab_size, config.hidden_size, config.tie_word_embeddings) == (spec.vocab_size, spec.hidden_size, True)
    assert 0 < unbuilt["trainable_params"] < unbuilt["total_params"]

    from transformers import Qwen3Config

    built = Qwen3Config(vocab_size=spec.vocab_size + 6, hidden_size=spec.hidden_size,
                        intermediate_size=spec.intermediate_size, num_hidden_layers=spec.num_hidden_layers,
                        num_attention_heads=spec.num_attention_heads, num_key_value_heads=spec.num_key_value_heads,
                        head_dim=spec.head_dim, tie_word_embeddings=True)
    built.save_pretrained(tiny_model_dir())
    assert model_config("tiny-qwen3").vocab_size == spec.vocab_size + 6
    after = plan(Recipe(), rows=50)
    assert after["total_params"] == unbuilt["total_params"] + 6 * spec.hidden_size
    assert after["trainable_params"] == unbuilt["trainable_params"]


def test_count_rows_sample_and_files(tmp_path):
    assert count_rows(recipe_with(data__sample_rows=321)) == 321
    good = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join([json.dumps(good)] * 3 + ["{broken"]) + "\n", encoding="utf-8")
    recipe = recipe_with(data__train_file=str(path))
    assert count_rows(recipe) == 3
    assert plan(recipe)["rows"] == 3
    with pytest.raises(ValueError, match="file not found"):
        count_rows(recipe_with(data__train_file=str(tmp_path / "missing.jsonl")))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{broken\n", encoding="utf-8")
    with pytest.raises(ValueError, match="none of its 1 rows is valid"):
        count_rows(recipe_with(data__train_file=str(bad)))


def test_memory_estimate_matches_the_gpu_measurements():
    """The estimate against peak memory measured on an H200 by bench/gpu_memory.py (LoRA on Qwen3-0.6B to 8B,
    checkpointing on and off): within -5% / +12% of each measured peak, context and fragmentation included."""
    from toolft.plan import lora_input_width, memory_estimate, model_config

    measured = json.loads((Path(__file__).parent.parent / "bench/results/gpu_memory_h200.json").read_text())
    assert len(measured) >= 7 and {r["model"] for r in measured} >= {"Qwen/Qwen3-1.7B", "Qwen/Qwen3-8B"}
    assert {r["checkpointing"] for r in measured} == {True, False}
    for r in measured:
        config = model_config(r["model"])
        estimate = memory_estimate(config, r["total_params"], r["trainable_params"], r["dtype"], r["batch"],
                                   r["max_length"], r["checkpointing"], lora_input_width(config, "all-linear"))
        assert 0.95 <= estimate["total"] / r["peak_gib"] <= 1.12, (r["label"], estimate, r["peak_gib"])
        assert estimate["weights"] == pytest.approx(r["weights_gib"], rel=0.02)


def test_time_comes_from_the_real_rows_token_lengths_when_the_tokenizer_is_here():
    from toolft.plan import UTILISATION, padded_tokens_per_row, training_lengths
    from toolft.train import load_training_rows

    recipe = load_recipe("tiny-cpu")
    lengths, note = training_lengths(recipe)
    assert len(lengths) == len(load_training_rows(recipe)[0]) and "tiny-qwen3's tokenizer" in note
    p = plan(recipe)
    assert p["length_source"] == "measured" and p["mean_row_tokens"] == round(sum(lengths) / len(lengths), 1)
    # padding to each batch's longest row costs more than the mean and less than max_length
    assert p["mean_row_tokens"] < p["tokens_per_row"] < p["max_length"]
    tokens = p["total_steps"] * p["effective_batch"] * p["tokens_per_row"]
    assert p["hours"]["T4"] == round(tokens * p["total_params"] * 4 / (65e12 * UTILISATION) / 3600, 2)
    # one row per batch: no padding at all, each row at its own length (cut at max_length)
    assert padded_tokens_per_row(lengths, 1, 10_000) == round(sum(lengths) / len(lengths), 1)
    assert padded_tokens_per_row(lengths, 4, 64) == 64.0

def test_length_grouped_padding_follows_transformers_own_sampler():
    import torch
    from transformers.trainer_pt_utils import get_length_grouped_indices

    from toolft.plan import padded_tokens_per_row, training_lengths

    recipe = load_recipe("tiny-cpu")
    lengths = training_lengths(recipe)[0]
    theirs = []
    for seed in range(8):  # the order the Trainer's LengthGroupedSampler draws, batches of 4 cut from it
        order = [lengths[i] for i in get_length_grouped_indices(lengths, 4, generator=torch.Generator().manual_seed(seed))]
        theirs.append(sum(max(order[i:i + 4]) * len(order[i:i + 4]) for i in range(0, len(order), 4)) / len(order))
    ours = padded_tokens_per_row(lengths, 4, 1024, group_by_length=True, rounds=8)
    assert ours == pytest.approx(sum(theirs) / len(theirs), rel=0.02)
    assert sum(lengths) / len(lengths) <= ours < 0.9 * padded_tokens_per_row(lengths, 4, 1024)
    grouped = plan(replace_field(recipe, "training.group_by_length", True))
    assert grouped["tokens_per_row"] < plan(replace_field(recipe, "training.group_by_length", False))["tokens_per_row"]
    assert "length-grouped batch" in grouped["time_note"]


def test_token_lengths_fall_back_to_max_length_and_are_counted_again_when_things_change(tmp_path, monkeypatch):
    import toolft.modeling
    from toolft.data.files import write_jsonl
    from toolft.data.sample import generate_sample
    from toolft.plan import training_lengths

    real = toolft.modeling.load_tokenizer

    def offline(name):
        raise OSError(f"We couldn't connect to 'https://huggingface.co' to load {name}")

    # a Hub model whose tokenizer is not here (offline): every row at max_length, and the plan says why
    monkeypatch.setattr(toolft.modeling, "load_tokenizer", offline)
    seed = plan(load_recipe("qwen3-1.7b-t4"))
    assert seed["length_source"] == "max_length" and seed["tokens_per_row"] == 2048
    assert "not available here" in seed["length_note"] and "max_length" in seed["time_note"]
    # a failure is not remembered: once the tokenizer is here, the same recipe is measured
    rows = tmp_path / "rows.jsonl"
    write_jsonl(generate_sample(40, seed=3), rows)
    recipe = replace_field(replace_field(load_recipe("tiny-cpu"), "data.train_file", str(rows)), "data.eval_fraction", 0.2)
    assert training_lengths(recipe)[0] is None
    monkeypatch.setattr(toolft.modeling, "load_tokenizer", real)
    first = training_lengths(recipe)[0]
    assert first is not None and len(first) == 32  # 40 rows less 20% held out
    # a rewritten file is counted again (its stamp changed), not served from the cache
    write_jsonl(generate_sample(60, seed=3), rows)
    assert len(training_lengths(recipe)[0]) == 48  # 60 rows less 20%
