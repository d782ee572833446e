r"""ShareGPT rows (``conversations``), Hermes function calling included: the ``sharegpt`` format.

Hermes (NousResearch/hermes-function-calling-v1) puts the tools in a ``<tools>`` block of
the system turn (often as Python literals), calls in ``<tool_call>`` blocks and results in
``<tool_response>`` blocks::

    {"id": "85f6c398-69c7-4df2-aed1-29d614a93a26",
     "conversations": [
        {"from": "system", "value": "You are a function calling AI model. You are provided with function
            signatures within <tools> </tools> XML tags. ...\n<tools>\n[{'type': 'function', 'function':
            {'name': 'get_camera_live_feed', 'description': '...', 'parameters': {...}}}]\n</tools>\n
            For each function call return a json object with function name and arguments within
            <tool_call> </tool_call> tags with the following schema:\n<tool_call>\n{'arguments':
            <args-dict>, 'name': <function-name>}\n</tool_call>\n"},
        {"from": "human", "value": "Show me the front entrance camera in 1080p."},
        {"from": "gpt", "value": "<tool_call>\n{'arguments': {'camera_id': 'front_entrance',
            'stream_quality': '1080p'}, 'name': 'get_camera_live_feed'}\n</tool_call>\n"},
        {"from": "tool", "value": "<tool_response>\n{\"name\": \"get_camera_live_feed\",
            \"content\": {\"stream_url\": \"rtsp://...\"}}\n</tool_response>"}],
     "category": "IoT and Home Automation", "subcategory": "Security Camera Management", "task": "..."}

LLaMA-Factory's ShareGPT tool rows have ``function_call`` and ``observation`` turns, and
the tools as a ``tools`` key (a JSON string) next to an optional ``system`` string::

    {"conversations": [
        {"from": "human", "value": "Hi, I need help with calculating my loan payment."},
        {"from": "function_call", "value": "{\"name\": \"calculate_loan_payment\", \"arguments\":
            {\"principal\": 50000, \"interest_rate\": 5, \"loan_term\": 10}}"},
        {"from": "observation", "value": "{\"monthly_payment\": 530.33}"},
        {"from": "gpt", "value": "Your monthly loan payment would be $530.33."}],
     "system": "You are a helpful assistant.",
     "tools": "[{\"name\": \"calculate_loan_payment\", \"description\": \"...\", \"parameters\": {...}}]"}

What is kept: ``conversations`` (``from``/``value``, or ``role``/``content``), tools from
``<tools>`` blocks and/or a ``tools`` key, calls from ``<tool_call>`` blocks (with their
``id`` when given) or ``function_call`` turns, one tool message per ``<tool_response>``
block (a ``{"name", "content"}`` response gives both; one observation for several
parallel calls, as a JSON list, is split).  Blocks that are Python literals (single
quotes) are accepted.  A top-level ``system`` string is used.  The system text that only
describes the protocol (the sentences mentioning functions, tool calls or the tool tags)
is dropped; what is left becomes the system message when it has a word in it.  Dropped:
every other row key (``category``, ``task``...).  Tool messages have no ``tool_call_id``
(the source has none); their ``name`` is filled in from the call they answer, by position.
"""

from __future__ import annotations

import ast
import json
import re

from toolft.data.formats._base import (
    _DECODER, _WS, ConvertError, _clean_system, _conversations, _convert_call, _dumps, _fill_tool_names, _finish,
    _json_error, _load_json, _result, _skip, _tool, _tool_list, _turn, _type_name,
)
from toolft.data.formats.toolace import _PY_CALLS

_SHAREGPT_ONLY = {"human", "gpt", "system", "function_call", "observation", "function_response"}
_TOOLS_BLOCK = re.compile(r"<tools>(.*?)</tools>", re.DOTALL)
_CALL_EXAMPLE = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)


