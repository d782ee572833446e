"""Parse tool calls out of model output and label answers.

Qwen3 (and Hermes-style) models write tool calls as JSON inside
``<tool_call>...</tool_call>`` blocks::

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

:func:`parse_answer` turns a generated text into a :class:`ParsedAnswer`: the
valid calls, the remaining text, any parse errors, and a label — one of
:data:`LABELS` — saying what kind of answer it is. The same labels are used for
reference answers in datasets (:func:`label_of_message`).

Only the standard library is used here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

LABELS = ("tool_call", "clarification", "refusal", "answer")

_BLOCK_RE = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_UNCLOSED_RE = re.compile(r"<tool_call>(?!.*</tool_call>)(.*)\Z", re.DOTALL)
_THINK_RE = re.compile(r"<think>.*?</think>", re.DOTALL)
_SPECIAL_RE = re.compile(r"<\|[A-Za-z0-9_]+\|>")
_FENCE_RE = re.compile(r"\A```[A-Za-z]*\s*(.*?)\s*```\Z", re.DOTALL)

# Phrases that mark a refusal when they appear early in a text (lower-case,
# straight apostrophes).
REFUSAL_PHRASES = (
    "i can't",
    "i cannot",
    "i can not",
    "i won't",
    "i will not",
    "i'm not able to",
    "i am not able to",
    "i'm unable",
    "i am unable",
    "sorry, i can't",
    "i must decline",
    "can't help with that",
    "cannot help with that",
)
_EARLY_CHARS = 120  # a refusal phrase must start within this many characters


@dataclass
class ToolCall:
    """One function call: ``ToolCall("get_weather", {"city": "Paris"})``."""

    name: str
    arguments: dict = field(default_factory=dict)


@dataclass
class ParsedAnswer:
    """A model answer split into calls, remaining text, errors and a label."""

    label: str
    content: str
    calls: list[ToolCall]
    errors: list[str]


def strip_special(text: str) -> str:
    """Remove ``<|...|>`` special tokens and ``<think>`` blocks.

    >>> strip_special("<think>hmm</think>Hi<|im_end|>")
    'Hi'
    """
    text = _SPECIAL_RE.sub("", text or "")
    text = _THINK_RE.sub("", text)
    if "</think>" in text:  # the opening tag was part of the prompt
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:  # thinking never finished
        text = text.split("<think>", 1)[0]
    return text


def coerce_arguments(value) -> tuple[dict | None, str | None]:
    """Return ``(arguments, None)`` or ``(None, error)``.

    Accepts a dict, a JSON string of an object, or ``None`` (no arguments).

    >>> coerce_arguments('{"a": 1}')
    ({'a': 1}, None)
    >>> coerce_arguments([1])[1]
    'arguments must be a JSON object, got list'
    """
    if value is None:
        return {}, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return None, f"arguments string is not valid JSON: {exc.msg}"
    if not isinstance(value, dict):
        return None, f"arguments must be a JSON object, got {_type_name(value)}"
    return value, None


def _type_name(value) -> str:
    """The JSON name of a value's type, for messages ("object", "list", "number"...)."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean",
             int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _parse_block(body: str) -> tuple[ToolCall | None, str | None]:
    """Parse the JSON inside one ``<tool_call>`` block."""
    body = body.strip()
    fenced = _FENCE_RE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} (char {exc.pos})"
    if not isinstance(payload, dict):
        return None, f"expected a JSON object, got {_type_name(payload)}"
    if isinstance(payload.get("function"), dict) and "name" not in payload:
        payload = payload["function"]
    name = payload.get("name")
    if name is None:
        return None, 'missing "name"'
    if not isinstance(name, str) or not name.strip():
        return None, '"name" must be a non-empty string'
    raw = payload["arguments"] if "arguments" in payload else payload.get("parameters")
    arguments, error = coerce_arguments(raw)
    if error:
        return None, error
    return ToolCall(name.strip(), arguments), None


