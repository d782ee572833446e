"""Tests for toolft.toolcalls: parsing <tool_call> blocks and labelling answers."""

import pytest

from toolft.toolcalls import (
    LABELS,
    ToolCall,
    call_names_declared,
    classify_text,
    label_of_message,
    parse_answer,
    parse_tool_calls,
)

WEATHER = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
         {"name": "get_time", "description": "bare form"}]


def test_single_call():
    answer = parse_answer(WEATHER + "<|im_end|>")
    assert answer.label == "tool_call"
    assert answer.calls == [ToolCall("get_weather", {"city": "Paris"})]
    assert answer.errors == []
    assert answer.content == ""


def test_multiple_blocks_any_whitespace_and_text_around():
    text = ('Let me check.\n<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>'
            '  <tool_call>\n\n  {"name": "get_time", "arguments": {}}  \n</tool_call>\n<|endoftext|>')
    answer = parse_answer(text)
    assert [c.name for c in answer.calls] == ["get_weather", "get_time"]
    assert answer.content == "Let me check."
    assert answer.label == "tool_call"


def test_arguments_as_json_string_and_parameters_synonym():
    calls, errors = parse_tool_calls(
        '<tool_call>{"name": "f", "arguments": "{\\"x\\": 1}"}</tool_call>'
        '<tool_call>{"name": "g", "parameters": {"y": 2}}</tool_call>')
    assert errors == []
    assert calls == [ToolCall("f", {"x": 1}), ToolCall("g", {"y": 2})]


def test_invalid_json_is_an_error_not_a_call():
    answer = parse_answer('<tool_call>{"name": "f", "arguments": {</tool_call>')
    assert answer.calls == []
    assert len(answer.errors) == 1 and answer.errors[0].startswith("tool call 1: invalid JSON")
    assert answer.label == "answer"


@pytest.mark.parametrize("body, expected", [
    ('{"arguments": {}}', 'tool call 2: missing "name"'),
    ('{"name": 3, "arguments": {}}', "tool call 2: \"name\" must be"),
    ('{"name": "f", "arguments": [1, 2]}', "tool call 2: arguments must be a JSON object"),
    ('{"name": "f", "arguments": "[1]"}', "tool call 2: arguments must be a JSON object"),
    ('{"name": "f", "arguments": "nope"}', "tool call 2: arguments string is not valid JSON"),
])
def test_bad_blocks_numbered(body, expected):
    calls, errors = parse_tool_calls(WEATHER + f"<tool_call>{body}</tool_call>")
    assert [c.name for c in calls] == ["get_weather"]
    assert len(errors) == 1 and errors[0].startswith(expected)


def test_unclosed_final_block_counts_if_json_parses():
    answer = parse_answer('Sure.\n<tool_call>\n{"name": "get_time", "arguments": {"tz": "UTC"}}\n')
    assert answer.calls == [ToolCall("get_time", {"tz": "UTC"})]
    assert answer.content == "Sure."


def test_truncated_unclosed_block_is_an_error():
    answer = parse_answer(WEATHER + '\n<tool_call>\n{"name": "get_time", "argum')
    assert [c.name for c in answer.calls] == ["get_weather"]
    assert answer.errors and answer.errors[0].startswith("tool call 2: invalid JSON")


def test_think_blocks_and_special_tokens_stripped():
    text = "<think>\nMaybe I can't? <tool_call>{bad}</tool_call>\n</think>\n\nIt is sunny.<|im_end|>"
    answer = parse_answer(text)
    assert answer.content == "It is sunny."
    assert answer.errors == [] and answer.calls == []
    assert answer.label == "answer"
    # the opening <think> was part of the prompt
    assert parse_answer("reasoning...</think>\nWhich city?").content == "Which city?"


@pytest.mark.parametrize("text, label", [
    ("I can't help with that request.", "refusal"),
    ("I can\u2019t help with that.", "refusal"),
    ("Sorry, I can\u2019t do that. Anything else?", "refusal"),
    ("i cannot share passwords.", "refusal"),
    ("I'm not able to delete files.", "refusal"),
    ("I must decline.", "refusal"),
    ("Which city do you mean?", "clarification"),
    ("Which city do you mean?  \n", "clarification"),
    ("The weather in Paris is 21°C.", "answer"),
    ("", "answer"),
])
def test_classify_text(text, label):
    assert classify_text(text) == label
    assert parse_answer(text).label == label
    assert label in LABELS


def test_refusal_phrase_late_in_long_text_is_not_a_refusal():
    text = "Here is the full report you asked for. " * 5 + "I can't wait to see more."
    assert classify_text(text) == "answer"


def test_label_of_message():
    call = {"type": "function", "function": {"name": "f", "arguments": {}}}
    assert label_of_message({"role": "assistant", "content": None, "tool_calls": [call]}) == "tool_call"
    assert label_of_message({"role": "assistant", "content": "Which file?"}) == "clarification"
    assert label_of_message({"role": "assistant", "content": "I won\u2019t do that."}) == "refusal"
    assert label_of_message({"role": "assistant", "content": None}) == "answer"


def test_call_names_declared():
    assert call_names_declared([ToolCall("get_weather", {}), ToolCall("get_time", {})], TOOLS)
    assert not call_names_declared([ToolCall("get_weather", {}), ToolCall("delete", {})], TOOLS)
    assert not call_names_declared([], TOOLS)
    assert call_names_declared([{"function": {"name": "get_time"}}], TOOLS)
