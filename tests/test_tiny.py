"""The offline base model: real Qwen3 architecture, a chat template with tools, and no tool knowledge."""

import json

import pytest

from toolft.data.sample import generate_sample
from toolft.tiny import MARKUP_TOKENS, TinySpec, tiny_model_dir


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_model_path), AutoTokenizer.from_pretrained(tiny_model_path)


def _answer(model, tok, messages, tools=None, max_new_tokens=40):
    enc = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, return_dict=True,
                                  return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
    return tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=False)


def test_cached_under_the_models_dir_with_a_spec_key(tiny_model_path):
    assert tiny_model_path == tiny_model_dir()
    assert TinySpec().key() == TinySpec().key() != TinySpec(steps=1).key()


def test_is_a_qwen3_with_a_tool_template(tiny):
    model, tok = tiny
    assert model.config.model_type == "qwen3" and type(model).__name__ == "Qwen3ForCausalLM"
    assert "{% generation %}" in tok.chat_template.replace("{%- generation %}", "{% generation %}")
    for token in MARKUP_TOKENS:  # one token each, kept by decode(skip_special_tokens=True) as in Qwen
        ids = tok(token, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and tok.decode(ids, skip_special_tokens=True) == token


def test_template_renders_tools_calls_and_assistant_mask(tiny):
    _, tok = tiny
    row = next(r for r in generate_sample(40, seed=5) if any(m.get("tool_calls") for m in r["messages"]))
    text = tok.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
    assert "<tools>" in text and json.dumps(row["tools"][0]) in text
    assert "<tool_call>\n{\"name\": " in text and "<tool_response>" in text
    enc = tok.apply_chat_template(row["messages"], tools=row["tools"], return_dict=True,
                                  return_assistant_tokens_mask=True)
    trained = tok.decode([i for i, m in zip(enc["input_ids"], enc["assistant_masks"]) if m])
    assert "<tool_call>" in trained and "<tools>" not in trained and row["messages"][-1]["content"] in trained


def test_base_chats_and_stops(tiny):
    model, tok = tiny
    reply = _answer(model, tok, [{"role": "user", "content": "What is the capital of Peru?"}])
    assert reply == "The capital of Peru is Lima.<|im_end|>"


def test_base_does_not_call_tools(tiny):
    model, tok = tiny
    rows = [r for r in generate_sample(30, seed=99) if r["messages"][0]["role"] == "user"][:8]
    for row in rows:
        reply = _answer(model, tok, row["messages"][:1], tools=row["tools"], max_new_tokens=30)
        assert "<tool_call>" not in reply, reply
