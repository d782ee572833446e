"""What one model answer says, checked: its label, its calls against the tools' schemas, invented values.

The playground shows this under each answer. Nothing here runs a tool: a call is text
until a person writes its result (or takes :func:`mock_result`).

>>> tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
...     "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
>>> chat = [{"role": "user", "content": "Weather in Nairobi?"}]
>>> review = review_answer('<tool_call>{"name": "get_weather", "arguments": {"city": "Prague"}}</tool_call>',
...                        tools, chat)
>>> review.label, review.invented
('tool call', ['city = "Prague" does not appear in the conversation'])
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from toolft.toolcalls import parse_answer

LABEL_TEXT = {"tool_call": "tool call", "clarification": "clarifying question", "refusal": "refusal",
              "answer": "plain answer"}


@dataclass
class AnswerReview:
    """``label``: tool call, parallel calls, clarifying question, refusal, plain answer, or broken tool call
    (a call that does not parse and no other call; ``content`` is then the raw text, so it stays in view).

    ``calls``: ``[{"name", "arguments"}]`` as parsed; ``problems``: parse errors and calls
    that break the tools' JSON Schemas (one line each); ``invented``: argument values found
    nowhere in the conversation or the tool's schema.
    """

    text: str
    label: str
    content: str
    calls: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)


def review_answer(text: str, tools: list[dict] | None, conversation: list[dict]) -> AnswerReview:
    """Parse ``text`` (a raw model answer to ``conversation``) and check its calls against ``tools``."""
    parsed = parse_answer(text, tools)
    calls = [{"name": c.name, "arguments": c.arguments} for c in parsed.calls]
    label = "parallel calls" if len(calls) > 1 else LABEL_TEXT.get(parsed.label, parsed.label)
    content = parsed.content
    if parsed.errors and not calls:  # it tried to call and failed: say so, and keep what it wrote in view
        label, content = "broken tool call", text.strip()
    problems = [f"unparsed: {e}" for e in parsed.errors] + _schema_problems(calls, tools, conversation)
    return AnswerReview(text=text, label=label, content=content, calls=calls, problems=problems,
                        invented=invented_values(calls, tools, conversation))


def _schema_problems(calls: list[dict], tools, conversation: list[dict]) -> list[str]:
    """The data lint's findings on these calls (undeclared tool, JSON Schema failures), as one line each."""
    from toolft.data.lint import lint_row

    if not calls:
        return []
    turn = len(conversation)
    record = {"messages": [*conversation, assistant_message(calls, "")], "tools": tools or []}
    prefix = f"messages[{turn}].tool_calls"
    out = []
    for where, message, _ in lint_row(record):
        if where.startswith(prefix):
            index = re.match(r"\[(\d+)\]", where[len(prefix):])
            name = calls[int(index.group(1))]["name"] if index else ""
            detail = where[len(prefix):].split(".arguments", 1)[-1].lstrip(".") if ".arguments" in where else ""
            out.append(f"{name}{'.' + detail if detail else ''}: {message}")
    return out


def _leaves(value, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield path, value


def _number_forms(value) -> set[str]:
    forms = {str(value)}
    if isinstance(value, float) and value.is_integer():
        forms.add(str(int(value)))
    return forms


def invented_values(calls: list[dict], tools, conversation: list[dict]) -> list[str]:
    """Argument values that appear neither in the conversation's text nor in the tools' schemas.

    Strings are looked up case-insensitively; numbers as written (``250`` or ``250.0``). A
    value the schema offers (an ``enum`` member, a ``default``) is not invented. Empty
    strings are skipped.
    """
    said = " ".join(str(m.get("content") or "") for m in conversation if m.get("role") != "assistant")
    said += " " + " ".join(json.dumps(c.get("function", c).get("arguments", {}), ensure_ascii=False)
                           for m in conversation for c in m.get("tool_calls") or [] if isinstance(c, dict))
    lowered = said.lower()
    numbers = set(re.findall(r"-?\d+(?:\.\d+)?", said))
    schema_text = json.dumps(tools or [], ensure_ascii=False).lower()
    out = []
    for call in calls:
        for path, value in _leaves(call["arguments"]):
            if isinstance(value, str):
                if not value.strip() or value.lower() in lowered or json.dumps(value).lower() in schema_text:
                    continue
            elif _number_forms(value) & numbers:
                continue
            out.append(f"{path} = {json.dumps(value, ensure_ascii=False)} does not appear in the conversation")
    return out


def assistant_message(calls: list[dict], content: str, first_id: int = 0) -> dict:
    """The assistant turn to keep in the history: its text and its calls (ids ``call_0``, ``call_1``...)."""
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [{"id": f"call_{first_id + i}", "type": "function",
                                  "function": {"name": c["name"], "arguments": c["arguments"]}}
                                 for i, c in enumerate(calls)]
    return message


def mock_result(call: dict) -> str:
    """A made-up tool result for ``call`` (JSON text): marked as a mock, echoing the arguments.

    >>> json.loads(mock_result({"name": "get_weather", "arguments": {"city": "Oslo"}}))["mock"]
    True
    """
    return json.dumps({"mock": True, "tool": call["name"], "status": "ok", "arguments": call["arguments"],
                       "result": f"(made-up result of {call['name']}; no tool was run)"}, ensure_ascii=False)
