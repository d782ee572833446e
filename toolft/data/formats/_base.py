"""Helpers shared by the format converters (one module per format family in this package).

What lives here is used by more than one family, with the same meaning everywhere:

* :class:`ConvertError` (the only exception a converter raises for a bad row);
* copying source data so that the canonical row shares no object with it
  (``_clone``, ``_fresh``), JSON text (``_dumps``, ``_load_json``, ``_json_error``);
* the parts of a canonical row: ids (``_str_id``), call arguments (``_arguments``),
  message content and tool results (``_content``, ``_result``), calls in any accepted
  shape (``_call``, ``_convert_call``), the finished row (``_finish``) and tool names
  filled into tool messages (``_fill_tool_names``);
* tools: a tool list in any accepted shape (``_tool_list``, ``_tool``, ``_function``) and
  Python type names made JSON Schema types (``_fix_schema``, ``_TYPE_ALIASES``);
* system prompts: the sentences about the tool-calling protocol dropped (``_clean_system``);
* ``conversations`` turns (ShareGPT and ToolACE): ``_turn``, ``_conversations``.

Only the standard library and :mod:`toolft.toolcalls` (itself stdlib-only) are used here.
"""

from __future__ import annotations

import copy
import json
import marshal
import re

# toolcalls' _type_name (private there) is this package's function, unchanged: imported, not copied.
from toolft.toolcalls import _type_name, coerce_arguments

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"  # JSON's whitespace (toolcalls._skip_ws skips any Unicode space: not the same)


class ConvertError(ValueError):
    """A row that cannot be converted.

    ``field`` is a path in the SOURCE row like ``"conversations[2].value"`` or
    ``"answers"`` (``""`` for the row itself); ``message`` says what is wrong.

    >>> err = ConvertError("answers", "is not valid JSON")
    >>> err.field, err.message, str(err)
    ('answers', 'is not valid JSON', 'answers: is not valid JSON')
    """

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


ConvertError.__module__ = "toolft.data.formats"  # its public home: tracebacks and doctests name it there


# ------------------------------------------------------------------ helpers

