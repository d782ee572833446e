"""Playground handlers: tool JSON problems, missing inputs and run lookup give messages, never errors."""

import json

from toolft.home import runs_dir
from toolft.runfolder import RunFolder
from toolft.ui.playground_tab import (
    DEFAULT_TOOL_NAMES,
    compare_answers,
    default_tools_json,
    finished_runs,
    parse_tools,
    score_run,
    score_table,
)


def make_run(name: str, adapter: bool) -> RunFolder:
    run = RunFolder(runs_dir() / name)
    run.write_status(state="completed" if adapter else "failed")
    if adapter:
        run.adapter_path.mkdir()
        (run.adapter_path / "adapter_config.json").write_text("{}", encoding="utf-8")
    return run


def test_default_tools_are_valid_sample_schemas():
    tools, problem = parse_tools(default_tools_json())
    assert problem is None and [t["function"]["name"] for t in tools] == list(DEFAULT_TOOL_NAMES)


def test_invalid_tools_json_gives_a_message():
    status, *sides = compare_answers("any", '[{"type": "function",\n  "function": {"name": }}]', "Hi")
    assert status.startswith("**Tools JSON is invalid at line 2, column")
    assert sides == [""] * 6
    assert "must be a list" in parse_tools('"get_weather"')[1]
    assert "tools[1] must be an object with a function name" in parse_tools('[{"name": "f"}, {"x": 1}]')[1]
    assert "tools[0].parameters must be a JSON object" in parse_tools('[{"name": "f", "parameters": 3}]')[1]


def test_bare_and_single_schemas_are_normalised():
    tools, problem = parse_tools('{"name": "f", "parameters": {"type": "object"}}')
    assert problem is None and tools == [{"type": "function", "function": {"name": "f",
                                                                           "parameters": {"type": "object"}}}]


def test_missing_message_or_run_gives_a_message():
    assert "Type a user message" in compare_answers("any", default_tools_json(), "  ")[0]
    assert "Pick a finished run" in compare_answers(None, default_tools_json(), "Weather in Oslo?")[0]
    make_run("20250101-000000-failed", adapter=False)
    assert "Pick a finished run" in compare_answers("20250101-000000-failed", "[]", "Hi")[0]
    assert "Pick a finished run" in compare_answers("../../etc", "[]", "Hi")[0]


def test_finished_runs_lists_only_runs_with_an_adapter():
    make_run("20250101-000000-failed", adapter=False)
    make_run("20250102-000000-done", adapter=True)
    assert finished_runs() == [("20250102-000000-done (completed)", "20250102-000000-done")]


def test_score_checks_its_inputs():
    make_run("20250102-000000-done", adapter=True)
    assert "Pick a finished run" in score_run(None, 10)[0]
    assert "whole number of at least 1" in score_run("20250102-000000-done", 0)[0]
    assert "whole number of at least 1" in score_run("20250102-000000-done", None)[0]
    assert "no held-out rows" in score_run("20250102-000000-done", 5)[0]


def test_score_table_compares_base_and_finetuned():
    card = {"n": 4, "rows": 6, "tool_call_rate": 0.5, "name_accuracy": 0.25, "exact_match": 0.0,
            "false_call_rate": 0.5, "label_accuracy": {"tool_call": {"n": 4, "accuracy": 0.5},
                                                       "refusal": {"n": 2, "accuracy": 0.0}}}
    tuned = json.loads(json.dumps(card)) | {"tool_call_rate": 1.0, "exact_match": 0.75}
    rows = score_table({"base": card, "finetuned": tuned})
    assert rows[0] == ["tool_call_rate (of 4 call rows)", "50%", "100%"]
    assert rows[2] == ["exact_match (of 4 call rows)", "0%", "75%"]
    assert rows[3] == ["false_call_rate", "50%", "50%"]
    assert rows[-1] == ["refusal answered as refusal (n=2)", "0%", "0%"]


def test_compare_runs_base_and_finetuned_on_a_real_adapter(tiny_model_path):
    """A real tiny-qwen3 with a random (non-zero) LoRA adapter: the Base column is the plain base model's
    answer (adapter disabled), the Fine-tuned column the adapter's; the model is loaded once and cached."""
    from peft import LoraConfig, get_peft_model

    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.recipe import load_recipe, save_recipe
    from toolft.ui import playground_tab

    run = make_run("20250104-000000-fresh", adapter=False)
    save_recipe(load_recipe("tiny-cpu"), run.recipe_path)
    import torch

    torch.manual_seed(0)  # a fixed random adapter, scaled up (alpha/r = 16) so it always changes the answer
    model = get_peft_model(load_base_model("tiny-qwen3", "float32"),
                           LoraConfig(r=4, lora_alpha=64, target_modules="all-linear", task_type="CAUSAL_LM",
                                      init_lora_weights=False))
    model.save_pretrained(str(run.adapter_path))
    load_tokenizer("tiny-qwen3").save_pretrained(str(run.adapter_path))

    status, base_label, base_text, base_calls, tuned_label, tuned_text, tuned_calls = compare_answers(
        run.name, default_tools_json(), "What's the weather in Oslo?")

    assert status == f"Answers from run **{run.name}**."
    assert base_label.startswith("Label: **") and tuned_label.startswith("Label: **")
    assert isinstance(json.loads(base_calls), list) and isinstance(json.loads(tuned_calls), list)
    from toolft.evaluate import generate

    plain = load_base_model("tiny-qwen3", "float32")
    tokenizer = load_tokenizer("tiny-qwen3")
    # the prompt exactly as the playground builds it: its default system prompt, its parsed tools
    messages = [{"role": "system", "content": playground_tab.DEFAULT_SYSTEM},
                {"role": "user", "content": "What's the weather in Oslo?"}]
    tools, _ = playground_tab.parse_tools(default_tools_json())
    cached = playground_tab._CACHE["model"]
    assert base_text == generate(cached, tokenizer, messages, tools, use_adapter=False)
    # the base side really is the plain base: same next-token logits, compared with a tolerance
    # (greedy text can flip on a float near-tie between two equal computations)
    enc = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, return_dict=True,
                                        return_tensors="pt")
    with torch.no_grad():
        reference = plain(**enc).logits
        with cached.disable_adapter():
            off = cached(**enc).logits
        on = cached(**enc).logits
    assert torch.allclose(off, reference, atol=1e-4)
    assert not torch.allclose(on, reference, atol=1e-2) and tuned_text != base_text  # the adapter is on
    compare_answers(run.name, "[]", "Hello")
    assert playground_tab._CACHE["model"] is cached  # loaded once, reused
