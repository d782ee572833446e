"""Push a run's adapter to a Hub model repo (the real huggingface_hub client against the fake Hub): private by
default, with a model card written from the run (base model, data, recipe, losses, scorecard, usage with the
vLLM tool-call parser), and a token that never shows in what the user sees."""

import json

import yaml

from tests.conftest import cli, write_adapter_run
from toolft.data.files import write_jsonl
from toolft.data.sample import generate_sample
from toolft.home import runs_dir
from toolft.hub_push import PushError, model_card, push_adapter

SECRET = "hf_fakePushToken0123456789abc"


def finished_run():
    run = write_adapter_run(runs_dir() / "20261130-100000-tools")
    run.write_status(state="completed", step=40, total_steps=40)
    write_jsonl(generate_sample(30, seed=5), run.data_dir / "train.jsonl")
    write_jsonl(generate_sample(6, seed=6, pools="heldout"), run.data_dir / "eval.jsonl")
    for step, loss in ((1, 3.2), (40, 0.41)):
        run.append_metrics({"event": "train", "step": step, "loss": loss})
    run.append_metrics({"event": "eval", "step": 40, "eval_loss": 0.52})
    card = {"base": {"overall": {"n": 6, "full_call_accuracy": 0.0, "accuracy": 0.17}},
            "finetuned": {"overall": {"n": 6, "full_call_accuracy": 0.5, "n_full_call_accuracy": 4, "accuracy": 0.67}}}
    (run.path / "scorecard.json").write_text(json.dumps(card))
    return run


def test_the_model_card_is_written_from_the_run(tiny_model_path):
    run = finished_run()
    card = model_card(run, "ada/tiny-tools")
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["base_model"] == "tiny-qwen3" and meta["library_name"] == "peft" and "tool-calling" in meta["tags"]
    assert "30 training rows and 6 held out" in card and "single call" in card
    assert "final train loss 0.41, final eval loss 0.52 (best 0.52)" in card and "Steps: 40 of 40" in card
    assert "LoRA rank 16" in card and "name: tiny-cpu" in card  # the recipe, in full
    assert "| right tool and right arguments | 0.00 | 0.50 | 4 |" in card
    assert 'PeftModel.from_pretrained(base, "ada/tiny-tools")' in card
    assert "--enable-auto-tool-choice --tool-call-parser hermes" in card  # <tool_call> JSON blocks
    assert "LoRA+" not in card  # plain LoRA (ratio 1) says nothing of it


def test_the_model_card_gives_the_loraplus_ratio_of_a_loraplus_run(tiny_model_path):
    from toolft.recipe import load_recipe, replace_field, save_recipe

    run = finished_run()
    save_recipe(replace_field(load_recipe(run.recipe_path), "lora.loraplus_lr_ratio", 8.0), run.recipe_path)
    card = model_card(run, "ada/tiny-tools")
    assert "targets `all-linear`, LoRA+ ratio 8; learning rate" in card and "loraplus_lr_ratio: 8" in card


def test_the_model_card_names_the_data_file_but_never_its_folder(tiny_model_path):
    from toolft.recipe import load_recipe, save_recipe

    run = finished_run()
    recipe = load_recipe(run.recipe_path)
    recipe.data.train_file = str(runs_dir().parent / "uploads" / ("a" * 32) / "mine.jsonl")
    save_recipe(recipe, run.recipe_path)
    card = model_card(run, "ada/tiny-tools")
    assert "train_file: mine.jsonl" in card and "Data: `mine.jsonl`" in card
    assert "uploads" not in card and "a" * 32 not in card and str(runs_dir().parent) not in card
    assert load_recipe(run.recipe_path).data.train_file.endswith("/mine.jsonl")  # the run's own recipe is untouched