def _clone(value):
    """A deep copy of JSON-like data (much faster than ``copy.deepcopy`` for it)."""
    kind = type(value)
    if kind is dict:
        return {k: _clone(v) for k, v in value.items()}
    if kind is list:
        return [_clone(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def _fresh(value):
    """A deep copy of JSON data via ``marshal`` (C speed); ``_clone`` for anything marshal refuses."""
    try:
        return marshal.loads(marshal.dumps(value))
    except (ValueError, TypeError, EOFError):
        return _clone(value)


def _dumps(value) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _str_id(value):
    """Integer/float ids become strings; anything else is left for the lint."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _clone(value)


def _arguments(value):
    """Call arguments as a dict: a JSON string of an object is decoded, ``""``/null is ``{}``.

    Anything else (a non-JSON string, JSON of a list...) is left as it is for the lint.
    """
    kind = type(value)
    if kind is dict:
        return _clone(value)
    if value is None:
        return {}
    if kind is str:
        parsed, error = coerce_arguments(value.strip())  # blank -> {}; JSON of an object -> dict; else an error
        return value if error else parsed
    return _clone(value)


def _skip(text: str, i: int, chars: str = _WS) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _json_error(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _load_json(text: str, field: str, what: str = "is not valid JSON"):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConvertError(field, f"{what}: {_json_error(exc)}") from None


def _text_parts(value, mcp: bool = False):
    """Join a list of content parts (``{"type": "text", "text": ...}``) with newlines.

    Returns None when ``value`` is not such a list.  With ``mcp`` (tool results), MCP
    parts other than text are kept as their embedded resource text or else as JSON.
    """
    if type(value) is not list or not value:
        return None
    texts = []
    for part in value:
        if not isinstance(part, dict):
            return None
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif mcp and part.get("type") == "resource" and isinstance(part.get("resource"), dict) \
                and isinstance(part["resource"].get("text"), str):
            texts.append(part["resource"]["text"])
        elif mcp and part.get("type") in ("image", "audio", "resource", "resource_link"):
            texts.append(_dumps(part))
        else:
            return None
    return "\n".join(texts)


def _content(value):
    """A message's content: lists of text parts are joined; other values are kept for the lint."""
    if type(value) is list:
        joined = _text_parts(value)
        if joined is not None:
            return joined
    return _clone(value)


def _result(value):
    """A tool result as a string: strings kept, text parts joined, other JSON values encoded."""
    if type(value) is str or value is None:
        return value
    joined = _text_parts(value, mcp=True)
    return joined if joined is not None else _dumps(value)


def _finish(row: dict, messages: list, tools) -> dict:
    out = {"messages": messages, "tools": tools}
    row_id = row.get("id")
    if row_id is not None:
        out["id"] = row_id if type(row_id) is str else str(row_id) if type(row_id) in (int, float) else _dumps(row_id)
    if "kind" in row:
        out["kind"] = _clone(row["kind"])
    return out


# -------------------------------------------------------------------- calls

def _is_rpc_request(value) -> bool:
    return type(value) is dict and ("jsonrpc" in value or ("method" in value and "params" in value))


def _call(name, arguments, call_id=None) -> dict:
    call = {"type": "function"}
    if call_id is not None:
        call["id"] = _str_id(call_id)
    call["function"] = {"name": _clone(name), "arguments": _arguments(arguments)}
    return call


def _convert_call(call, where: str):
    """One call item in any of the accepted shapes -> canonical; other shapes kept for the lint."""
    # not toolcalls._call_from_payload: that drops the id, takes any JSON-RPC method as the tool
    # name and rejects the shapes that are kept here for the lint
    if type(call) is not dict:
        return _clone(call)
    fn = call.get("function")
    if type(fn) is dict:
        return _call(fn.get("name"), fn.get("arguments"), call.get("id"))
    if fn is not None:
        return _clone(call)
    if _is_rpc_request(call):
        if call.get("method") != "tools/call":
            raise ConvertError(f"{where}.method",
                               f"is {call.get('method')!r}; only JSON-RPC tools/call requests are tool calls")
        params = call.get("params")
        if type(params) is not dict:
            raise ConvertError(f"{where}.params",
                               f"must be an object with name and arguments, got {_type_name(params)}")
        return _call(params.get("name"), params.get("arguments"), call.get("id"))
    if "tool" in call and "name" not in call:
        return _call(call["tool"], call.get("arguments", call.get("args")), call.get("id"))
    return _call(call.get("name"), call.get("arguments", call.get("parameters")), call.get("id"))


def _fill_tool_names(messages: list) -> None:
    """Give each tool message without a ``name`` the name of the call it answers.

    Matched by ``tool_call_id`` when present, else by position after the assistant turn
    (several results after a single call all answer that call).
    """
    calls, k = [], 0
    for msg in messages:
        if msg.get("role") == "assistant":
            calls, k = msg.get("tool_calls") or [], 0
        elif msg.get("role") == "tool":
            if "name" not in msg and calls:
                match = None
                if msg.get("tool_call_id") is not None:
                    match = next((c for c in calls if type(c) is dict and c.get("id") == msg["tool_call_id"]), None)
                elif k < len(calls):
                    match = calls[k]
                elif len(calls) == 1:
                    match = calls[0]
                # not toolcalls.tool_name: that also reads a "name" beside a non-object "function" (kept for the lint)
                fn = match.get("function") if type(match) is dict else None
                name = fn.get("name") if type(fn) is dict else None
                if type(name) is str:
                    msg["name"] = name
            k += 1


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])(\s+)")
_PROTOCOL = re.compile(r"func|tool[ _-]?calls?\b|</?tool|other text must|json object with", re.IGNORECASE)


def _clean_system(text: str) -> str:
    """Drop the sentences of a system prompt that describe the tool-calling protocol.

    >>> _clean_system("You are a function calling AI model. Be terse.\\nAnswer in French.")
    'Be terse.\\nAnswer in French.'
    """
    pieces = _SENTENCE_SPLIT.split(text)
    kept = []
    for i in range(0, len(pieces), 2):
        sentence = pieces[i]
        if sentence.strip() and not _PROTOCOL.search(sentence):
            kept.append(sentence + (pieces[i + 1] if i + 1 < len(pieces) else ""))
    out = "".join(kept).strip()
    return out if re.search(r"\w", out) else ""


# -------------------------------------------------------------------- tools

_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
_TYPE_ALIASES = {
    "str": "string", "string": "string", "text": "string", "char": "string",
    "int": "integer", "integer": "integer", "long": "integer",
    "float": "number", "double": "number", "number": "number", "decimal": "number",
    "bool": "boolean", "boolean": "boolean",
    "list": "array", "array": "array", "tuple": "array", "set": "array", "sequence": "array",
    "iterable": "array", "frozenset": "array",
    "dict": "object", "object": "object", "mapping": "object", "map": "object",
    "none": "null", "nonetype": "null", "null": "null",
}


