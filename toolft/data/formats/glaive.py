r"""Glaive rows (glaiveai/glaive-function-calling-v2): the ``glaive`` format.

Two strings: ``system``, which lists the functions as JSON objects after a sentence about
them, and ``chat``, the turns marked ``USER:``, ``ASSISTANT:`` and ``FUNCTION RESPONSE:``.
A call is ``<functioncall>`` and an object whose ``arguments`` is a single-quoted JSON text
(so the object is not JSON)::

    {"system": "SYSTEM: You are a helpful assistant with access to the following functions. Use them
        if required -\n{\n    \"name\": \"get_news_headlines\",\n    \"description\": \"Get the latest
        news headlines\",\n    \"parameters\": {\n        \"type\": \"object\",\n        \"properties\":
        {\n            \"country\": {\n                \"type\": \"string\", ...}\n        },\n
        \"required\": [\n            \"country\"\n        ]\n    }\n}\n",
     "chat": "USER: Can you tell me the latest news headlines for the United States?\n\n\nASSISTANT:
        <functioncall> {\"name\": \"get_news_headlines\", \"arguments\": '{\"country\": \"United
        States\"}'} <|endoftext|>\n\n\nFUNCTION RESPONSE: {\"headlines\": [\"...\"]}\n\n\nASSISTANT:
        Here are the latest news headlines for the United States: ... <|endoftext|>\n\n\n"}

What is kept: the functions in ``system`` become ``tools``; of the rest of ``system`` the
``SYSTEM:`` prefix and the "with access to the following functions. Use them if required -"
part are cut ("You are a helpful assistant.").  Each turn of ``chat`` becomes a message
(``<|endoftext|>`` removed, whitespace stripped); an ``ASSISTANT:`` turn with
``<functioncall>`` becomes one call, the text before the tag its content.  Tool messages
have no ``tool_call_id`` (the source has none); their ``name`` is filled in from the call
they answer.  Every other row key is dropped.
"""

from __future__ import annotations

import json
import re

from toolft.data.formats._base import (
    _DECODER, _WS, ConvertError, _arguments, _convert_call, _fill_tool_names, _finish, _json_error, _skip, _tool,
    _type_name,
)

_GLAIVE_TURN = re.compile(r"(?:\A|\n)[ \t]*(USER|ASSISTANT|FUNCTION RESPONSE)[ \t]*:[ \t]?")
_GLAIVE_ACCESS = re.compile(r",?\s*with access to the following functions.*\Z", re.DOTALL | re.IGNORECASE)
_GLAIVE_NAME = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')
_GLAIVE_ARGS = re.compile(r'"arguments"\s*:\s*')
_FUNCTION_START = re.compile(r"^[ \t]*\{", re.MULTILINE)


def _glaive_system(system: str) -> tuple[str, list]:
    text = system.strip()
    if text[:7].upper() == "SYSTEM:":
        text = text[7:].strip()
    match = _FUNCTION_START.search(text)
    if match is None and "following functions" in text and "{" in text:
        start = text.index("{")
    else:
        start = match.start() if match else -1
    tools = []
    if start >= 0:
        i = start
        while True:
            i = _skip(text, i, _WS + ",")
            if i >= len(text):
                break
            try:
                value, i = _DECODER.raw_decode(text, i)
            except (ValueError, RecursionError) as exc:
                raise ConvertError("system",
                                   f"function {len(tools) + 1} is not valid JSON: {_json_error(exc)}") from None
            tools.extend(value if type(value) is list else [value])
        text = text[:start]
    prompt = _GLAIVE_ACCESS.sub("", text).strip().rstrip("-").strip()
    if prompt and prompt[-1] not in ".!?":
        prompt += "."
    return prompt, [_tool(t) for t in tools]


def _glaive_call(text: str, where: str, label: str) -> dict:
    """Parse ``{"name": "f", "arguments": '{"a": 1}'}`` (arguments single-quoted, so not JSON)."""
    s = text.strip()
    if s[:1] != "{":
        raise ConvertError(where, f'{label}: <functioncall> must be followed by {{"name": ..., "arguments": ...}}, '
                                  f"got {s[:40]!r}")
    try:
        value, _ = _DECODER.raw_decode(s)
    except (ValueError, RecursionError):
        value = None
    if type(value) is dict:  # some rows are plain JSON
        return _convert_call(value, where)
    if not s.endswith("}"):
        raise ConvertError(where, f"{label}: the <functioncall> object is not closed with }}: {s[-40:]!r}")
    name = _GLAIVE_NAME.search(s)
    if name is None:
        raise ConvertError(where, f'{label}: the <functioncall> object has no "name": {s[:60]!r}')
    args = _GLAIVE_ARGS.search(s)
    if args is None:
        arguments = {}
    else:
        body = s[args.end():-1].rstrip()
        if body[:1] == "'" and body[-1:] == "'" and len(body) >= 2:
            quoted = body[1:-1]
            arguments = _arguments(quoted)
            if type(arguments) is str and "\\'" in quoted:
                arguments = _arguments(quoted.replace("\\'", "'"))
        elif body[:1] in ("{", '"'):
            try:
                arguments = _arguments(json.loads(body))
            except ValueError as exc:
                raise ConvertError(where, f"{label}: the <functioncall> arguments are not valid JSON: "
                                          f"{_json_error(exc)}") from None
        else:
            raise ConvertError(where, f"{label}: the <functioncall> arguments must be a quoted JSON object, "
                                      f"got {body[:40]!r}")
    return {"type": "function", "function": {"name": json.loads(name.group(1)), "arguments": arguments}}


def convert(row: dict) -> dict:
    """The canonical row of a ``glaive`` row."""
    chat = row.get("chat")
    if type(chat) is not str:
        raise ConvertError("chat", "is missing" if "chat" not in row else f"must be a string, got {_type_name(chat)}")
    system = row.get("system")
    if system is not None and type(system) is not str:
        raise ConvertError("system", f"must be a string, got {_type_name(system)}")
    prompt, tools = _glaive_system(system or "")
    messages = [{"role": "system", "content": prompt}] if prompt else []
    marks = list(_GLAIVE_TURN.finditer(chat))
    if not marks:
        raise ConvertError("chat", "has no USER:, ASSISTANT: or FUNCTION RESPONSE: turns")
    if chat[:marks[0].start()].strip():
        raise ConvertError("chat", f"does not start with a USER: turn: {chat[:40]!r}")
    for n, mark in enumerate(marks, start=1):
        end = marks[n].start() if n < len(marks) else len(chat)
        # only Glaive's end token: toolcalls.strip_special would also drop any other <|...|> and <think> text
        text = chat[mark.end():end].replace("<|endoftext|>", "").strip()
        speaker = mark.group(1)
        if speaker == "USER":
            messages.append({"role": "user", "content": text})
        elif speaker == "FUNCTION RESPONSE":
            messages.append({"role": "tool", "content": text})
        elif "<functioncall>" in text:
            before, _, after = text.partition("<functioncall>")
            call = _glaive_call(after, "chat", f"turn {n} (ASSISTANT)")
            messages.append({"role": "assistant", "content": before.strip(), "tool_calls": [call]})
        else:
            messages.append({"role": "assistant", "content": text})
    _fill_tool_names(messages)
    return _finish(row, messages, tools)

