"""The training entry point: data preparation, config mapping, and a real run through the CLI."""

import json

import pytest

from tests.conftest import cli, run_cli
from toolft.modeling import cpu_has_bf16
from toolft.recipe import load_recipe, replace_field, save_recipe
from toolft.runfolder import RunFolder
from toolft.train import lora_config, sft_config, to_dataset

ROW = {
    "messages": [
        {"role": "user", "content": "Weather in Oslo and read a.txt"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
            {"type": "function", "function": {"name": "read_file", "arguments": {"path": "a.txt", "n": 3}}}]},
        {"role": "tool", "name": "get_weather", "content": "{\"temp\": 3}"},
        {"role": "tool", "name": "read_file", "content": "hello"},
        {"role": "assistant", "content": "It is 3 degrees; a.txt says hello."},
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
              {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}],
}


def test_dataset_of_mixed_shapes_and_id_types_trains_what_the_template_renders(tiny_model_path):
    """Arguments of different shapes and ids of mixed types (int in one row, str in another) used to break
    Arrow (ArrowInvalid) or gain null keys; pre-tokenised rows never give Arrow anything but ints."""
    from toolft.modeling import load_tokenizer

    other = json.loads(json.dumps(ROW))
    other["messages"][1]["tool_calls"] = [{"type": "function", "id": 7, "function": {
        "name": "get_weather", "arguments": {"unit": "celsius", "days": [1, 2]}}}]
    other["messages"][2] = {"role": "tool", "tool_call_id": 7, "content": "{\"temp\": 3}"}
    del other["messages"][3]
    ROW["messages"][1]["tool_calls"][0]["id"] = "call_a"
    tok = load_tokenizer("tiny-qwen3")
    recipe = load_recipe("tiny-cpu")
    ds = to_dataset([ROW, other], tok, recipe)
    assert ds.column_names == ["input_ids", "labels"] and len(ds) == 2
    trained = tok.decode([t for t in ds[1]["labels"] if t != -100])
    assert '{"name": "get_weather", "arguments": {"unit": "celsius", "days": [1, 2]}}' in trained
    assert "null" not in tok.decode(ds[1]["input_ids"]) and "Weather in Oslo" not in trained
    assert ROW["messages"][1]["tool_calls"][1]["function"]["arguments"] == {"path": "a.txt", "n": 3}  # input untouched


def test_rows_with_nothing_to_train_within_max_length_are_skipped_with_their_line(caplog):
    from toolft.modeling import load_tokenizer

    from toolft.data.render import row_lengths

    tok = load_tokenizer("tiny-qwen3")
    limit = row_lengths(tok, [ROW])[0].first_trained + 5  # ROW keeps a few trained tokens
    recipe = replace_field(load_recipe("tiny-cpu"), "training.max_length", limit)
    long_prompt = json.loads(json.dumps(ROW))
    long_prompt["messages"][0]["content"] = "please " * 200
    with caplog.at_level("WARNING", logger="toolft.train"):
        ds = to_dataset([ROW, long_prompt], tok, recipe, lines=[3, 8])
    assert len(ds) == 1
    assert f"line 8: no trained token within max_length {limit} (row skipped)" in caplog.text
    assert "line 3" not in caplog.text


def test_sft_config_maps_the_recipe_on_cpu(tmp_path):
    recipe = load_recipe("qwen3-1.7b-t4")
    cfg = sft_config(recipe, tmp_path, has_eval=True)
    assert cfg.learning_rate == 2e-4 and cfg.per_device_train_batch_size == 4
    assert cfg.gradient_accumulation_steps == 4 and cfg.num_train_epochs == 3
    assert cfg.warmup_steps == 0.1 and cfg.max_length == 2048 and cfg.activation_checkpointing
    assert not cfg.packing
    assert not cfg.assistant_only_loss  # the rows arrive with their labels masked by toolft.data.render
    assert cfg.use_cpu and not cfg.fp16  # no GPU here: fp16 autocast is never used
    assert cfg.bf16 == cpu_has_bf16()  # auto: bf16 only where this CPU computes it natively
    assert cfg.eval_strategy == "epoch"
    assert cfg.train_sampling_strategy == "random"  # the seed recipe's order; grouping by length is opt-in
    assert sft_config(replace_field(recipe, "training.group_by_length", True), tmp_path,
                      True).train_sampling_strategy == "group_by_length"
    assert not sft_config(replace_field(recipe, "training.mixed_precision", "no"), tmp_path, True).bf16
    with pytest.raises(ValueError, match="fp16 needs a CUDA GPU"):
        sft_config(replace_field(recipe, "training.mixed_precision", "fp16"), tmp_path, True)


