"""Push a finished run's LoRA adapter to a Hugging Face model repo, with a model card written from the run.

``push_adapter(run, "you/qwen3-tools-lora")`` creates the repo (private unless asked otherwise)
and uploads ``adapter/`` (the PEFT weights and config, the tokenizer with its chat template)
plus a ``README.md`` card from :func:`model_card`: the base model, the dataset's size and row
kinds, the recipe, the final losses, the base vs fine-tuned scorecard when ``eval`` wrote one,
and how to use the adapter (transformers + PEFT, and vLLM with the tool-call parser that reads
the model's call format).

The token is the visitor's (OAuth) or ``HF_TOKEN`` / the cached login; it is passed to
``huggingface_hub`` only and never written to the card, the run folder, logs or messages:
errors are re-raised as :class:`PushError` with any token replaced by ``***``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from toolft.runfolder import RunFolder

# vLLM's --tool-call-parser per chat-template family (vLLM docs, "Tool calling"): Qwen2.5 / Qwen3 and
# Hermes write <tool_call> JSON blocks ("hermes"); Qwen3.5 / Qwen3-Coder write XML parameters
# ("qwen3_coder"); Llama 3.x writes bare JSON ("llama3_json").
VLLM_PARSERS = {"qwen": "hermes", "hermes": "hermes", "qwen3_5": "qwen3_coder", "llama3": "llama3_json"}


class PushError(RuntimeError):
    """The push failed; the message is safe to show (no token in it)."""


def _family(base_model: str, template: str) -> str | None:
    name = base_model.lower()
    if "<function=" in template or "qwen3.5" in name or "qwen3_5" in name:
        return "qwen3_5"
    if "<tool_call>" in template or "qwen" in name:
        return "qwen"
    if "llama-3" in name or "llama3" in name or "<|python_tag|>" in template:
        return "llama3"
    return None


def _shareable(recipe):
    """The recipe as a card shows it: its data file by name only (the full path names the server's
    folders, and an upload's folder is that visitor's secret)."""
    import copy

    shown = copy.deepcopy(recipe)
    if shown.data.train_file != "sample":
        shown.data.train_file = Path(shown.data.train_file).name
    return shown


def model_card(run: RunFolder, repo_id: str) -> str:
    """The ``README.md`` of the pushed adapter, from the run folder (see the module docstring)."""
    import yaml

    from toolft.data.records import load_records, row_category
    from toolft.recipe import load_recipe, recipe_to_yaml
    from toolft.runs import run_summary

    recipe = load_recipe(run.recipe_path)
    base = recipe.model.name_or_path
    summary = run_summary(run)
    counts, n_train, n_eval = Counter(), 0, 0
    for name in ("train", "eval"):
        path = run.data_dir / f"{name}.jsonl"
        if path.is_file():
            rows = load_records(path).records
            if name == "train":
                n_train = len(rows)
                counts.update(row_category(r) for r in rows)
            else:
                n_eval = len(rows)
    template_path = run.adapter_path / "chat_template.jinja"
    template = template_path.read_text(encoding="utf-8") if template_path.is_file() else ""
    parser = VLLM_PARSERS.get(_family(base, template) or "")
    meta = {"base_model": base, "library_name": "peft", "pipeline_tag": "text-generation",
            "tags": ["toolft", "tool-calling", "function-calling", "lora", "sft", "trl", "peft"]}
    source = recipe.data.train_file
    source = "toolft's bundled synthetic sample" if source == "sample" else f"`{Path(source).name}`"
    kinds = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.most_common())
    losses = (f"final train loss {summary['train_loss']:.4g}" if summary["train_loss"] is not None
              else "no train loss logged")
    if summary["eval_loss"] is not None:
        losses += f", final eval loss {summary['eval_loss']:.4g} (best {summary['best_eval_loss']:.4g})"
    lines = [
        "---", yaml.safe_dump(meta, sort_keys=False).strip(), "---", "",
        f"# {repo_id.split('/')[-1]}", "",
        f"A LoRA adapter that teaches **{base}** to call tools, trained with "
        "[toolft](https://github.com/) (TRL SFT + PEFT).", "",
        "## Training", "",
        f"- Base model: `{base}`",
        f"- Data: {source}, {n_train} training rows and {n_eval} held out" + (f" (kinds: {kinds})" if kinds else ""),
        f"- Steps: {summary['step']} of {summary['total_steps']}; {losses}",
        f"- LoRA rank {recipe.lora.r}, alpha {recipe.lora.alpha}, targets `{recipe.lora.target_modules}`"
        + (f", LoRA+ ratio {recipe.lora.loraplus_lr_ratio:g}" if recipe.lora.loraplus_lr_ratio != 1 else "") + "; "
        f"learning rate {recipe.training.learning_rate:g}, effective batch "
        f"{recipe.training.per_device_train_batch_size * recipe.training.gradient_accumulation_steps}", "",
        "<details><summary>The full recipe</summary>", "", "```yaml", recipe_to_yaml(_shareable(recipe)).strip(), "```",
        "",
        "</details>", "",
    ]
    card_path = run.path / "scorecard.json"
    if card_path.is_file():
        lines += _scorecard_section(json.loads(card_path.read_text(encoding="utf-8")))
    lines += [
        "## Use it", "", "With transformers and PEFT:", "", "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM, AutoTokenizer", "",
        f'base = AutoModelForCausalLM.from_pretrained("{base}", dtype="auto", device_map="auto")',
        f'model = PeftModel.from_pretrained(base, "{repo_id}")',
        f'tokenizer = AutoTokenizer.from_pretrained("{repo_id}")',
        'tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",',
        '          "parameters": {"type": "object", "properties": {"city": {"type": "string"}},',
        '                         "required": ["city"]}}}]',
        'messages = [{"role": "user", "content": "What is the weather in Oslo?"}]',
        "inputs = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True,",
        '                                       return_tensors="pt", return_dict=True).to(model.device)',
        "print(tokenizer.decode(model.generate(**inputs, max_new_tokens=128)[0][inputs['input_ids'].shape[1]:]))",
        "```", "",
    ]
    if parser:
        lines += ["With vLLM, serving tool calls through the OpenAI-compatible API (the parser reads this model's "
                  "call format):", "", "```bash",
                  f"vllm serve {base} --enable-lora --lora-modules tools={repo_id} \\",
                  f"    --enable-auto-tool-choice --tool-call-parser {parser}", "```", ""]
    else:
        lines += ["With vLLM, pass `--enable-auto-tool-choice` and the `--tool-call-parser` that matches this "
                  "model's chat template (see vLLM's tool-calling docs).", ""]
    return "\n".join(lines)


def _scorecard_section(card: dict) -> list[str]:
    measures = (("full_call_accuracy", "right tool and right arguments"), ("tool_name_accuracy", "right tool"),
                ("over_calling_rate", "a call where none was due"), ("refusal_accuracy", "refusals"),
                ("clarification_accuracy", "clarifying questions"), ("no_call_accuracy", "plain answers"),
                ("accuracy", "passes every rule"))
    base, tuned = card.get("base", {}).get("overall", {}), card.get("finetuned", {}).get("overall", {})

    def cell(x):
        return f"{x:.2f}" if isinstance(x, (int, float)) else "–"

    rows = [f"| {label} | {cell(base.get(key))} | {cell(tuned.get(key))} | {tuned.get('n_' + key, '')} |"
            for key, label in measures]
    return ["## Base vs fine-tuned", "",
            f"Scored by toolft's BFCL-style rules on {tuned.get('n', '?')} held-out rows:", "",
            "| measure | base | fine-tuned | n |", "|---|---|---|---|", *rows, ""]


def push_adapter(run: RunFolder, repo_id: str, private: bool = True, token: str | None = None) -> str:
    """Create ``repo_id`` (a model repo, private by default) if needed and upload the run's adapter
    and its model card; return the repo's URL.

    Raises ``FileNotFoundError`` when the run has no adapter, :class:`PushError` when the Hub
    refuses or cannot be reached (the token is never in the message).
    """
    import shutil
    import tempfile

    if not run.has_adapter():
        raise FileNotFoundError(f"run {run.name} has no trained adapter to push")
    with tempfile.TemporaryDirectory(prefix="toolft-push-") as tmp:
        folder = Path(tmp) / "repo"
        shutil.copytree(run.adapter_path, folder)
        (folder / "README.md").write_text(model_card(run, repo_id), encoding="utf-8")
        return push_folder(folder, repo_id, private=private, token=token,
                           message=f"toolft: adapter of run {run.name}")


def push_folder(folder: str | Path, repo_id: str, private: bool = True, token: str | None = None,
                message: str = "toolft: merged model", repo_type: str = "model", action: str = "pushing") -> str:
    """Create the repo ``repo_id`` (a ``model`` repo, or a gradio ``space``) if needed, private by default,
    and upload ``folder``; return the repo's URL. Raises :class:`PushError` ("``action`` to REPO failed: ...",
    no token in it) when the Hub refuses or cannot be reached."""
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    extra = {"space_sdk": "gradio"} if repo_type == "space" else {}
    try:
        url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True, **extra)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type=repo_type, commit_message=message)
    except Exception as exc:  # noqa: BLE001 - any Hub failure becomes one readable, token-free line
        raise PushError(f"{action} to {repo_id} failed: {_redact(exc, token)}") from None
    return str(url)


def _redact(exc: BaseException, token: str | None) -> str:
    from huggingface_hub import get_token

    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    for secret in (token, get_token()):
        if secret:
            text = text.replace(secret, "***")
    return text


def export_merged(run: RunFolder, out: str | Path) -> Path:
    """Fold the run's LoRA adapter into its base model and save a standalone model to ``out``.

    The merged weights keep the base's own dtype (its ``config.json``), and the tokenizer is
    saved with its chat template unchanged, so a server (vLLM, TGI, llama.cpp converters) renders
    tool prompts and parses calls exactly as for the base. Returns ``out``. Raises
    ``FileNotFoundError`` when the run has no adapter, ``ValueError`` when ``out`` is a
    non-empty folder (nothing is overwritten).
    """
    import torch
    from peft import PeftModel
    from transformers import AutoConfig

    from toolft.modeling import load_base_model, load_tokenizer, resolve_model_path

    from toolft.home import new_folder

    out = new_folder(out)
    if not run.has_adapter():
        raise FileNotFoundError(f"run {run.name} has no trained adapter to merge")
    config = json.loads((run.adapter_path / "adapter_config.json").read_text(encoding="utf-8"))
    status = run.read_status()
    base_name = status.get("base_model_path") if status.get("base_model_path") and Path(
        status["base_model_path"]).is_dir() else config["base_model_name_or_path"]
    base_dtype = getattr(AutoConfig.from_pretrained(resolve_model_path(base_name)), "dtype", None) or torch.float32
    dtype = str(base_dtype).removeprefix("torch.")
    base = load_base_model(base_name, dtype).to("cpu")  # merging needs no GPU; the saved weights are the same
    merged = PeftModel.from_pretrained(base, str(run.adapter_path)).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out))
    tokenizer_source = run.adapter_path if (run.adapter_path / "tokenizer_config.json").is_file() else base_name
    load_tokenizer(str(tokenizer_source)).save_pretrained(str(out))
    return out
