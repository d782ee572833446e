"""Tests for toolft.toolcalls: parsing <tool_call> blocks and labelling answers."""

import json
from pathlib import Path

import pytest

from toolft.toolcalls import (
    LABELS,
    ToolCall,
    call_names_declared,
    classify_text,
    coerce_arguments,
    label_of_message,
    parse_answer,
    parse_calls_any,
    parse_tool_calls,
    strip_special,
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


# --- markup inside JSON strings is content, never structure ---------------------------------

@pytest.mark.parametrize("value", [
    "Closing tags look like </tool_call> and must stay.",
    "nested <tool_call> opening",
    "<think>plan</think> then act",
    "an orphan </think> closer",
    "end of turn <|im_end|> and <|im_start|>user",
    "```json\n{\"x\": 1}\n```",
    "all at once: </tool_call>\n<tool_call>\n<think>\n<|endoftext|>",
])
def test_markup_inside_a_json_string_is_kept(value):
    payload = json.dumps({"name": "write_log", "arguments": {"line": value, "level": 2}})
    text = f"Logging it.\n<tool_call>\n{payload}\n</tool_call><|im_end|>"
    answer = parse_answer(text)
    assert answer.calls == [ToolCall("write_log", {"line": value, "level": 2})]
    assert answer.errors == []
    assert answer.content == "Logging it."
    assert payload in strip_special(text)


def test_closing_tag_in_string_with_escaped_quotes_and_second_block():
    first = {"name": "post_comment", "arguments": {"text": 'He said "</tool_call>" twice \\ </tool_call>'}}
    second = {"name": "notify", "arguments": {"to": "ops"}}
    text = "".join(f"<tool_call>\n{json.dumps(c, ensure_ascii=True)}\n</tool_call>\n" for c in (first, second))
    calls, errors, content = parse_calls_any(text)
    assert calls == [ToolCall("post_comment", first["arguments"]), ToolCall("notify", {"to": "ops"})]
    assert errors == [] and content == ""


def test_broken_block_skips_a_quoted_closing_tag():
    text = ('<tool_call>{"name": "f", "arguments": {"memo": "ends </tool_call> here", }}</tool_call>'
            'Done.')
    answer = parse_answer(text)
    assert answer.calls == []
    assert len(answer.errors) == 1 and answer.errors[0].startswith("tool call 1: invalid JSON")
    assert answer.content == "Done."


# --- unclosed blocks ---------------------------------------------------------------------------

def test_unclosed_block_before_the_next_block():
    text = ('<tool_call>\n{"name": "book_room", "arguments": {"room": "A1"}}\n'
            '<tool_call>\n{"name": "book_room", "arguments": {"room": "B2"}}\n'
            '<tool_call>\n{"name": "send_invite", "arguments": {"emails": ["x@y.z"]}}\n</tool_call>')
    answer = parse_answer(text)
    assert answer.calls == [ToolCall("book_room", {"room": "A1"}), ToolCall("book_room", {"room": "B2"}),
                            ToolCall("send_invite", {"emails": ["x@y.z"]})]
    assert answer.errors == [] and answer.content == ""


def test_unclosed_block_before_prose_keeps_the_prose():
    text = 'Looking up.\n<tool_call>\n{"name": "lookup_isbn", "arguments": {"isbn": "978-3"}}\nOne moment please.'
    answer = parse_answer(text)
    assert answer.calls == [ToolCall("lookup_isbn", {"isbn": "978-3"})]
    assert answer.errors == []
    assert answer.content == "Looking up.\n\nOne moment please."


def test_two_objects_in_one_block_and_fenced_json():
    text = ('<tool_call>\n```json\n{"name": "a", "arguments": {}}\n{"name": "b", "arguments": {"k": 1}}\n```\n'
            '</tool_call>')
    assert parse_tool_calls(text) == ([ToolCall("a", {}), ToolCall("b", {"k": 1})], [])


def test_extra_closing_brace_is_reported_but_the_call_kept():
    answer = parse_answer('<tool_call>{"name": "ping", "arguments": {"host": "h"}}}\n</tool_call>')
    assert answer.calls == [ToolCall("ping", {"host": "h"})]
    assert answer.errors == ["tool call 1: ignored '}' after the call"]
    assert answer.content == ""


def test_stray_closing_tag_is_reported():
    answer = parse_answer("All done.</tool_call>")
    assert answer.calls == [] and answer.content == "All done."
    assert answer.errors == ["stray </tool_call> outside a block ignored"]


# --- Qwen3.5 / Qwen3-Coder XML -----------------------------------------------------------------

XML_TEXT = ("Checking both.\n\n<tool_call>\n<function=find_flights>\n<parameter=origin>\nOslo\n</parameter>\n"
            "<parameter=passengers>\n2\n</parameter>\n<parameter=flexible>\nTrue\n</parameter>\n"
            "<parameter=dates>\n[\"2025-01-02\", \"2025-01-03\"]\n</parameter>\n<parameter=note>\n"
            "line one\nline two </tool_call> <tool_call>\n</parameter>\n</function>\n</tool_call>\n"
            "<tool_call>\n<function=get_fx_rate>\n<parameter=pair>\nEUR/NOK\n</parameter>\n"
            "<parameter=zip>\n007\n</parameter>\n</function>\n</tool_call><|im_end|>")


def test_xml_style_calls():
    answer = parse_answer(XML_TEXT)
    assert answer.calls == [
        ToolCall("find_flights", {"origin": "Oslo", "passengers": 2, "flexible": True,
                                  "dates": ["2025-01-02", "2025-01-03"],
                                  "note": "line one\nline two </tool_call> <tool_call>"}),
        ToolCall("get_fx_rate", {"pair": "EUR/NOK", "zip": "007"}),
    ]
    assert answer.errors == [] and answer.content == "Checking both."


def test_xml_style_no_parameters_and_unclosed_blocks():
    text = ("<tool_call>\n<function=list_rooms>\n</function>\n"
            "<tool_call>\n<function=book>\n<parameter=room>\nB7\n</parameter>\n"  # no </function> either
            "<tool_call>\n<function=now>\n</function>\nDone soon.")
    answer = parse_answer(text)
    assert answer.calls == [ToolCall("list_rooms", {}), ToolCall("book", {"room": "B7"}), ToolCall("now", {})]
    assert answer.errors == [] and answer.content == "Done soon."


@pytest.mark.parametrize("text, error", [
    ("<tool_call>\n<function=f>\n<parameter=a>\nunfinished", "tool call 1: unterminated <parameter=a>"),
    ("<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n", "tool call 1: unclosed <function=...>"),
    ("<tool_call>\n<function=f>\nhello\n</function></tool_call>", "tool call 1: unexpected text"),
])
def test_truncated_or_malformed_xml_is_an_error(text, error):
    calls, errors = parse_tool_calls(text)
    assert calls == [] and len(errors) == 1 and errors[0].startswith(error)


def test_xml_round_trip_through_the_real_qwen3_5_template():
    import jinja2
    import trl

    path = Path(trl.__file__).parent / "chat_templates" / "qwen3_5_nothink.jinja"
    template = jinja2.Environment(extensions=["jinja2.ext.loopcontrols"]).from_string(path.read_text())
    calls = [ToolCall("set_alarm", {"time": "07:30", "repeat": False, "days": [1, 2], "label": None,
                                    "opts": {"snooze": 5, "sound": "<bell>"}, "text": "a\n</tool_call>\nb"}),
             ToolCall("noop", {})]
    messages = [{"role": "user", "content": "hi"},
                {"role": "assistant", "content": "",
                 "tool_calls": [{"type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                                for c in calls]}]
    rendered = template.render(messages=messages)
    answer = rendered.split("<|im_start|>assistant\n", 1)[1]
    assert parse_tool_calls(answer) == (calls, [])


# --- bare JSON answers -------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    '{"name": "get_stock", "arguments": {"ticker": "NVDA"}}',
    '{"name": "get_stock", "parameters": {"ticker": "NVDA"}}<|eot_id|>',
    '{"tool": "get_stock", "arguments": {"ticker": "NVDA"}}',
    '{"type": "function", "function": {"name": "get_stock", "arguments": "{\\"ticker\\": \\"NVDA\\"}"}}',
    '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "get_stock", "arguments": {"ticker": "NVDA"}},'
    ' "id": 7}',
    '```json\n[{"name": "get_stock", "arguments": {"ticker": "NVDA"}}]\n```',
    '<think>\nuse the tool\n</think>\n\n{"name": "get_stock", "arguments": {"ticker": "NVDA"}}',
])
def test_bare_json_call_shapes(text):
    assert parse_calls_any(text) == ([ToolCall("get_stock", {"ticker": "NVDA"})], [], "")
    assert parse_answer(text).label == "tool_call"


def test_bare_json_array_of_parallel_calls_and_empty_string_arguments():
    text = '[{"name": "a", "arguments": ""}, {"tool": "b", "arguments": {"n": 1.5}}]'
    assert parse_calls_any(text) == ([ToolCall("a", {}), ToolCall("b", {"n": 1.5})], [], "")


@pytest.mark.parametrize("text", [
    '{"temp": 4}',
    '{"name": "Ada", "born": 1815}',
    '[1, 2, 3]',
    '{"name": "x", "arguments": {}, "score": 0.9}',
    'Result: {"name": "f", "arguments": {}}',
])
def test_json_that_is_just_data_stays_content(text):
    answer = parse_answer(text)
    assert answer.calls == [] and answer.errors == []
    assert answer.content == text
    assert answer.label == "answer"


def test_bare_call_shaped_json_with_bad_arguments_is_an_error():
    calls, errors, content = parse_calls_any('{"name": "f", "arguments": "not json"}')
    assert calls == [] and content == ""
    assert len(errors) == 1 and errors[0].startswith("tool call 1: arguments string is not valid JSON")


# --- Python-style calls ------------------------------------------------------------------------

def test_python_style_call_list():
    text = '[search_books(query="Dune", limit=3, tags=["sf", None], exact=False), library.open(id=-2.5)]'
    assert parse_calls_any(text) == (
        [ToolCall("search_books", {"query": "Dune", "limit": 3, "tags": ["sf", None], "exact": False}),
         ToolCall("library.open", {"id": -2.5})], [], "")


def test_python_style_single_call_json_names_and_fence():
    assert parse_tool_calls('```python\nset_flag(on=true, value=null, pair=(1, 2))\n```<|im_end|>') == (
        [ToolCall("set_flag", {"on": True, "value": None, "pair": [1, 2]})], [])
    assert parse_tool_calls("<tool_call>\nping(host='h')\n</tool_call>") == ([ToolCall("ping", {"host": "h"})], [])
    text = "<tool_call>\nping(host='a</tool_call>b')\n</tool_call>\n<tool_call>\nping(host='c')\n<tool_call>[ping()]"
    assert parse_tool_calls(text) == ([ToolCall("ping", {"host": "a</tool_call>b"}), ToolCall("ping", {"host": "c"}),
                                       ToolCall("ping", {})], [])


@pytest.mark.parametrize("text", [
    "I think f(x) is good",
    "max(3, 4)",
    "print(x) then stop",
    "Call get_weather(city='Paris') to see.",
])
def test_prose_with_parentheses_is_not_a_call(text):
    assert parse_calls_any(text) == ([], [], text)


def test_python_style_non_literal_argument_is_an_error():
    calls, errors, content = parse_calls_any("[f(a=1), g(b=some_variable)]")
    assert calls == [ToolCall("f", {"a": 1})]
    assert errors == ["tool call 2: argument 'b' is not a literal value"] and content == ""


# --- think blocks ------------------------------------------------------------------------------

def test_think_around_calls_and_unfinished_think():
    call = '<tool_call>\n{"name": "get_quote", "arguments": {"symbol": "ACME"}}\n</tool_call>'
    want = [ToolCall("get_quote", {"symbol": "ACME"})]
    for text in (f"<think>\nI need a quote.\n</think>\n\n{call}",
                 f"<think>\nI need a quote, so I emit <tool_call> now.\n{call}",  # never closed
                 f"I need a quote.\n</think>\n\n{call}"):
        assert parse_calls_any(text) == (want, [], "")
    assert parse_calls_any("<think>\nstill thinking about <tool_call> tags") == ([], [], "")


def test_empty_arguments_string():
    assert coerce_arguments("") == ({}, None)
    assert coerce_arguments(" \n") == ({}, None)
    assert parse_tool_calls('<tool_call>{"name": "now", "arguments": ""}</tool_call>') == ([ToolCall("now", {})], [])


def test_missing_opening_tag_before_a_closing_one():
    text = ('{"name": "dim_lights", "arguments": {"level": 30}}\n</tool_call>\n'
            '<tool_call>\n{"name": "lock_door", "arguments": {}}\n</tool_call>')
    assert parse_calls_any(text) == ([ToolCall("dim_lights", {"level": 30}), ToolCall("lock_door", {})], [], "")
