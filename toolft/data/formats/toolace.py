r"""ToolACE rows (Team-ACE/ToolACE): the ``toolace`` format.

The tools are a JSON list inside the ``system`` text, calls are written as a Python call
list ``[f(a=1), g(b="x")]`` (tool names may contain spaces) and results are a JSON list of
``{"name", "results"}`` objects::

    {"system": "You are an expert in composing functions. You are given a question and a set of
        possible functions. ... Here is a list of functions in JSON format that you can invoke:\n
        [{\"name\": \"Market Trends API\", \"description\": \"Get the latest market trends\",
          \"parameters\": {\"type\": \"dict\", \"properties\": {\"trend_type\": {\"type\": \"string\",
          \"description\": \"...\"}, \"country\": {\"type\": \"string\", ...}}, \"required\": [\"trend_type\"]},
          \"required\": null}]. \nShould you decide to return the function call(s). \nPut it in the
        format of [func1(params_name=params_value, params_name2=params_value2...), func2(params)]\n\n
        NO other text MUST be included. \n",
     "conversations": [
        {"from": "user", "value": "Can you provide the latest market trends for the US?"},
        {"from": "assistant", "value": "[Market Trends API(trend_type=\"MARKET_INDEXES\", country=\"us\")]"},
        {"from": "tool", "value": "[{\"name\": \"Market Trends API\", \"results\": {\"trends\": [...]}}]"},
        {"from": "assistant", "value": "Here are the latest market trends for the US: ..."}]}

What is kept: ``system`` (its list of functions taken out; then the sentences about
functions and the call format dropped, and the rest kept as the system message when it has
a word in it) and ``conversations``.  Tool schemas keep ``name``, ``description`` and
``parameters``, with Python type names made JSON Schema (``dict`` -> ``object``); other
schema keys (like ToolACE's top-level ``required: null``) are dropped.  Each ``results``
object becomes one tool message named after its ``name`` (a result that is not such a list
is one tool message as written).  Tool messages have no ``tool_call_id`` (the source has
none).  Every other row key is dropped.
"""

from __future__ import annotations

import ast
import json
import re

from toolft.data.formats._base import (
    _DECODER, _WS, ConvertError, _clean_system, _clone, _conversations, _dumps, _fill_tool_names, _finish,
    _function, _json_error, _result, _skip, _turn, _type_name,
)

_PY_CALLS = re.compile(r"\A\s*\[\s*[A-Za-z_][\w .\-]*\(")
_CALL_NAME = re.compile(r"[A-Za-z_][\w .\-]*")
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
    # toolcalls has no counterpart: it hands the whole call list to ast.parse (see _python_calls)
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
    # not toolcalls._py_literal: its errors do not name the value (tested: "'paris' is not a literal
    # value", "... has keys that are not strings") and it refuses sets
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
    # not toolcalls._python_calls: it parses the list as one Python expression, so it refuses names with
    # spaces ("Market Trends API(...)", tested) and gives None, not the reason, for a call it cannot read
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


def convert(row: dict) -> dict:
    """The canonical row of a ``toolace`` row."""
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

