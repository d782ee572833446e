"""Convert the common tool-calling dataset row formats into toolft's canonical row.

The canonical row is TRL's conversational format with a ``tools`` column (OpenAI style)::

    {"messages": [
        {"role": "system", "content": "..."},                       # optional, index 0 only
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "id": "call_1",
             "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\\"temp_c\\": 21}"},
        {"role": "assistant", "content": "21 °C in Paris."}],
     "tools": [{"type": "function", "function": {"name": "get_weather", "description": "...",
                "parameters": {"type": "object", "properties": {...}, "required": [...]}}}],
     "id": "row-7",          # only when the source row has one (always a string)
     "kind": "single_call"}  # only when the source row has one

In a canonical row call ``arguments`` are dicts (a string is left only when it is not
JSON of an object, so the lint reports it), ``id``/``tool_call_id`` are strings, an
assistant turn with calls has a string ``content`` (``""`` when none) and tool results
are strings (a dict/list result is ``json.dumps(..., ensure_ascii=False)``-encoded).
Source-row keys other than the conversation, the tools, ``id`` and ``kind`` are dropped.

Formats (:data:`FORMATS`) and what :func:`detect_format` looks at (keys first; cheap):

* ``messages`` present -> one of

  - ``mcp``: some call is a JSON-RPC 2.0 ``tools/call`` request (an item of
    ``tool_calls`` or the whole assistant ``content``), or no call uses the ``tool``
    key and the tools use ``inputSchema`` / are a ``tools/list`` response, or a tool
    result is a JSON-RPC response or an MCP ``CallToolResult`` object;
  - ``simple``: some call is written ``{"tool": NAME, "arguments": {...}}`` (an item of
    ``tool_calls``, or a JSON object/array of them as the whole assistant ``content``);
    its tools may be OpenAI, bare or MCP (``inputSchema``) style;
  - ``openai`` otherwise (TRL / OpenAI chat rows).
* ``conversations`` present -> ``sharegpt`` when a turn is ``from`` human/gpt/system/
  function_call/observation, the row has a ``tools`` key, or a text holds ``<tools>`` /
  ``<tool_call>``; otherwise ``toolace`` when the row has a top-level ``system`` string
  (ToolACE) holding a JSON list of functions or an assistant turn is a ``[f(...)]`` call
  list; otherwise ``sharegpt``.
* ``query`` and ``answers`` -> ``xlam``; a ``chat`` string -> ``glaive``.

System prompts: tools listed inside a system prompt (Hermes ``<tools>``, ToolACE's JSON
list, Glaive's function listing) move to ``tools``, and the text that only describes the
tool-calling protocol is dropped, because the model's chat template renders the tools
and its own call format from the ``tools`` column.  For ShareGPT/Hermes and ToolACE the
sentences that mention functions, tool calls or the tool tags are dropped; what is left
becomes the system message when it has any word in it, else the row has no system
message.  For Glaive the "with access to the following functions. Use them if required -"
part is cut ("You are a helpful assistant.").

What each converter keeps (everything else in the source row is dropped):

* openai / simple / mcp: each message keeps ``role, content, tool_calls, tool_call_id,
  name, reasoning_content``.  Calls can be ``{"type": "function", "function": {...}}``,
  bare ``{"name", "arguments"}``, ``{"tool", "arguments"}`` (simple) or a JSON-RPC
  ``tools/call`` request (mcp; its ``id`` becomes the call id), and the legacy
  ``function_call`` / ``role: function`` pair is accepted too.  Lists of text content
  parts are joined with newlines.  ``tools`` may be a list, one JSON string, null, or an
  MCP ``tools/list`` result.  In mcp rows, results that are a ``CallToolResult`` (or a
  JSON-RPC response carrying one) become their text parts joined with newlines, and
  the response ``id`` becomes the ``tool_call_id``; a JSON-RPC error becomes
  ``"Error: <message>"``.  Messages and tools of shapes that cannot be converted are
  passed through for the lint.
* sharegpt: ``conversations`` (``from``/``value``, or ``role``/``content``), tools from
  ``<tools>`` blocks and/or a ``tools`` key, calls from ``<tool_call>`` blocks or
  ``function_call`` turns, one tool message per ``<tool_response>`` block.  Blocks that
  are Python literals (single quotes) are accepted.  A top-level ``system`` is used.
* toolace: ``system`` (tools taken out of it) and ``conversations``.  Tool schemas keep
  ``name``, ``description`` and ``parameters``, with Python type names made JSON Schema.
* xlam: ``query`` -> user turn, ``answers`` -> one assistant turn with every call,
  ``tools`` with their Python-typed parameters made a JSON Schema.
* glaive: ``system`` and ``chat``.

Tool messages converted from sharegpt, toolace and glaive have no ``tool_call_id`` (the
sources have none).  A missing ``name`` is filled in from the call they answer, matched
by position.

Only the standard library is used here.
"""

