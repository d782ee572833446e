"""Tests for toolft.data.stats.summarize, with a tiny real tokenizer built offline."""

import json
import os

import pytest

from toolft.data import load_records, summarize

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]

CHAT_TEMPLATE = (
    "{% if tools %}tools{% for t in tools %} {{ t.function.name }}{% endfor %} {% endif %}"
    "{% for m in messages %}{{ m.role }} {{ m.content or '' }}"
    "{% for c in m.tool_calls or [] %} call {{ c.function.name }}{% endfor %} end {% endfor %}"
)


@pytest.fixture(scope="module")
def tokenizer():
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
            "tool_calls": [{"type": "function", "function": {"name": n, "arguments": {}}} for n in names]}


ROWS = [
    {"messages": [user(), calls("get_weather"), {"role": "tool", "content": "21C"}, say("ok")], "tools": TOOLS},
    {"messages": [user(), calls("get_weather", "get_time"), {"role": "tool", "content": "ok"}, say("ok")],
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
    assert summary["rows"] == 6 and summary["valid"] == 4 and summary["invalid"] == 2
    assert [e["line"] for e in summary["errors"]] == [5, 6]
    assert summary["errors_truncated"] is False
    assert summary["categories"] == {"single_call": 1, "parallel_calls": 1, "multi_step": 0,
                                     "clarification": 1, "refusal": 0, "no_tool": 1}
    assert summary["tools"] == {"get_weather": 2, "get_time": 1}
    assert summary["tokens"] is None


def test_tokens_with_real_tokenizer(dataset, tokenizer):
    # row 4 renders as "user hi end assistant ok end" -> 6 whitespace tokens
    assert len(tokenizer.apply_chat_template(ROWS[3]["messages"], tokenize=True, return_dict=True)["input_ids"]) == 6
    summary = summarize(dataset, tokenizer=tokenizer, max_length=10)
    json.dumps(summary)
    tokens = summary["tokens"]
    assert tokens["min"] == 6
    assert tokens["max"] > tokens["min"]
    assert tokens["min"] <= tokens["median"] <= tokens["max"]
    assert tokens["over_max_length"] == 3  # all three rows with tools are longer than 10
    assert summarize(dataset, tokenizer=tokenizer)["tokens"]["over_max_length"] == 0


def test_empty_valid_set_and_error_cap(tmp_path, tokenizer):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join("{bad" for _ in range(250)))
    summary = summarize(load_records(path), tokenizer=tokenizer, max_length=8)
    assert summary["valid"] == 0 and summary["invalid"] == 250
    assert len(summary["errors"]) == 200 and summary["errors_truncated"] is True
    assert summary["tokens"] == {"min": 0, "median": 0, "max": 0, "over_max_length": 0}
    assert set(summary["categories"].values()) == {0}