def test_push_uploads_adapter_and_card_privately_and_never_shows_the_token(tiny_model_path, hub, monkeypatch):
    hub.write_tokens.add(SECRET)
    run = finished_run()
    url = push_adapter(run, "ada/tiny-tools", token=SECRET)
    assert url.endswith("/ada/tiny-tools")
    repo = hub.repos[("model", "ada/tiny-tools")]
    assert repo.private is True
    files = repo.files()
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "README.md"} <= set(files)
    assert files["adapter_model.safetensors"] == (run.adapter_path / "adapter_model.safetensors").read_bytes()
    assert b"base_model: tiny-qwen3" in files["README.md"] and SECRET.encode() not in files["README.md"]
    # a refused token: a readable error without the token, in the library, the CLI and the app
    wrong = "hf_notYoursToken987654321zyx"
    try:
        push_adapter(run, "ada/other", token=wrong)
    except PushError as exc:
        assert "pushing to ada/other failed" in str(exc) and wrong not in str(exc)
    else:
        raise AssertionError("a refused token must fail the push")
    monkeypatch.setenv("HF_TOKEN", wrong)
    out = cli("runs", "push", run.name, "ada/other")
    assert out.returncode == 2 and wrong not in out.stdout + out.stderr
    from toolft.ui.train_tab import push_view

    message = push_view(run.name, "ada/other", False)
    assert message.startswith("**Not pushed:**") and wrong not in message
    monkeypatch.setenv("HF_TOKEN", SECRET)
    out = cli("runs", "push", run.name, "ada/public-tools", "--public")
    assert out.returncode == 0 and hub.repos[("model", "ada/public-tools")].private is False
    assert SECRET not in out.stdout + out.stderr
    assert not any(SECRET in p.read_text(errors="ignore") for p in run.path.rglob("*") if p.is_file()
                   and p.suffix in (".json", ".jsonl", ".log", ".yaml", ".md"))
    assert push_view(run.name, "not a repo", False).startswith("Pick a finished run")


def test_merged_export_keeps_the_base_dtype_tokenizer_and_template_and_answers_like_the_adapter(
        tiny_model_path, tmp_path, hub, monkeypatch):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from toolft.data.sample import TOOLS
    from toolft.hub_push import export_merged
    from toolft.modeling import load_finetuned, load_tokenizer

    run = finished_run()
    out = export_merged(run, tmp_path / "merged")
    assert not (out / "adapter_config.json").exists()  # a standalone model, not an adapter
    assert AutoConfig.from_pretrained(out).dtype == AutoConfig.from_pretrained(tiny_model_path).dtype
    # the same tool prompt renders byte for byte as with the base's tokenizer: a server's parser still fits
    messages = [{"role": "user", "content": "What's the weather in Oslo?"}]
    tools = [TOOLS["get_weather"]]
    exported, base = AutoTokenizer.from_pretrained(out), load_tokenizer("tiny-qwen3")
    render = dict(tools=tools, tokenize=False, add_generation_prompt=True)
    assert exported.apply_chat_template(messages, **render) == base.apply_chat_template(messages, **render)
    # the merged weights answer as base + adapter did
    peft_model, tokenizer = load_finetuned(run.path)
    ids = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, return_tensors="pt",
                                        return_dict=True)["input_ids"]
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, peft_model(input_ids=ids).logits, atol=1e-4)
        with peft_model.disable_adapter():
            assert not torch.allclose(merged(ids).logits, peft_model(input_ids=ids).logits, atol=1e-2)
    # --push uploads the merged folder
    hub.write_tokens.add(SECRET)
    again = cli("runs", "merge", run.name, str(tmp_path / "merged2"), "--push", "ada/tiny-merged")
    assert again.returncode == 2  # no token yet: refused, readable
    monkeypatch.setenv("HF_TOKEN", SECRET)
    pushed = cli("runs", "merge", run.name, str(tmp_path / "merged3"), "--push", "ada/tiny-merged")
    assert pushed.returncode == 0, pushed.stderr
    assert "model.safetensors" in hub.repos[("model", "ada/tiny-merged")].files()
    assert cli("runs", "merge", run.name, str(out)).returncode == 2  # never over an existing folder
