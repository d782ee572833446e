r"""xLAM rows (Salesforce/xlam-function-calling-60k, APIGen): the ``xlam`` format.

A row is one user query and the calls that answer it, with ``answers`` and ``tools`` as
JSON strings and tool parameters typed the Python way (``str``, ``List[int]``,
``int, optional``)::

    {"id": 0,
     "query": "Where can I find live giveaways for beta access and games?",
     "answers": "[{\"name\": \"live_giveaways_by_type\", \"arguments\": {\"type\": \"beta\"}},
                  {\"name\": \"live_giveaways_by_type\", \"arguments\": {\"type\": \"game\"}}]",
     "tools": "[{\"name\": \"live_giveaways_by_type\", \"description\": \"Retrieve live giveaways from
                the GamerPower API based on the specified type.\", \"parameters\": {\"type\":
                {\"description\": \"The type of giveaways to retrieve (e.g., game, loot, beta).\",
                \"type\": \"str\", \"default\": \"game\"}}}]"}

What is kept: ``query`` becomes the user turn and ``answers`` one assistant turn with every
call (the source has no tool results and no final answer).  ``tools`` keep all their keys;
their ``parameters`` (a mapping of parameter name -> ``{type, description, default...}``)
become a JSON Schema object: each Python type made a JSON Schema (:func:`_py_type`), each
parameter required unless its type is ``Optional[...]`` (or a ``Union`` with ``None``) or
says ``, optional``, and the other keys of a parameter (``description``, ``default``) kept.
Parameters that are already a JSON Schema only get their type names fixed.  ``id`` is kept (as a string); every other
row key is dropped.  ``answers`` and ``tools`` may also be already-decoded lists.
"""

from __future__ import annotations

from toolft.data.formats._base import (
    _TYPE_ALIASES, ConvertError, _clone, _convert_call, _finish, _fix_schema, _load_json, _type_name,
)


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


def convert(row: dict) -> dict:
    """The canonical row of an ``xlam`` row."""
    query = row.get("query")
    if type(query) is not str:
        raise ConvertError("query", "is missing" if "query" not in row else f"must be a string, got {_type_name(query)}")
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

