"""Lint canonical rows: structure, tool schemas and call arguments, duplicates.

Every finding is a :class:`Finding` (``line``, ``field`` path, ``message``,
``severity``, row ``id``). An ``error`` excludes the row from training; a
``warning`` keeps it. Tool schemas and call arguments are checked with the
``jsonschema`` library (the draft a schema names in ``$schema``, else 2020-12),
never by hand-written type rules.

Rows reaching :func:`lint_row` are canonical (see ``toolft.data.formats``): tools
and calls in OpenAI form, arguments already decoded where they were valid JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from toolft.data.files import MAX_DEPTH
from toolft.toolcalls import _type_name

ROLES = ("system", "user", "assistant", "tool")
ERROR, WARNING = "error", "warning"


@dataclass
class Finding:
    """One problem in one row: 1-based ``line``, a ``field`` path like ``messages[1].content``."""

    line: int
    field: str
    message: str
    severity: str = ERROR
    id: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (id {self.id})" if self.id is not None else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


# ---------------------------------------------------------------- JSON Schema
_VALIDATORS: dict[str, tuple] = {}  # repr(schema) -> (validator, problem); rows repeat their tools
_MAX_CACHED = 4096


def _validator(schema: dict) -> tuple:
    """The cached :func:`_build_validator` of a schema (keyed by ``repr``: 2x faster than JSON here)."""
    key = repr(schema)
    found = _VALIDATORS.get(key)
    if found is None:
        if len(_VALIDATORS) >= _MAX_CACHED:
            _VALIDATORS.clear()
        found = _VALIDATORS[key] = _build_validator(_schema_key(schema))
    return found


def _build_validator(schema_json: str):
    """``(validator, None)`` for a tool's parameters schema, or ``(None, why it is not valid JSON Schema)``.

    ``$ref`` resolves inside the schema and to the JSON Schema meta-schemas only: nothing is
    fetched over the network (a remote ``$ref`` is reported when a call is checked).
    """
    from jsonschema import exceptions, validators

    schema = json.loads(schema_json)
    try:
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    except TypeError:  # an unhashable "$schema" (a list, an object)
        return None, f'is not valid JSON Schema at .$schema: {schema.get("$schema")!r} is not a string'
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.absolute_path)
        return None, f"is not valid JSON Schema{' at ' + path if path else ''}: {_json_message(exc)}"
    except RecursionError:
        return None, "is nested too deeply to check as JSON Schema"
    try:
        from jsonschema_specifications import REGISTRY  # the meta-schemas, with no retrieval
    except ImportError:  # pragma: no cover - a dependency of jsonschema >= 4.18
        return cls(schema), None
    return cls(schema, registry=REGISTRY), None


def _schema_key(schema) -> str:
    return json.dumps(schema, sort_keys=True, ensure_ascii=False, default=str)


def _tool_table(tools, out: list[tuple[str, str, str]]) -> dict[str, tuple[str, object]]:
    """``{name: (field of the tool, parameters schema)}``; problems appended to ``out``."""
    table: dict[str, tuple[str, object]] = {}
    if tools is None:
        return table
    if not isinstance(tools, list):
        out.append(("tools", f"must be a list of tool schemas, got {_type_name(tools)}", ERROR))
        return table
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        inner = tool.get("function") if isinstance(tool, dict) and "function" in tool else tool
        if "function" in (tool if isinstance(tool, dict) else {}):
            where += ".function"
        if not isinstance(inner, dict):
            out.append((where, f"must be an object, got {_type_name(inner)}", ERROR))
            continue
        name = inner.get("name")
        if not isinstance(name, str) or not name.strip():
            out.append((f"{where}.name", "must be a non-empty string", ERROR))
            continue
        if name in table:
            out.append((f"{where}.name", f'tool "{name}" is declared twice (also {table[name][0]})', ERROR))
            continue
        params = inner.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(params, dict):
            out.append((f"{where}.parameters", f"must be an object (a JSON Schema), got {_type_name(params)}", ERROR))
            params = None
        else:
            _, problem = _validator(params)
            if problem:
                out.append((f"{where}.parameters", problem, ERROR))
                params = None
        # a tool with a broken schema is still declared (its calls are not "undeclared"); its arguments go unchecked
        table[name] = (where, params)
    return table


def _json_message(error) -> str:
    """jsonschema's message with values written as JSON (``true``, ``null``, ``["a"]``), not Python reprs.

    >>> from jsonschema import Draft202012Validator
    >>> [_json_message(e) for e in Draft202012Validator({"enum": ["720p", None]}).iter_errors(True)]
    ['true is not one of ["720p", null]']
    """
    message = error.message
    if error.validator == "required":  # "'city' is a required property": the property name, repr'd
        message = re.sub(r"^'(.*)' is a required property$", r'"\1" is a required property', message)
    for value in (error.instance, error.validator_value):
        try:
            written = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            continue
        message = message.replace(repr(value), written, 1)
    return message


def _argument_findings(arguments, params: dict, where: str, tool_where: str) -> list[tuple[str, str, str]]:
    from referencing.exceptions import Unresolvable

    validator, _ = _validator(params)
    out = []
    try:
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(map(str, e.absolute_path)))
    except Unresolvable as exc:
        ref = getattr(exc, "ref", None)
        return [(f"{tool_where}.parameters", f"has a $ref that cannot be resolved ({str(ref)[:120]!r}); only $refs "
                 "inside the schema are followed, nothing is fetched", ERROR)]
    except RecursionError:
        return [(where, "is nested too deeply to check against the tool's schema", ERROR)]
    for error in errors:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append((f"{where}{path}", _json_message(error), ERROR))
    declared = params.get("properties")
    # extra keys are allowed on purpose when the schema says how (additionalProperties / patternProperties)
    if isinstance(declared, dict) and "additionalProperties" not in params and "patternProperties" not in params:
        for key in arguments:
            if key not in declared:
                out.append((f"{where}.{key}", f'"{key}" is not a parameter of this tool; declared: '
                            f'{", ".join(declared) or "none"}', WARNING))
    return out


# ---------------------------------------------------------------- calls and turns
def _call_findings(call, where: str, table: dict) -> tuple[list, str | None, str | None]:
    """Findings of one call, with its name and id (None when unusable)."""
    if not isinstance(call, dict):
        return [(where, f"must be an object, got {_type_name(call)}", ERROR)], None, None
    inner = call.get("function") if "function" in call else call
    if "function" in call:
        where += ".function"
    if not isinstance(inner, dict):
        return [(where, f"must be an object, got {_type_name(inner)}", ERROR)], None, None
    out = []
    name = inner.get("name")
    if not isinstance(name, str) or not name.strip():
        out.append((f"{where}.name", "must be a non-empty string", ERROR))
        name = None
    elif name not in table:
        listed = ", ".join(table) if table else "none"
        out.append((f"{where}.name", f'calls undeclared tool "{name}"; declared: {listed}', ERROR))
    arguments = inner.get("arguments")
    if isinstance(arguments, str):
        out.append((f"{where}.arguments", "is a string that is not a JSON object: "
                    f"{arguments[:60]!r}", ERROR))
    elif arguments is not None and not isinstance(arguments, dict):
        out.append((f"{where}.arguments", f"must be a JSON object, got {_type_name(arguments)}", ERROR))
    elif name in table and table[name][1] is not None:
        out += _argument_findings(arguments or {}, table[name][1], f"{where}.arguments", table[name][0])
    call_id = call.get("id")
    return out, name, None if call_id is None else str(call_id)


class _Pending:
    """The calls of the last assistant turn that still wait for their tool results."""

    def __init__(self, index: int, calls: list[tuple[str, str | None, str | None]]):
        self.index = index  # message index of the assistant turn
        self.calls = calls  # (field, name, id)
        self.answered = [False] * len(calls)

    def answer(self, msg: dict, where: str) -> tuple[str, str, str] | None:
        """Match a tool message to a call: by ``tool_call_id`` when given, else by name, else by order."""
        call_id = msg.get("tool_call_id")
        if call_id is not None:
            call_id = str(call_id)
            match = [j for j, c in enumerate(self.calls) if c[2] == call_id]
            if not match:
                ids = ", ".join(c[2] for c in self.calls if c[2]) or "none"
                return (f"{where}.tool_call_id", f'"{call_id}" matches no call of messages[{self.index}] (ids: {ids})', ERROR)
        else:
            name = msg.get("name")
            match = [j for j, c in enumerate(self.calls) if not self.answered[j] and (name is None or c[1] == name)]
            if not match and name is not None and not any(c[1] == name for c in self.calls):
                called = ", ".join(dict.fromkeys(str(c[1]) for c in self.calls))
                return (f"{where}.name", f'"{name}" is not a tool messages[{self.index}] called (called: {called})',
                        ERROR)
        open_match = [j for j in match if not self.answered[j]]
        if not open_match:
            if match:
                return (where, f"answers {self._label(match[0])} a second time", ERROR)
            return (where, f"a tool result with no call left to answer (messages[{self.index}] made "
                    f"{len(self.calls)} call{'s' * (len(self.calls) != 1)})", ERROR)
        self.answered[open_match[0]] = True
        return None

    def _label(self, j: int) -> str:
        field, name, call_id = self.calls[j]
        return f"call {name or '?'}" + (f" (id {call_id})" if call_id else "") + f" at {field}"

    def unanswered(self, before: str) -> list[tuple[str, str, str]]:
        return [(self.calls[j][0], f"{self._label(j).split(' at ')[0]} has no tool result before {before}", ERROR)
                for j in range(len(self.calls)) if not self.answered[j]]


def _content_type(content) -> str:
    """What a content that is not a string is, for messages: ``number``, ``list with a "image_url" part``."""
    if isinstance(content, list):
        kinds = [p.get("type") if isinstance(p, dict) else _type_name(p) for p in content]
        odd = next((k for k in kinds if k != "text"), None)
        if not content:
            return "an empty list"
        return f'a list with a {odd if isinstance(odd, str) else _type_name(odd)!r} part (only text parts are read)'
    return _type_name(content)


def _content_findings(role: str, msg: dict, where: str, has_calls: bool) -> list:
    content = msg.get("content")
    if role == "assistant":
        if has_calls:
            if content is not None and not isinstance(content, str):
                return [(f"{where}.content", f"must be a string or null, got {_content_type(content)}", ERROR)]
            return []
        if not isinstance(content, str):
            return [(f"{where}.content", f"must be a string when there are no tool_calls, got {_content_type(content)}",
                     ERROR)]
        if not content.strip():
            return [(f"{where}.content", "is empty and there are no tool_calls: an empty assistant turn", ERROR)]
        return []
    if not isinstance(content, str):
        return [(f"{where}.content", f"must be a string, got {_content_type(content)}", ERROR)]
    if not content.strip():
        if role == "user":  # the model would learn to answer nothing in particular
            return [(f"{where}.content", "is empty: an empty user turn", ERROR)]
        return [(f"{where}.content", f"is empty: an empty {role} {'result' if role == 'tool' else 'prompt'}",
                 WARNING)]
    return []


def _message_findings(messages: list, table: dict) -> list:
    out, pending, prev_role = [], None, None
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(msg, dict):
            out.append((where, f"must be an object, got {_type_name(msg)}", ERROR))
            continue
        role = msg.get("role")
        if role not in ROLES:
            shown = repr(role) if len(repr(role)) <= 60 else repr(role)[:57] + "..."
            out.append((f"{where}.role", f"unknown role {shown}; expected one of {', '.join(ROLES)}", ERROR))
            continue
        calls = msg.get("tool_calls") if role == "assistant" else None
        bad_calls = calls is not None and not isinstance(calls, list)
        if bad_calls:
            out.append((f"{where}.tool_calls", f"must be a list, got {_type_name(calls)}", ERROR))
            calls = None
        out += _content_findings(role, msg, where, bool(calls) or bad_calls)
        if role != "tool" and pending is not None:
            out += pending.unanswered(where)
            pending = None
        if role == "system" and i > 0:
            out.append((f"{where}.role", "a system message is only allowed first", ERROR))
        elif role == "tool":
            if pending is None:
                out.append((where, "a tool result with no assistant tool call before it", ERROR))
            else:
                problem = pending.answer(msg, where)
                if problem:
                    out.append(problem)
        elif role == prev_role and role in ("user", "assistant"):
            out.append((f"{where}.role", f"two {role} turns in a row", WARNING))
        if calls:
            found = []
            for j, call in enumerate(calls):
                problems, name, call_id = _call_findings(call, f"{where}.tool_calls[{j}]", table)
                out += problems
                found.append((f"{where}.tool_calls[{j}]", name, call_id))
            ids = [c[2] for c in found if c[2] is not None]
            if len(set(ids)) < len(ids):
                out.append((f"{where}.tool_calls", "two calls share one id", ERROR))
            pending = _Pending(i, found) if i + 1 < len(messages) else None
        prev_role = role
    if pending is not None and any(pending.answered):
        out += pending.unanswered("the end of the conversation")
    return out


def _order_findings(messages: list) -> list:
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    out = []
    first = next((i for i, role in enumerate(roles) if role != "system"), None)
    if first is not None and roles[first] != "user":
        out.append((f"messages[{first}].role", "the first message after the system prompt must be from the user", ERROR))
    if "assistant" not in roles:
        out.append(("messages", "has no assistant turn: nothing to train on", ERROR))
    elif roles[-1] == "user":
        out.append((f"messages[{len(roles) - 1}]", "the conversation ends with a user turn that is never answered", WARNING))
    return out


def _too_deep_field(row) -> str | None:
    """The field where ``row`` nests more than ``MAX_DEPTH`` arrays/objects, or None (iterative walk).

    Files are read with this limit; a row can still pass it once JSON strings (``arguments``,
    ``tools``, ``parameters``) are decoded. The field stops at the argument or schema it is in.
    """
    from toolft.data.files import _too_deep

    if not _too_deep(row):
        return None
    stack = [(row, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            return path
        pairs = item.items() if type(item) is dict else enumerate(item)
        for key, child in pairs:
            if type(child) in (dict, list):
                if re.search(r"\.(arguments|parameters)(\.|\[|$)", path):
                    child_path = path  # deep inside an argument or a schema: the argument/schema names it
                else:
                    child_path = f"{path}[{key}]" if type(key) is int else f"{path}.{key}" if path else str(key)
                stack.append((child, depth + 1, child_path))
    return None


def lint_row(row) -> list[tuple[str, str, str]]:
    """``(field, message, severity)`` for every problem of one canonical row; empty if clean.

    >>> lint_row({"messages": [{"role": "assistant", "content": "Hi"}]})
    [('messages[0].role', 'the first message after the system prompt must be from the user', 'error')]
    """
    if not isinstance(row, dict):
        return [("", f"row must be a JSON object, got {_type_name(row)}", ERROR)]
    deep = _too_deep_field(row)
    if deep is not None:
        return [(deep, f"is nested more than {MAX_DEPTH} levels deep (arrays/objects inside each other; "
                 f"at most {MAX_DEPTH} in a row)", ERROR)]
    out: list = []
    table = _tool_table(row.get("tools"), out)
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        problem = "is missing" if messages is None else (
            "must not be empty" if isinstance(messages, list) else f"must be a list, got {_type_name(messages)}")
        return out + [("messages", problem, ERROR)]
    out += _message_findings(messages, table) + _order_findings(messages)
    return list(dict.fromkeys(out))  # one finding per problem (a broken $ref is met at each call)


def duplicate_findings(rows: list[dict], lines: list[int]) -> list[Finding]:
    """Warnings for rows repeating an earlier row's conversation, or an earlier row's ``id``."""
    seen_rows: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    out = []
    for row, line in zip(rows, lines):
        key = repr((row.get("messages"), row.get("tools")))  # rows read from one source share key order
        if key in seen_rows:
            out.append(Finding(line, "", f"duplicate of line {seen_rows[key]} (same messages and tools)", WARNING,
                               row.get("id")))
        else:
            seen_rows[key] = line
        row_id = row.get("id")
        if row_id is not None and not isinstance(row_id, str):
            row_id = str(row_id)
        if row_id is not None:
            if row_id in seen_ids:
                out.append(Finding(line, "id", f'id "{row_id}" is also used at line {seen_ids[row_id]}', WARNING, row_id))
            else:
                seen_ids[row_id] = line
    return out
