r"""Rows with a ``messages`` list: ``openai``, ``simple`` and ``mcp``.

``openai`` is OpenAI's chat fine-tuning JSONL with tools (also TRL's conversational
format; ``tools`` may be one JSON string, as TRL writes it to disk)::

    {"messages": [
        {"role": "user", "content": "What is the weather in San Francisco?"},
        {"role": "assistant", "tool_calls": [{"id": "call_id", "type": "function", "function": {
            "name": "get_current_weather",
            "arguments": "{\"location\": \"San Francisco, USA\", \"format\": \"celsius\"}"}}]}],
     "parallel_tool_calls": false,
     "tools": [{"type": "function", "function": {"name": "get_current_weather",
                "description": "Get the current weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, ...}}}]}

``simple`` writes a call ``{"tool": NAME, "arguments": {...}}``, as an item of
``tool_calls`` or as the whole assistant content (one object or a JSON array)::

    {"messages": [{"role": "user", "content": "2+3?"},
                  {"role": "assistant", "content": "[{\"tool\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}]"},
                  {"role": "tool", "name": "add", "content": 5}],
     "tools": [{"name": "add", "description": "Add", "inputSchema": {"type": "object", ...}}]}

``mcp`` (Model Context Protocol) rows carry the protocol's own objects: tools from a
``tools/list`` response (``inputSchema``), calls as JSON-RPC 2.0 ``tools/call`` requests,
results as ``CallToolResult`` objects, bare or inside a JSON-RPC response::

    {"messages": [
        {"role": "user", "content": "How do I rotate API keys?"},
        {"role": "assistant", "content": null, "tool_calls": [{"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "search_docs", "arguments": {"query": "rotate API keys"}}}]},
        {"role": "tool", "content": {"jsonrpc": "2.0", "id": 7, "result": {
            "content": [{"type": "text", "text": "Settings > API keys > Rotate."}], "isError": false}}}],
     "tools": {"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "search_docs",
               "description": "Full-text search of the docs", "inputSchema": {...}}]}}}

What is kept: each message keeps ``role, content, tool_calls, tool_call_id, name,
reasoning_content`` (other message keys and other row keys, like ``parallel_tool_calls``,
are dropped).  Calls can be ``{"type": "function", "function": {...}}``, bare ``{"name",
"arguments"}``, ``{"tool", "arguments"}`` (simple) or a ``tools/call`` request (mcp; its
``id`` becomes the call id), and the legacy ``function_call`` / ``role: function`` pair is
accepted too.  Lists of text content parts are joined with newlines.  ``tools`` may be a
list, one JSON string, null, or a ``tools/list`` result.  In mcp rows, results that are a
``CallToolResult`` (or a JSON-RPC response carrying one) become their parts joined with
newlines (text as it is, an embedded resource as its text, images and other parts as
JSON), the response ``id`` becomes the ``tool_call_id``, and a JSON-RPC error becomes
``"Error: <message>"``.  Messages and tools of shapes that cannot
be converted are passed through for the lint.
"""

from __future__ import annotations

import json

from toolft.data.formats._base import (
    ConvertError, _clone, _content, _convert_call, _dumps, _finish, _is_rpc_request, _result, _str_id,
    _text_parts, _tool_list, _type_name,
)

_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content")
_PLAIN_KEYS = frozenset(_MESSAGE_KEYS) - {"tool_calls"}
_PLAIN_ROLES = frozenset({"system", "user", "assistant", "tool"})


def _is_call_tool_result(value) -> bool:
    return (type(value) is dict and type(value.get("content")) is list
            and set(value) <= {"content", "isError", "structuredContent", "_meta"})


def _is_rpc_response(value) -> bool:
    return type(value) is dict and "jsonrpc" in value and ("result" in value or "error" in value)


def _calls_of(msg: dict):
    calls = msg.get("tool_calls")
    return calls if type(calls) is list else ()


def detect(row: dict) -> str:
    """The format of a row with a ``messages`` key: "mcp", "simple" or "openai" (see the package docstring)."""
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
    # not toolcalls._is_call_shaped: that takes every call shape and only {"tool", "arguments", "id"} keys
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


def convert(row: dict, fmt: str) -> dict:
    """The canonical row of an ``openai``, ``simple`` or ``mcp`` row (``fmt``)."""
    return _finish(row, _convert_messages(row, fmt), _tool_list(row.get("tools"), "tools"))