def detect(row: dict) -> str:
    """The format of a row with a ``conversations`` key: "sharegpt" or "toolace" (see the package docstring)."""
    turns = row["conversations"]
    if "tools" in row:
        return "sharegpt"
    system = row.get("system")
    if type(system) is str and "<tools>" in system:
        return "sharegpt"
    assistant_calls = False
    for turn in turns if type(turns) is list else ():
        if type(turn) is not dict:
            continue
        speaker = turn.get("from", turn.get("role"))
        if type(speaker) is str and speaker in _SHAREGPT_ONLY:
            return "sharegpt"
        value = turn.get("value", turn.get("content"))
        if type(value) is str:
            if "<tool_call>" in value or "<tools>" in value:
                return "sharegpt"
            if speaker == "assistant" and not assistant_calls and value[:1] == "[":
                assistant_calls = _PY_CALLS.match(value) is not None
    if type(system) is str and (assistant_calls or "[{" in system):
        return "toolace"
    return "sharegpt"


def _decode_block(text: str, start: int, close: str, where: str, label: str, strict: bool = True):
    """Decode the JSON (or Python-literal) value after an opening tag.

    Returns ``(value, raw_text, end, is_json)``; ``end`` is past the closing tag when there
    is one.  A block that is neither JSON nor a Python literal raises (``strict``) or comes
    back as ``(None, raw_text, end, False)``.
    """
    # not toolcalls' block scanner (_read_block, _decode): it has no Python-literal fallback, never
    # raises, and words its errors for model output ("invalid JSON: ... (char N)")
    i = _skip(text, start)
    try:
        value, j = _DECODER.raw_decode(text, i)
        raw = text[i:j]
        j = _skip(text, j)
        if text.startswith(close, j):
            return value, raw, j + len(close), True
        if j >= len(text):  # unclosed last block
            return value, raw, j, True
    except (ValueError, RecursionError) as exc:
        error = exc
    else:
        error = None
    stop = text.find(close, i)
    end = len(text) if stop < 0 else stop + len(close)
    raw = text[i:len(text) if stop < 0 else stop].strip()
    try:
        return ast.literal_eval(raw), raw, end, False  # Hermes sometimes writes Python dicts
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if not strict:
        return None, raw, end, False
    detail = _json_error(error) if error else "text after the JSON value before " + close
    raise ConvertError(where, f"{label} is not valid JSON: {detail}")


def _hermes_calls(text: str, where: str) -> tuple[str, list]:
    """Split an assistant text into (remaining text, calls) at its ``<tool_call>`` blocks."""
    texts, calls, pos, n = [], [], 0, 0
    while True:
        start = text.find("<tool_call>", pos)
        if start < 0:
            texts.append(text[pos:])
            break
        texts.append(text[pos:start])
        n += 1
        label = f"<tool_call> block {n}"
        value, _, pos, _ = _decode_block(text, start + len("<tool_call>"), "</tool_call>", where, label)
        for item in value if type(value) is list else [value]:
            if type(item) is not dict or not ("name" in item or "function" in item):
                raise ConvertError(where, f'{label} must be a {{"name": ..., "arguments": {{...}}}} object, '
                                          f"got {_type_name(item)}")
            calls.append(_convert_call(item, where))
    remaining = "\n".join(t.strip() for t in texts if t.strip())
    return remaining, calls


def _hermes_results(text: str, where: str) -> list:
    """Tool messages from a tool turn: one per ``<tool_response>`` block (the whole text if none)."""
    if "<tool_response>" not in text:
        return [{"role": "tool", "content": text.strip()}]
    out, pos = [], 0
    while True:
        start = text.find("<tool_response>", pos)
        if start < 0:
            break
        value, raw, pos, is_json = _decode_block(text, start + len("<tool_response>"), "</tool_response>",
                                                 where, "<tool_response> block", strict=False)
        msg = {"role": "tool"}
        if type(value) is dict and "content" in value and set(value) <= {"name", "content", "tool_call_id", "id"}:
            if type(value.get("name")) is str:  # Hermes: {"name": ..., "content": ...}
                msg["name"] = value["name"]
            msg["content"] = _result(value["content"])
        elif type(value) is str:
            msg["content"] = value
        elif value is not None and not is_json:  # a Python literal: written as JSON
            msg["content"] = _dumps(value)
        else:  # JSON as written, or plain text
            msg["content"] = raw
        out.append(msg)
    return out