def _split_blocks(text: str) -> tuple[list[str], str]:
    """Return the block bodies (closed ones, then an unclosed final one) and the rest."""
    bodies = _BLOCK_RE.findall(text)
    rest = _BLOCK_RE.sub("", text)
    unclosed = _UNCLOSED_RE.search(rest)
    if unclosed:
        bodies.append(unclosed.group(1))
        rest = rest[: unclosed.start()]
    return bodies, rest


def parse_tool_calls(text: str) -> tuple[list[ToolCall], list[str]]:
    """Parse every ``<tool_call>`` block in ``text``.

    >>> calls, errors = parse_tool_calls('<tool_call>{"name": "f", "arguments": {}}</tool_call>')
    >>> calls, errors
    ([ToolCall(name='f', arguments={})], [])
    """
    bodies, _ = _split_blocks(strip_special(text))
    return _parse_bodies(bodies)


def _parse_bodies(bodies: list[str]) -> tuple[list[ToolCall], list[str]]:
    calls, errors = [], []
    for number, body in enumerate(bodies, start=1):
        call, error = _parse_block(body)
        if call is not None:
            calls.append(call)
        else:
            errors.append(f"tool call {number}: {error}")
    return calls, errors


def _normalize_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def is_refusal(content: str) -> bool:
    """True when a refusal phrase appears early in ``content``.

    >>> is_refusal("Sorry, I can\u2019t help with that.")
    True
    """
    lowered = _normalize_quotes(content).lower()
    for phrase in REFUSAL_PHRASES:
        at = lowered.find(phrase)
        if 0 <= at < _EARLY_CHARS:
            return True
    return False


def classify_text(content: str) -> str:
    """Label a text with no tool call: "refusal", "clarification" or "answer".

    >>> classify_text("Which city do you mean?")
    'clarification'
    >>> classify_text("I cannot do that.")
    'refusal'
    >>> classify_text("It is 21 degrees.")
    'answer'
    """
    content = (content or "").strip()
    if is_refusal(content):
        return "refusal"
    if content.endswith("?"):
        return "clarification"
    return "answer"


def parse_answer(text: str) -> ParsedAnswer:
    """Parse a generated answer into calls, text, errors and a label.

    >>> parse_answer('<think>x</think><tool_call>{"name": "f", "arguments": {}}</tool_call>').label
    'tool_call'
    """
    bodies, rest = _split_blocks(strip_special(text))
    calls, errors = _parse_bodies(bodies)
    content = rest.strip()
    label = "tool_call" if calls else classify_text(content)
    return ParsedAnswer(label=label, content=content, calls=calls, errors=errors)


def label_of_message(message: dict) -> str:
    """Label a reference assistant message dict.

    >>> label_of_message({"role": "assistant", "content": "Which file?"})
    'clarification'
    """
    if message.get("tool_calls"):
        return "tool_call"
    content = message.get("content")
    return classify_text(content if isinstance(content, str) else "")


def tool_name(tool: dict) -> str | None:
    """Name of a tool schema in OpenAI (``{"function": {...}}``) or bare form."""
    if not isinstance(tool, dict):
        return None
    inner = tool.get("function") if isinstance(tool.get("function"), dict) else tool
    name = inner.get("name")
    return name if isinstance(name, str) else None


def _call_name(call) -> str | None:
    if isinstance(call, ToolCall):
        return call.name
    if isinstance(call, dict):
        return tool_name(call)
    return None


def call_names_declared(calls, tools: list[dict]) -> bool:
    """True if ``calls`` is non-empty and every call names a declared tool.

    >>> tools = [{"type": "function", "function": {"name": "f"}}]
    >>> call_names_declared([ToolCall("f", {})], tools), call_names_declared([], tools)
    (True, False)
    """
    declared = {tool_name(t) for t in tools or []} - {None}
    calls = list(calls or [])
    return bool(calls) and all(_call_name(c) in declared for c in calls)