def _fix_schema(schema):
    """Copy of a JSON Schema with Python-ish ``type`` names made JSON Schema types (recursively).

    >>> _fix_schema({"type": "dict", "properties": {"xs": {"type": "list", "items": {"type": "float"}}}})
    {'type': 'object', 'properties': {'xs': {'type': 'array', 'items': {'type': 'number'}}}}
    """
    if type(schema) is list:
        return [_fix_schema(v) for v in schema]
    if type(schema) is not dict:
        return _clone(schema)
    out = {}
    for key, value in schema.items():
        if key == "type" and type(value) is str and value not in _JSON_TYPES:
            out[key] = _TYPE_ALIASES.get(value.strip().lower(), value)
        elif key == "type" and type(value) is list:
            out[key] = [_TYPE_ALIASES.get(v.strip().lower(), v) if type(v) is str else v for v in value]
        elif key in ("properties", "patternProperties", "definitions", "$defs") and type(value) is dict:
            out[key] = {k: _fix_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = _fix_schema(value)
        else:
            out[key] = _clone(value)
    return out


def _function(fn: dict, fix_types: bool = False) -> dict:
    """A tool's function object: ``inputSchema`` (MCP) becomes ``parameters``.

    ``fn`` must be fresh data (parsed or copied by the caller): its values are reused.
    """
    if "inputSchema" in fn and "parameters" not in fn:
        out = {k: fn[k] for k in ("name", "description") if k in fn}
        out["parameters"] = fn["inputSchema"]
    else:
        out = {k: v for k, v in fn.items() if k != "type"}
    if type(out.get("parameters")) is str:
        try:
            decoded = json.loads(out["parameters"])
        except ValueError:
            decoded = None
        if type(decoded) is dict:
            out["parameters"] = decoded
    if fix_types and "parameters" in out:
        out["parameters"] = _fix_schema(out["parameters"])
    return out


def _tool(tool, fix_types: bool = False):
    """One tool in the ``{"type": "function", "function": {...}}`` form; non-objects are kept for the lint.

    ``tool`` must be fresh data (parsed or copied by the caller): its values are reused.
    """
    if type(tool) is str:
        try:
            decoded = json.loads(tool)
        except ValueError:
            return tool
        tool = decoded
    if type(tool) is not dict:
        return tool
    fn = tool.get("function")
    if (type(fn) is dict and not fix_types and "type" not in fn and "inputSchema" not in fn
            and type(fn.get("parameters")) is not str):  # already canonical: reuse the fresh copy
        return tool if len(tool) == 2 and tool.get("type") == "function" else {"type": tool.get("type", "function"),
                                                                               "function": fn}
    if type(fn) is dict:
        return {"type": tool.get("type", "function"), "function": _function(tool["function"], fix_types)}
    return {"type": "function", "function": _function(tool, fix_types)}


def _tool_list(value, field: str, fix_types: bool = False):
    """The ``tools`` of a row: a list, a JSON string of one, a single tool, or an MCP
    ``tools/list`` result / JSON-RPC response; null or missing is ``[]``."""
    if value is None:
        return []
    if type(value) is str:
        if not value.strip():
            return []
        value = _load_json(value, field, "is a string but not valid JSON")
    else:
        value = _fresh(value)
    if type(value) is dict:
        if type(value.get("result")) is dict and "jsonrpc" in value:
            value = value["result"]
        if type(value.get("tools")) is list:
            value = value["tools"]
        else:
            value = [value]
    if type(value) is not list:
        return value
    return [_tool(t, fix_types) for t in value]


# ---------------------------------------------------- conversations (sharegpt, toolace)

_SPEAKERS = {
    "system": "system",
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "model": "assistant", "chatgpt": "assistant", "bot": "assistant",
    "tool": "tool", "observation": "tool", "function_response": "tool", "ipython": "tool", "function": "tool",
    "function_call": "call",
}


def _turn(turns: list, i: int) -> tuple[str, object]:
    turn = turns[i]
    if type(turn) is not dict:
        raise ConvertError(f"conversations[{i}]", f'must be an object with "from" and "value", got {_type_name(turn)}')
    speaker = turn.get("from", turn.get("role"))
    key = "from" if "from" in turn else "role"
    role = _SPEAKERS.get(speaker.strip().lower()) if type(speaker) is str else None
    if role is None:
        if speaker is None:
            raise ConvertError(f"conversations[{i}]", 'has no "from" speaker')
        raise ConvertError(f"conversations[{i}].{key}",
                           f"unknown speaker {speaker!r}; expected one of {', '.join(sorted(_SPEAKERS))}")
    return role, turn.get("value", turn.get("content"))


def _conversations(row: dict) -> list:
    turns = row.get("conversations")
    if type(turns) is not list:
        problem = "is missing" if turns is None else f"must be a list of turns, got {_type_name(turns)}"
        raise ConvertError("conversations", problem)
    return turns