from __future__ import annotations

import ast
import copy
import json
import marshal
import re

FORMATS = ("openai", "sharegpt", "xlam", "glaive", "toolace", "simple", "mcp")

_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content")
_PLAIN_KEYS = frozenset(_MESSAGE_KEYS) - {"tool_calls"}
_PLAIN_ROLES = frozenset({"system", "user", "assistant", "tool"})
_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


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


# ------------------------------------------------------------------ helpers

def _type_name(value) -> str:
    """The JSON name of a value's type, for messages ("object", "list", "number"...)."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean",
             int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


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
        text = value.strip()
        if not text:
            return {}
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return value
        return parsed if type(parsed) is dict else value
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


def _call(name, arguments, call_id=None) -> dict:
    call = {"type": "function"}
    if call_id is not None:
        call["id"] = _str_id(call_id)
    call["function"] = {"name": _clone(name), "arguments": _arguments(arguments)}
    return call


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


# ---------------------------------------------------------- openai / simple / mcp

def _is_rpc_request(value) -> bool:
    return type(value) is dict and ("jsonrpc" in value or ("method" in value and "params" in value))


def _is_call_tool_result(value) -> bool:
    return (type(value) is dict and type(value.get("content")) is list
            and set(value) <= {"content", "isError", "structuredContent", "_meta"})


def _is_rpc_response(value) -> bool:
    return type(value) is dict and "jsonrpc" in value and ("result" in value or "error" in value)


def _calls_of(msg: dict):
    calls = msg.get("tool_calls")
    return calls if type(calls) is list else ()


def detect_format(row) -> str | None:
    """The format of one row (one of :data:`FORMATS`), or None when it matches none.

    Looks at the keys first and only scans the turns when the keys leave a choice
    (see the module docstring for the rules).

    >>> detect_format({"messages": [{"role": "user", "content": "Hi"}]})
    'openai'
    >>> detect_format({"query": "Sum 1 and 2", "answers": "[]", "tools": "[]"})
    'xlam'
    >>> detect_format({"system": "SYSTEM: You are a helpful assistant.", "chat": "USER: Hi"})
    'glaive'
    >>> detect_format({"text": "hello"}) is None
    True
    """
    if type(row) is not dict:
        return None
    if "messages" in row:
        return _detect_messages(row)
    if "conversations" in row:
        return _detect_conversations(row)
    if "query" in row and "answers" in row:
        return "xlam"
    if type(row.get("chat")) is str:
        return "glaive"
    return None


def _detect_messages(row: dict) -> str:
    messages = row["messages"]
    simple = mcp_result = False
    for msg in messages if type(messages) is list else ():
        if type(msg) is not dict:
            continue
        for call in _calls_of(msg):
            if type(call) is dict and "function" not in call:
                if _is_rpc_request(call):
                    return "mcp"
                if "tool" in call:
                    simple = True
        content = msg.get("content")
        role = msg.get("role")
        if type(content) is str and role == "assistant" and content and content.lstrip()[:1] in ("{", "["):
            if '"jsonrpc"' in content:
                return "mcp"
            if '"tool"' in content:
                simple = simple or _content_calls(content, "simple") is not None
        elif role == "tool" and not mcp_result:
            if type(content) is dict:
                mcp_result = _is_rpc_response(content) or _is_call_tool_result(content)
            elif type(content) is str and content[:1] == "{" and '"jsonrpc"' in content:
                mcp_result = True
    if simple:
        return "simple"
    if mcp_result:
        return "mcp"
    tools = row.get("tools")
    if type(tools) is str:
        return "mcp" if '"inputSchema"' in tools else "openai"
    if type(tools) is dict:
        return "mcp"
    if type(tools) is list and any(type(t) is dict and "inputSchema" in t for t in tools):
        return "mcp"
    return "openai"


def _content_calls(content: str, fmt: str):
    """Calls written as the whole assistant content (simple: ``{"tool": ...}`` objects,
    mcp: JSON-RPC requests): the list of call objects, or None when it is plain text."""
    text = content.strip()
    if text[:1] not in ("{", "["):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    items = value if type(value) is list else [value]
    if not items:
        return None
    if fmt == "simple" and all(type(c) is dict and "tool" in c for c in items):
        return items
    if fmt == "mcp" and all(_is_rpc_request(c) for c in items):
        return items
    return None


def _convert_call(call, where: str):
    """One call item in any of the accepted shapes -> canonical; other shapes kept for the lint."""
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


def _mcp_result(value):
    """An MCP tool result -> (text, JSON-RPC id or None); None when it is not one."""
    rpc_id = None
    if _is_rpc_response(value):
        rpc_id = value.get("id")
        if "error" in value and "result" not in value:
            error = value["error"]
            message = error.get("message") if type(error) is dict else error
            return "Error: " + (message if type(message) is str else _dumps(message)), rpc_id
        value = value["result"]
    if _is_call_tool_result(value):
        text = _text_parts(value["content"], mcp=True)
        if text is None:
            text = (_dumps(value["structuredContent"]) if "structuredContent" in value
                    else _dumps(value["content"]) if value["content"] else "")
        return text, rpc_id
    if rpc_id is not None:
        return _result(value), rpc_id
    return None


def _convert_messages(row: dict, fmt: str) -> list:
    messages = row.get("messages")
    if type(messages) is not list:
        problem = "is missing" if messages is None else f"must be a list of messages, got {_type_name(messages)}"
        raise ConvertError("messages", problem)
    out = []
    for i, msg in enumerate(messages):
        if type(msg) is not dict:
            out.append(_clone(msg))
            continue
        role = msg.get("role")
        if (type(role) is str and role in _PLAIN_ROLES and msg.keys() <= _PLAIN_KEYS
                and type(msg.get("content")) is str and (fmt == "openai" or role in ("user", "system"))
                and type(msg.get("name", "")) is str and type(msg.get("tool_call_id", "")) is str
                and type(msg.get("reasoning_content", "")) is str):
            out.append(msg.copy())  # already canonical: only strings, nothing to convert
            continue
        new = {k: msg[k] for k in _MESSAGE_KEYS if k in msg}
        role = new.get("role")
        if type(role) is not str and "role" in new:
            new["role"] = _clone(role)
        if role == "function":  # legacy OpenAI function result
            new["role"] = role = "tool"
        content = new.get("content")
        if role == "assistant":
            calls = msg.get("tool_calls")
            if calls is None and type(msg.get("function_call")) is dict:  # legacy OpenAI single call
                calls = [msg["function_call"]]
            if calls is None and fmt in ("simple", "mcp") and type(content) is str:
                found = _content_calls(content, fmt)
                if found is not None:
                    calls, content = found, ""
            if type(calls) is list and calls:
                new["tool_calls"] = [_convert_call(c, f"messages[{i}].tool_calls[{j}]") for j, c in enumerate(calls)]
                new["content"] = "" if content is None else _content(content)
            else:
                new.pop("tool_calls", None)
                if calls:  # not a list: kept for the lint
                    new["tool_calls"] = _clone(calls)
                if "content" in new:
                    new["content"] = _content(content)
        elif role == "tool":
            unwrapped = None
            if fmt == "mcp":
                value = content
                if type(value) is str and value[:1] == "{":
                    try:
                        value = json.loads(value)
                    except (ValueError, RecursionError):
                        pass
                unwrapped = _mcp_result(value)
            if unwrapped is not None:
                new["content"], rpc_id = unwrapped
                if "tool_call_id" not in new and rpc_id is not None:
                    new["tool_call_id"] = rpc_id
            elif "content" in new:
                new["content"] = _result(content)
        elif "content" in new:
            new["content"] = _content(content)
        if role != "assistant" and "tool_calls" in new:
            new["tool_calls"] = _clone(new["tool_calls"])
        if "tool_call_id" in new:
            new["tool_call_id"] = _str_id(new["tool_call_id"])
        for key in ("name", "reasoning_content"):
            if key in new:
                new[key] = _clone(new[key])
        out.append(new)
    return out


def _from_messages(row: dict, fmt: str) -> dict:
    return _finish(row, _convert_messages(row, fmt), _tool_list(row.get("tools"), "tools"))


# ----------------------------------------------------------- sharegpt / Hermes

_SPEAKERS = {
    "system": "system",
    "human": "user", "user": "user",
    "gpt": "assistant", "assistant": "assistant", "model": "assistant", "chatgpt": "assistant", "bot": "assistant",
    "tool": "tool", "observation": "tool", "function_response": "tool", "ipython": "tool", "function": "tool",
    "function_call": "call",
}
_SHAREGPT_ONLY = {"human", "gpt", "system", "function_call", "observation", "function_response"}
_TOOLS_BLOCK = re.compile(r"<tools>(.*?)</tools>", re.DOTALL)
_CALL_EXAMPLE = re.compile(r"<tool_call>.*?</tool_call>", re.DOTALL)
_PY_CALLS = re.compile(r"\A\s*\[\s*[A-Za-z_][\w .\-]*\(")
_CALL_NAME = re.compile(r"[A-Za-z_][\w .\-]*")


def _detect_conversations(row: dict) -> str:
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


def _from_sharegpt(row: dict) -> dict:
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


# ----------------------------------------------------------------- toolace

_TOOLACE_TOOL_KEYS = ("name", "description", "parameters")


def _toolace_tools(system: str) -> tuple[str, list]:
    """Find the JSON list of functions in a ToolACE system prompt: (text without it, tools)."""
    pos = system.find("[")
    saw_list, error = False, "not a list of function objects"
    while pos >= 0:
        if system.startswith("[{", pos) or system[pos:pos + 8].lstrip("[ \t\r\n").startswith("{"):
            saw_list = True
            try:
                value, end = _DECODER.raw_decode(system, pos)
            except (ValueError, RecursionError) as exc:
                error = _json_error(exc)
            else:
                if type(value) is list and all(type(t) is dict for t in value):
                    tools = []
                    for t in value:
                        fn = t["function"] if type(t.get("function")) is dict else t
                        fn = {k: fn[k] for k in _TOOLACE_TOOL_KEYS if k in fn}
                        tools.append({"type": "function", "function": _function(fn, fix_types=True)})
                    return system[:pos] + system[end:], tools
        pos = system.find("[", pos + 1)
    if saw_list:
        raise ConvertError("system", f"the list of functions is not valid JSON: {error}")
    return system, []


def _match_paren(text: str, i: int) -> int:
    """Index just past the ``)`` closing the ``(`` at ``i``, skipping Python string literals."""
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'":
            quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else ch
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def _literal(node):
    """A Python literal value, also accepting JSON's true/false/null."""
    if isinstance(node, ast.Constant) and (node.value is None or type(node.value) in (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(v) for v in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k) for k in node.keys]
        if not all(type(k) is str for k in keys):
            raise ValueError(f"{ast.unparse(node)[:60]!r} has keys that are not strings")
        return dict(zip(keys, (_literal(v) for v in node.values)))
    raise ValueError(f"{ast.unparse(node)[:60]!r} is not a literal value")


def _python_calls(text: str, where: str) -> list:
    """``[get_weather(city="Paris"), f(a=1)]`` -> canonical calls (names may contain spaces, as in ToolACE)."""
    s = text.strip()
    calls, i = [], 1
    while True:
        i = _skip(s, i, _WS + ",")
        if i >= len(s) or s[i] == "]":
            break
        paren = s.find("(", i)
        name = s[i:paren].strip() if paren > 0 else ""
        end = _match_paren(s, paren) if _CALL_NAME.fullmatch(name) else -1
        if end < 0:
            raise ConvertError(where, f"cannot parse the Python call list at {s[i:i + 40]!r}")
        try:
            node = ast.parse("f" + s[paren:end], mode="eval").body
            if node.args:
                raise ValueError("positional arguments are not supported; write name=value")
            arguments = {}
            for kw in node.keywords:
                if kw.arg is None:
                    raise ValueError("**kwargs is not supported")
                arguments[kw.arg] = _literal(kw.value)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            detail = exc.msg if isinstance(exc, SyntaxError) else str(exc) or type(exc).__name__
            raise ConvertError(where, f"cannot parse the Python call {s[i:end][:60]!r}: {detail}") from None
        calls.append({"type": "function", "function": {"name": name, "arguments": arguments}})
        i = end
    if i >= len(s) or s[i:].strip() != "]":
        raise ConvertError(where, f"the Python call list is not closed with ]: {s[-40:]!r}")
    return calls


def _toolace_results(value: str) -> list:
    try:
        parsed = json.loads(value) if value.lstrip()[:1] in ("[", "{") else None
    except (ValueError, RecursionError):
        parsed = None
    items = parsed if type(parsed) is list else [parsed] if type(parsed) is dict else None
    if not items or not all(type(r) is dict and "name" in r for r in items):
        return [{"role": "tool", "content": value}]
    out = []
    for r in items:
        body = r["results"] if "results" in r else {k: v for k, v in r.items() if k != "name"}
        out.append({"role": "tool", "name": _clone(r["name"]), "content": _result(body)})
    return out


def _from_toolace(row: dict) -> dict:
    turns = _conversations(row)
    system = row.get("system")
    if system is not None and type(system) is not str:
        raise ConvertError("system", f"must be a string, got {_type_name(system)}")
    text, tools = _toolace_tools(system or "")
    text = _clean_system(text) if tools else text.strip()
    messages = [{"role": "system", "content": text}] if text else []
    for i, _ in enumerate(turns):
        role, value = _turn(turns, i)
        where = f"conversations[{i}].value"
        if role == "tool" and type(value) in (dict, list):
            value = _dumps(value)
        elif type(value) is not str:
            raise ConvertError(where, f"must be a string, got {_type_name(value)}")
        if role == "assistant" and _PY_CALLS.match(value):
            messages.append({"role": "assistant", "content": "", "tool_calls": _python_calls(value, where)})
        elif role == "tool":
            messages += _toolace_results(value)
        elif role == "call":
            raise ConvertError(f"conversations[{i}].from", "function_call turns are ShareGPT; convert as sharegpt")
        else:
            messages.append({"role": role, "content": value})
    _fill_tool_names(messages)
    return _finish(row, messages, tools)


# -------------------------------------------------------------------- xlam

def _split_top(text: str) -> list[str]:
    """Split ``"int, List[int]"`` at its top-level commas."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _py_type(text: str) -> tuple[dict, bool]:
    """A Python-style type -> (JSON Schema, optional).

    >>> _py_type("List[int]")
    ({'type': 'array', 'items': {'type': 'integer'}}, False)
    >>> _py_type("Optional[Union[int, float]]")
    ({'type': ['integer', 'number']}, True)
    """
    text = text.strip().strip("'\"")
    base, _, inner = text.partition("[")
    base = base.strip().split(".")[-1].lower()
    args = _split_top(inner[:-1]) if inner.endswith("]") else []
    if base == "optional":
        schema, _ = _py_type(args[0]) if args else ({}, True)
        return schema, True
    if base == "union":
        schemas, optional = [], False
        for arg in args:
            schema, opt = _py_type(arg)
            if schema == {"type": "null"}:
                optional = True
            elif schema not in schemas:
                schemas.append(schema)
            optional = optional or opt
        if not schemas or {} in schemas:
            return {}, optional
        if len(schemas) == 1:
            return schemas[0], optional
        if all(set(s) == {"type"} and type(s["type"]) is str for s in schemas):
            return {"type": [s["type"] for s in schemas]}, optional
        return {"anyOf": schemas}, optional
    json_type = _TYPE_ALIASES.get(base)
    if json_type is None:  # Any, Callable, unknown names: no type constraint
        return {}, False
    schema = {"type": json_type}
    if json_type == "array" and args and base not in ("tuple",):
        items, _ = _py_type(args[0])
        if items:
            schema["items"] = items
    elif json_type == "array" and base == "tuple" and args:
        items = [_py_type(a)[0] for a in args if a != "..."]
        if items and all(i == items[0] for i in items) and items[0]:
            schema["items"] = items[0]
    return schema, False


def _xlam_parameters(params, where: str) -> dict:
    if type(params) is not dict:
        return _clone(params)
    if params.get("type") in ("object", "dict") and type(params.get("properties")) is dict:
        return _fix_schema(params)  # already a JSON Schema
    properties, required = {}, []
    for name, spec in params.items():
        if type(spec) is not dict:
            raise ConvertError(f"{where}.{name}",
                               f"must be an object with type and description, got {_type_name(spec)}")
        optional, schema = False, {}
        raw = spec.get("type")
        if type(raw) is str:  # "List[int]", "int, optional"
            parts = _split_top(raw) or [""]
            schema, optional = _py_type(parts[0])
            optional = optional or any(p.lower() == "optional" for p in parts[1:])
        elif raw is not None:
            schema = {"type": _clone(raw)}
        prop = dict(schema)
        for key, value in spec.items():
            if key != "type":
                prop[key] = _clone(value)
        properties[name] = prop
        if not optional:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def _json_list(row: dict, key: str):
    value = row.get(key)
    if type(value) is str:
        value = _load_json(value, key)
    return value


def _from_xlam(row: dict) -> dict:
    query = row.get("query")
    if type(query) is not str:
        raise ConvertError("query", f"must be a string, got {_type_name(query)}")
    raw_tools = _json_list(row, "tools")
    if raw_tools is None:
        raw_tools = []
    if type(raw_tools) is dict:
        raw_tools = [raw_tools]
    if type(raw_tools) is not list:
        raise ConvertError("tools", f"must be a list of tools, got {_type_name(raw_tools)}")
    tools = []
    for i, t in enumerate(raw_tools):
        if type(t) is dict and type(t.get("function")) is dict:
            t = t["function"]
        if type(t) is not dict:
            tools.append(_clone(t))
            continue
        fn = {k: _clone(v) for k, v in t.items() if k != "parameters"}
        if "parameters" in t:
            fn["parameters"] = _xlam_parameters(t["parameters"], f"tools[{i}].parameters")
        tools.append({"type": "function", "function": fn})
    answers = _json_list(row, "answers")
    if type(answers) is dict:
        answers = [answers]
    if type(answers) is not list:
        raise ConvertError("answers", f"must be a list of calls, got {_type_name(answers)}")
    if not answers:
        raise ConvertError("answers", "is empty: the row has no assistant turn to train on")
    calls = []
    for j, answer in enumerate(answers):
        if type(answer) is not dict:
            raise ConvertError(f"answers[{j}]", f"must be an object with name and arguments, got {_type_name(answer)}")
        calls.append(_convert_call(answer, f"answers[{j}]"))
    messages = [{"role": "user", "content": query}, {"role": "assistant", "content": "", "tool_calls": calls}]
    return _finish(row, messages, tools)


# ------------------------------------------------------------------ glaive

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


def _from_glaive(row: dict) -> dict:
    chat = row.get("chat")
    if type(chat) is not str:
        raise ConvertError("chat", f"must be a string, got {_type_name(chat)}")
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


# -------------------------------------------------------------------- API

_CONVERTERS = {
    "openai": lambda row: _from_messages(row, "openai"),
    "simple": lambda row: _from_messages(row, "simple"),
    "mcp": lambda row: _from_messages(row, "mcp"),
    "sharegpt": _from_sharegpt,
    "toolace": _from_toolace,
    "xlam": _from_xlam,
    "glaive": _from_glaive,
}


def to_canonical(row: dict, fmt: str | None = None) -> tuple[dict, str]:
    """Convert one source row to the canonical row: ``(canonical_row, fmt)``.

    ``fmt=None`` detects the format (:func:`detect_format`).  The result shares no
    objects with ``row``, which is never modified.  Raises :class:`ConvertError` when
    the row cannot be converted at all (semantic problems are left to the lint), and
    ``ValueError`` for a ``fmt`` not in :data:`FORMATS`.

    >>> row = {"query": "Weather in Paris?",
    ...        "answers": '[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
    ...        "tools": '[{"name": "get_weather", "description": "Current weather",'
    ...                 ' "parameters": {"city": {"description": "City name", "type": "str"}}}]'}
    >>> canonical, fmt = to_canonical(row)
    >>> fmt
    'xlam'
    >>> canonical["messages"][1]["tool_calls"]
    [{'type': 'function', 'function': {'name': 'get_weather', 'arguments': {'city': 'Paris'}}}]
    >>> canonical["tools"][0]["function"]["parameters"]
    {'type': 'object', 'properties': {'city': {'type': 'string', 'description': 'City name'}}, 'required': ['city']}
    >>> to_canonical({"query": "Hi", "answers": "[]"})
    Traceback (most recent call last):
    ...
    toolft.data.formats.ConvertError: answers: is empty: the row has no assistant turn to train on
    """
    if type(row) is not dict:
        raise ConvertError("", f"row must be a JSON object, got {_type_name(row)}")
    if fmt is None:
        fmt = detect_format(row)
        if fmt is None:
            keys = ", ".join(sorted(map(str, row))[:8]) or "none"
            raise ConvertError("", "matches no known format: expected messages, conversations, "
                                   f"query + answers, or system + chat (keys: {keys})")
    elif type(fmt) is not str or fmt not in _CONVERTERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _CONVERTERS[fmt](row), fmt
