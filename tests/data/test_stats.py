"""Tests for toolft.data.stats.summarize, with a tiny real tokenizer built offline."""

import json
import os

import pytest

from toolft.data import load_records
from toolft.data.stats import length_lint, summarize

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]

CHAT_TEMPLATE = (
    "{% if tools %}tools{% for t in tools %} {{ t.function.name }}{% endfor %} {% endif %}"
    "{% for m in messages %}{{ m.role }} "
    "{% if m.role == 'assistant' %}{% generation %}{{ m.content or '' }}"
    "{% for c in m.tool_calls or [] %} call {{ c.function.name }}{% endfor %} end {% endgeneration %}"
    "{% else %}{{ m.content or '' }} end {% endif %}{% endfor %}"
)


@pytest.fixture(scope="module")
def tokenizer():
    """A word-level tokenizer with a template that marks the assistant's turns for training."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = ["system user assistant tool end tools call get_weather get_time", "hi which city paris 21C ok"]
    tok.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[PAD]"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def user(text="hi"):
    return {"role": "user", "content": text}


def say(text):
    return {"role": "assistant", "content": text}


def calls(*names):
    return {"role": "assistant", "content": None,
            "tool_calls": [{"type": "function", "function": {
                "name": n, "arguments": {"city": "paris"} if n == "get_weather" else {}}} for n in names]}


ROWS = [
    {"messages": [user(), calls("get_weather"), {"role": "tool", "content": "21C"}, say("ok")], "tools": TOOLS},
    {"messages": [user(), calls("get_weather", "get_time"), {"role": "tool", "content": "ok"},
                  {"role": "tool", "content": "ok"}, say("ok")],
     "tools": TOOLS},
    {"messages": [user(), say("which city?")], "tools": TOOLS},
    {"messages": [user(), say("ok")]},
]


@pytest.fixture
def dataset(tmp_path):
    lines = [json.dumps(r) for r in ROWS] + ["{oops", json.dumps({"messages": [user(), calls("nope")]})]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return load_records(path)


def test_summary_counts(dataset):
    summary = summarize(dataset)
    json.dumps(summary)
    assert summary["format"] == "openai"
    assert summary["rows"] == 6 and summary["valid"] == 4 and summary["invalid"] == 2
    assert [e["line"] for e in summary["errors"]] == [5, 6]
    assert summary["errors_truncated"] is False
    assert summary["categories"] == {"single_call": 1, "parallel_calls": 1, "multi_step": 0,
                                     "clarification": 1, "refusal": 0, "no_tool": 1}
    assert summary["tools"] == {"get_weather": 2, "get_time": 1}
    assert summary["argument_coverage"] == {"get_weather": {"city": 2}, "get_time": {}}
    assert summary["tokens"] is None


def test_every_tool_is_listed(tmp_path):
    """The table lists all tools, not the first eight."""
    tools = [{"type": "function", "function": {"name": f"tool_{i:02d}", "parameters": {"type": "object"}}}
             for i in range(12)]
    rows = [{"messages": [user(), {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": f"tool_{i:02d}", "arguments": {}}}]}], "tools": tools}
        for i in range(12)]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert summarize(load_records(path))["tools"] == {f"tool_{i:02d}": 1 for i in range(12)}


def test_tokens_with_real_tokenizer(dataset, tokenizer):
    # row 4 renders as "user hi end assistant ok end" -> 6 whitespace tokens
    assert len(tokenizer.apply_chat_template(ROWS[3]["messages"], tokenize=True, return_dict=True)["input_ids"]) == 6
    lengths = length_lint(dataset, tokenizer, max_length=100)
    tokens = summarize(dataset, lengths, 100)["tokens"]
    assert tokens["min"] == 6
    assert tokens["max"] > tokens["min"]
    assert tokens["min"] <= tokens["median"] <= tokens["max"]
    assert tokens["over_max_length"] == 0
    assert sum(b["rows"] for b in tokens["histogram"]) == 4


def test_length_lint_cut_answers_warn_and_untrainable_rows_are_errors(dataset, tokenizer):
    # row 1: "tools get_weather get_time user hi end assistant call get_weather end tool 21C end assistant ok end"
    lengths = length_lint(dataset, tokenizer, max_length=10)
    by_line = {f.line: f for f in dataset.errors + dataset.warnings if f.line <= 4}
    assert by_line[1].severity == "warning" and "cut at max_length 10" in by_line[1].message
    assert by_line[2].severity == "warning"
    assert dataset.lines == [1, 2, 3, 4] and len(lengths) == 4
    lengths = length_lint(dataset, tokenizer, max_length=4)  # the tool schemas alone take 5 tokens
    errors = {f.line: f.message for f in dataset.errors}
    assert "tool schemas alone take 5 tokens, over max_length 4" in errors[1]
    assert "no trained token within max_length 4" in errors[4]
    assert dataset.lines == [] and lengths == []


def test_empty_valid_set_and_error_cap(tmp_path, tokenizer):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join("{bad" for _ in range(600)))
    result = load_records(path)
    summary = summarize(result, length_lint(result, tokenizer, 8), 8)
    assert summary["valid"] == 0 and summary["invalid"] == 600
    assert len(summary["errors"]) == 500 and summary["errors_truncated"] is True
    assert summary["tokens"]["max"] == 0 and summary["tokens"]["histogram"] == []
    assert set(summary["categories"].values()) == {0}