def test_length_grouped_batches_carry_less_padding(tmp_path, tiny_model_path):
    from trl import SFTTrainer

    from toolft.data.sample import generate_sample
    from toolft.modeling import load_base_model, load_tokenizer

    tok = load_tokenizer("tiny-qwen3")
    rows = generate_sample(160, seed=3)
    padding = {}
    for grouped in (False, True):
        recipe = replace_field(load_recipe("tiny-cpu"), "training.group_by_length", grouped)
        trainer = SFTTrainer(model=load_base_model("tiny-qwen3", "float32"), args=sft_config(recipe, tmp_path, False),
                             train_dataset=to_dataset(rows, tok, recipe), processing_class=tok)
        masks = [batch["attention_mask"] for batch in trainer.get_train_dataloader()]
        padding[grouped] = 1 - sum(int(m.sum()) for m in masks) / sum(m.numel() for m in masks)
    assert padding[True] < padding[False] / 3  # measured 0.2 vs under 0.05 on these rows


def test_lora_config_targets():
    recipe = load_recipe("qwen3-1.7b-t4")
    cfg = lora_config(recipe)
    assert (cfg.r, cfg.lora_alpha, cfg.lora_dropout, cfg.target_modules) == (16, 32, 0.05, "all-linear")
    listed = lora_config(replace_field(recipe, "lora.target_modules", "q_proj, v_proj"))
    assert set(listed.target_modules) == {"q_proj", "v_proj"}


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_model_path):
    """A real (short) training run of tiny-qwen3 through the CLI, shared by the tests below."""
    root = tmp_path_factory.mktemp("trained")
    recipe = load_recipe("tiny-cpu")
    recipe = replace_field(recipe, "data.sample_rows", 160)
    recipe = replace_field(recipe, "data.eval_fraction", 0.2)  # 32 held out: every kind has a few
    recipe = replace_field(recipe, "training.max_steps", 40)
    recipe = replace_field(recipe, "training.per_device_train_batch_size", 2)  # half the CPU time a step
    recipe = replace_field(recipe, "training.logging_steps", 2)
    recipe_path = save_recipe(recipe, root / "short.yaml")
    run_dir = root / "run"
    proc = run_cli("train", recipe_path, "--run-dir", run_dir, env={"TOOLFT_HOME": str(root / "home")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return RunFolder(run_dir)


def test_cli_training_writes_the_run_folder(trained_run):
    status = trained_run.read_status()
    assert status["state"] == "completed" and status["step"] == 40 and status["total_steps"] == 40
    log = trained_run.log_path.read_text()
    assert (trained_run.path / "recipe.yaml").exists() and "training completed" in log
    assert "step 40/40" in log and "{'loss'" not in log  # each event logged once, not also as a raw dict
    assert (trained_run.adapter_path / "adapter_config.json").exists()
    assert (trained_run.adapter_path / "adapter_model.safetensors").exists()
    assert (trained_run.adapter_path / "tokenizer_config.json").exists()
    held_out = (trained_run.data_dir / "eval.jsonl").read_text().splitlines()
    assert len(held_out) == 32  # 20% of the 160 rows held out
    from toolft.tiny import tiny_model_dir

    assert status["base_model_path"] == str(tiny_model_dir())  # the exact base build the adapter belongs to


def test_metrics_have_falling_loss(trained_run):
    events = trained_run.read_metrics()
    train = [e for e in events if e["event"] == "train"]
    assert len(train) == 20
    for e in train:
        assert {"step", "epoch", "loss", "learning_rate", "grad_norm"} <= set(e)
    assert [e["step"] for e in train] == list(range(2, 41, 2))
    first, last = sum(e["loss"] for e in train[:3]) / 3, sum(e["loss"] for e in train[-3:]) / 3
    assert last < 0.8 * first, (first, last)
    assert any("eval_loss" in e for e in events if e["event"] == "eval")


def test_cli_eval_reports_base_and_finetuned(trained_run):
    proc = run_cli("eval", "--run-dir", trained_run.path, "--limit", "6", "--max-new-tokens", "48", "--json",
                   "--verbose")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)  # progress went to stderr: stdout is only JSON
    rows = result["rows"]
    assert len(rows) == 6
    held_out = [json.loads(line) for line in (trained_run.data_dir / "eval.jsonl").read_text().splitlines()][:6]
    for row, record in zip(rows, held_out):  # --verbose keeps each row's line, gold answer and both raw texts
        reference = next(m for m in record["messages"] if m["role"] == "assistant")
        assert row["expected"]["calls"] == [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                                            for c in reference.get("tool_calls") or []]
        assert isinstance(row["line"], int) and isinstance(row["base"]["text"], str)
        assert isinstance(row["finetuned"]["text"], str) and isinstance(row["finetuned"]["valid"], bool)
    wanted = [r for r in rows if r["expected"]["calls"]]
    for side in ("base", "finetuned"):
        overall = result[side]["overall"]
        assert overall["n"] == 6 and overall["n_full_call_accuracy"] == len(wanted) >= 1
        assert overall["n_over_calling_rate"] == 6 - len(wanted)
        assert set(result[side]["by_kind"]) == {"single_call", "parallel_calls", "multi_step", "clarification",
                                                "refusal", "no_tool"}
    assert result["base"]["overall"]["call_rate"] == 0.0  # the base never saw a call
    assert all("<tool_call>" not in r["base"]["text"] for r in rows)
    text = run_cli("eval", "--run-dir", trained_run.path, "--limit", "2", "--max-new-tokens", "8")
    assert text.returncode == 0 and "full-call accuracy (right tool and right arguments)" in text.stdout


def test_the_curves_of_a_real_tiny_run_read_as_learning(trained_run):
    from toolft.diagnose import diagnose

    result = diagnose(trained_run.read_metrics())
    names = [v["verdict"] for v in result["verdicts"]]
    assert names[0] in ("learning", "plateau") and not {"diverging", "not_learning"} & set(names)
    assert result["train_points"] == 20


def test_bad_recipe_fails_with_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  learning_rate: -1\n  lerning_rate: 2\n")
    proc = run_cli("train", bad, "--run-dir", tmp_path / "run")
    assert proc.returncode == 2
    assert "training.learning_rate" in proc.stderr and "lerning_rate" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_local_folder_with_qwen3s_own_template_trains(tmp_path, tiny_model_path):
    """The Qwen/Qwen3-1.7B path, offline: a local folder in the Hub layout whose tokenizer
    carries Qwen3's real chat template (no generation markers). TRL must swap in its
    training template so assistant-only loss works, exactly as for the real model."""
    import shutil

    from transformers import AutoTokenizer
    from trl.chat_template_utils import has_generation_markers, qwen3_chat_template

    folder = tmp_path / "Qwen3-local"
    shutil.copytree(tiny_model_path, folder)
    tok = AutoTokenizer.from_pretrained(folder)
    tok.chat_template = qwen3_chat_template
    tok.save_pretrained(folder)
    assert not has_generation_markers(AutoTokenizer.from_pretrained(folder).chat_template)

    recipe = load_recipe("tiny-cpu")
    for key, value in [("model.name_or_path", str(folder)), ("data.sample_rows", 40), ("training.max_steps", 3),
                       ("training.logging_steps", 1), ("data.eval_fraction", 0.0)]:
        recipe = replace_field(recipe, key, value)
    recipe_path = save_recipe(recipe, tmp_path / "local.yaml")
    proc = run_cli("train", recipe_path, "--run-dir", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = RunFolder(tmp_path / "run")
    assert run.read_status()["state"] == "completed" and run.has_adapter()
    assert [e["step"] for e in run.read_metrics() if e["event"] == "train"] == [1, 2, 3]


def test_every_valid_fixture_row_builds_the_training_dataset(tiny_model_path):
    """Whatever passes the check trains: the rows of every format test, the reported kinds and the sample
    go through check_rows and then the training Dataset build without an error (Arrow included)."""
    from tests.data import test_formats, test_lint
    from toolft.data.records import check_rows
    from toolft.data.sample import generate_sample
    from toolft.modeling import load_tokenizer

    sources = [source for _, source, _ in test_formats.CASES]
    sources += [value for name, value in vars(test_lint).items() if name.isupper() and isinstance(value, dict)
                and "messages" in value]
    sources += generate_sample(30, seed=9) + generate_sample(30, seed=9, pools="heldout")
    result = check_rows([(i, row, None) for i, row in enumerate(sources, start=1)])
    assert len(result.records) >= len(test_formats.CASES) - 5  # a few format cases are meant to lint with errors
    ds = to_dataset(result.records, load_tokenizer("tiny-qwen3"), load_recipe("tiny-cpu"), result.lines)
    assert len(ds) == len(result.records)
    assert all(any(label != -100 for label in row) for row in ds["labels"])


def test_train_refuses_a_template_that_cannot_mask_before_loading_the_model(tmp_path, template_model):
    """Gemma 4's template has no generation markers and TRL has no training template for it: assistant-only
    loss is refused at once, naming the model and the setting, and no run folder is written."""
    recipe = load_recipe("tiny-cpu")
    folder = template_model("gemma4")
    for key, value in [("model.name_or_path", str(folder)), ("data.sample_rows", 20)]:
        recipe = replace_field(recipe, key, value)
    proc = cli("train", save_recipe(recipe, tmp_path / "gemma.yaml"), "--run-dir", tmp_path / "run")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: model.name_or_path: {folder}'s chat template has no {{% generation %}}")
    assert "training.assistant_only_loss: false" in proc.stderr
    assert not (tmp_path / "run").exists()


def test_trl_scores_only_trained_positions_on_cpu_with_the_same_loss_and_gradients(tiny_model_path, monkeypatch):
    """The fused LM head's compact path on CPU: fewer positions projected, same loss, metrics and LoRA gradients."""
    import torch
    from peft import get_peft_model
    from trl.kernels import chunked_logprob
    from trl.trainer import utils as trl_utils

    from toolft.data.sample import generate_sample
    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.recipe import load_recipe
    from toolft.train import score_trained_positions_only

    # TRL's own device check (restored after the test), whatever an earlier in-process run switched
    monkeypatch.setattr(trl_utils, "_use_triton", chunked_logprob._use_triton)
    recipe = load_recipe("tiny-cpu")
    tokenizer = load_tokenizer(str(tiny_model_path))
    rows = to_dataset(generate_sample(3, seed=5), tokenizer, recipe)
    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.tensor([r["input_ids"] + [0] * (width - len(r["input_ids"])) for r in rows])
    labels = torch.tensor([r["labels"] + [-100] * (width - len(r["labels"])) for r in rows])
    mask = torch.tensor([[1] * len(r["input_ids"]) + [0] * (width - len(r["input_ids"])) for r in rows])
    trained = int((labels[:, 1:] != -100).sum())
    assert 0 < trained < ids[:, 1:].numel() // 2  # assistant-only loss: most positions are prompt

    torch.manual_seed(0)
    model = get_peft_model(load_base_model(str(tiny_model_path), "float32").to("cpu"), lora_config(recipe))
    for name, p in model.named_parameters():  # B starts at zero: make the adapter's gradients non-trivial
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)
    trl_utils.add_fused_lm_head(model.get_base_model(), outputs=("log_probs", "entropy", "is_top1"))
    projected = []
    apply = trl_utils._ChunkedLogProbFunction.apply
    monkeypatch.setattr(trl_utils._ChunkedLogProbFunction, "apply",
                        lambda hidden, *rest: projected.append(hidden.shape[0]) or apply(hidden, *rest))

    def step(labels):
        model.zero_grad()
        out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
        out.loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        return out, grads

    every, grads_every = step(labels)
    assert score_trained_positions_only()
    switched = trl_utils._use_triton
    assert score_trained_positions_only() and trl_utils._use_triton is switched  # idempotent
    compact, grads_compact = step(labels)
    assert projected == [ids[:, 1:].numel(), trained]
    assert torch.allclose(every.loss, compact.loss, atol=1e-6)
    assert torch.allclose(every.log_probs, compact.log_probs, atol=1e-5)
    assert torch.allclose(every.entropy, compact.entropy, atol=1e-5)
    assert torch.equal(every.is_top1, compact.is_top1)  # TRL's mean_token_accuracy
    assert grads_every.keys() == grads_compact.keys() and any("lora_A" in n for n in grads_every)
    for name, grad in grads_every.items():
        assert torch.allclose(grad, grads_compact[name], atol=1e-5, rtol=1e-4), name
    # a batch with nothing to train (all prompt) is a zero loss, not an error
    nothing, _ = step(torch.full_like(labels, -100))
    assert float(nothing.loss.detach()) == 0.0
    # only the decision between the two paths changed: other devices, and the kernel's own check, did not
    assert not trl_utils._use_triton(torch.device("mps")) and not chunked_logprob._use_triton(torch.device("cpu"))


def test_loraplus_gives_the_b_matrices_ratio_times_the_learning_rate(tmp_path, tiny_model_path):
    """LoRA+ (lora.loraplus_lr_ratio): every B matrix in a group at ratio x lr, every A matrix at lr; after a
    step the B matrices have moved off zero; plain LoRA (ratio 1) keeps TRL's own trainer and one rate."""
    from trl import SFTTrainer

    from toolft.data.sample import generate_sample
    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.train import trainer_class

    recipe = replace_field(replace_field(load_recipe("tiny-cpu"), "model.name_or_path", str(tiny_model_path)),
                           "training.max_steps", 3)  # the first step's rate is 0 (warm-up)
    tokenizer = load_tokenizer(str(tiny_model_path))
    rows = to_dataset(generate_sample(8, seed=2), tokenizer, recipe)

    def trainer(ratio):
        recipe_r = replace_field(recipe, "lora.loraplus_lr_ratio", ratio)
        return trainer_class(ratio)(model=load_base_model(str(tiny_model_path), "float32"),
                                    args=sft_config(recipe_r, tmp_path / str(ratio), has_eval=False),
                                    train_dataset=rows, processing_class=tokenizer, peft_config=lora_config(recipe_r))

    assert trainer_class(1.0) is SFTTrainer
    plus = trainer(8.0)
    optimizer = plus.create_optimizer()
    names = {id(p): n for n, p in plus.model.named_parameters()}
    rates = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            rates[names[id(p)]] = group["lr"]
    lr = recipe.training.learning_rate
    b = [n for n in rates if "lora_B" in n]
    a = [n for n in rates if "lora_A" in n]
    assert len(a) == len(b) > 0 and len(rates) == len(a) + len(b)  # only adapter weights train
    assert {rates[n] for n in b} == {lr * 8} and {rates[n] for n in a} == {lr}
    plus.train()
    assert getattr(plus.optimizer, "optimizer", plus.optimizer) is optimizer  # kept, wrapped by accelerate
    assert all(float(p.detach().abs().sum()) > 0 for n, p in plus.model.named_parameters() if "lora_B" in n)
    plain = trainer(1.0).create_optimizer()
    assert {g["lr"] for g in plain.param_groups if g["params"]} == {lr}


def test_neftune_noise_reaches_the_embeddings_in_training_only(tmp_path, tiny_model_path):
    """training.neftune_noise_alpha: while the trainer trains, what the first decoder layer reads is the embedding
    plus uniform noise within +-alpha / sqrt(padded length x hidden) (NEFTune, arXiv 2310.05914); after training
    the model embeds without noise. Alpha 0 is off: transformers adds noise for any alpha that is not None."""
    import math

    import torch
    from trl import SFTTrainer

    from toolft.data.sample import generate_sample
    from toolft.modeling import load_base_model, load_tokenizer

    recipe = replace_field(replace_field(load_recipe("tiny-cpu"), "model.name_or_path", str(tiny_model_path)),
                           "training.max_steps", 1)
    assert sft_config(recipe, tmp_path, has_eval=False).neftune_noise_alpha is None  # the default, 0: off
    recipe = replace_field(recipe, "training.neftune_noise_alpha", 30.0)
    tokenizer = load_tokenizer(str(tiny_model_path))
    rows = to_dataset(generate_sample(4, seed=4), tokenizer, recipe)
    model = load_base_model(str(tiny_model_path), "float32")
    weight = model.get_input_embeddings().weight.detach().clone()
    seen, ids = [], []  # (input ids, what layer 0 reads) of each forward pass
    model.get_input_embeddings().register_forward_hook(lambda module, args, out: ids.append(args[0]))
    model.model.layers[0].register_forward_pre_hook(
        lambda module, args, kwargs: seen.append((ids[-1], (args[0] if args else kwargs["hidden_states"]).detach())),
        with_kwargs=True)
    trainer = SFTTrainer(model=model, args=sft_config(recipe, tmp_path, has_eval=False), train_dataset=rows,
                         processing_class=tokenizer, peft_config=lora_config(recipe))
    assert trainer.args.neftune_noise_alpha == 30.0
    trainer.train()
    assert len(seen) == 1  # one forward pass, one step
    batch_ids, hidden = seen[0]
    bound = 30.0 / math.sqrt(batch_ids.shape[1] * weight.shape[1])
    noise = (hidden.float() - weight[batch_ids]).abs()
    assert 0.5 * bound < float(noise.max()) <= bound + 1e-6  # uniform in +-bound over ~10^5 numbers: max near bound
    seen.clear()
    trainer.model.train()  # training mode, so only a removed hook explains an embedding without noise
    with torch.no_grad():
        trainer.model(input_ids=torch.tensor([rows[0]["input_ids"]]))
    batch_ids, hidden = seen[-1]
    assert torch.equal(hidden, weight[batch_ids])  # after training: the embeddings as they are