def _parse_tool_text(body: str, where: str) -> list:
    """The tools inside a ``<tools>`` block: a JSON list, JSON objects one after another,
    or the same as Python literals."""
    body = body.strip()
    items, i = [], 0
    try:
        while True:
            i = _skip(body, i, _WS + ",")
            if i >= len(body):
                break
            value, i = _DECODER.raw_decode(body, i)
            items.append(value)
    except (ValueError, RecursionError) as exc:
        try:
            items = [ast.literal_eval(body)]
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            try:
                items = [ast.literal_eval(line) for line in body.splitlines() if line.strip()]
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                raise ConvertError(where, f"the <tools> block is not valid JSON: {_json_error(exc)}") from None
    out = []
    for item in items:
        out.extend(item if type(item) is list else [item])
    return out


def _system_tools(text: str, where: str) -> tuple[str, list]:
    """Take the tools out of a Hermes system prompt: (cleaned system text, tools).

    A prompt without ``<tools>`` or ``<tool_call>`` is kept as it is (stripped).
    """
    if "<tools>" not in text and "<tool_call>" not in text:
        return text.strip(), []
    tools = []
    if "<tools>" in text:
        def take(match):
            if not match.group(1).strip():
                return match.group(0)  # "within <tools> </tools> XML tags": protocol text
            tools.extend(_parse_tool_text(match.group(1), where))
            return "\n"
        text = _TOOLS_BLOCK.sub(take, text)
    if "<tool_call>" in text:
        text = _CALL_EXAMPLE.sub(" <tool_call> ", text)
    return _clean_system(text), [_tool(t) for t in tools]


def convert(row: dict) -> dict:
    """The canonical row of a ``sharegpt`` row."""
    turns = _conversations(row)
    tools, systems, messages = [], [], []
    if row.get("system") is not None:
        if type(row["system"]) is not str:
            raise ConvertError("system", f"must be a string, got {_type_name(row['system'])}")
        text, found = _system_tools(row["system"], "system")
        tools += found
        if text:
            systems.append(text)
    if "tools" in row:
        listed = _tool_list(row["tools"], "tools")
        if type(listed) is not list:
            raise ConvertError("tools", f"must be a list of tools (or a JSON string of one), got {_type_name(listed)}")
        tools += listed
    for i, _ in enumerate(turns):
        role, value = _turn(turns, i)
        where = f"conversations[{i}].value"
        if role in ("tool", "call") and type(value) in (dict, list):
            value = value if role == "call" else _dumps(value)
        elif type(value) is not str:
            raise ConvertError(where, f"must be a string, got {_type_name(value)}")
        prev = messages[-1] if messages else None
        if role == "system":
            text, found = _system_tools(value, where)
            tools += found
            if not messages and text:
                systems.append(text)
            elif messages:
                messages.append({"role": "system", "content": text})
        elif role == "user":
            messages.append({"role": "user", "content": value})
        elif role == "assistant":
            text, calls = _hermes_calls(value, where) if "<tool_call>" in value else (value, [])
            msg = {"role": "assistant", "content": text}
            if calls:
                msg["tool_calls"] = calls
            messages.append(msg)
        elif role == "call":  # older ShareGPT: {"from": "function_call", "value": "{\"name\": ..., ...}"}
            if type(value) is str:
                value = _load_json(value, where, "function_call value is not valid JSON")
            items = value if type(value) is list else [value]
            if not all(type(c) is dict for c in items) or not items:
                raise ConvertError(where, 'function_call value must be a {"name": ..., "arguments": ...} object '
                                          "or a list of them")
            calls = [_convert_call(c, where) for c in items]
            if prev is not None and prev["role"] == "assistant":
                prev.setdefault("tool_calls", []).extend(calls)  # text + calls of one turn
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": calls})
        else:  # tool result
            pending = prev.get("tool_calls") if prev is not None and prev["role"] == "assistant" else None
            split = None
            if "<tool_response>" not in value and pending and len(pending) > 1 and value.lstrip()[:1] == "[":
                try:
                    split = json.loads(value)
                except (ValueError, RecursionError):
                    split = None
            if type(split) is list and len(split) == len(pending):  # one observation for parallel calls
                messages += [{"role": "tool", "content": _result(v)} for v in split]
            else:
                messages += _hermes_results(value, where)
    if systems:
        messages.insert(0, {"role": "system", "content": "\n\n".join(systems)})
    _fill_tool_names(messages)
    return _finish(row, messages, tools)

