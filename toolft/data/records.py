"""Load, validate, normalise and split tool-calling datasets.

A dataset row is TRL's conversational format with a ``tools`` column::

    {"messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "tool_calls": [{"type": "function",
                   "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}],
     "tools": [{"type": "function", "function": {"name": "get_weather", ...}}]}

:func:`load_records` reads a ``.jsonl`` or ``.json`` file, keeps the valid rows
(normalised copies) and reports every problem with its line and field.
Only the standard library is used here.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from toolft.toolcalls import _type_name, classify_text, coerce_arguments, tool_name

ROLES = ("system", "user", "assistant", "tool")
CATEGORIES = ("single_call", "parallel_calls", "multi_step", "clarification", "refusal", "no_tool")


@dataclass
class RowError:
    """One problem in one row: 1-based ``line`` and a ``field`` path like ``messages[1].content``."""

    line: int
    field: str
    message: str


@dataclass
class LoadResult:
    """Valid (normalised) rows with their source lines, plus the errors found."""

    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


class DataFileError(Exception):
    """The file cannot be read as a dataset at all."""


# ---------------------------------------------------------------- validation

def _validate_tools(tools) -> tuple[list[tuple[str, str]], list[str]]:
    """Return (errors, declared tool names)."""
    if not isinstance(tools, list):
        return [("tools", f"must be a list of tool schemas, got {_type_name(tools)}")], []
    errors, names = [], []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            errors.append((where, f"must be an object, got {_type_name(tool)}"))
            continue
        if "type" in tool and tool["type"] != "function":
            errors.append((f"{where}.type", f'must be "function", got {tool["type"]!r}'))
        inner = tool
        if "function" in tool:
            where, inner = f"{where}.function", tool["function"]
            if not isinstance(inner, dict):
                errors.append((where, f"must be an object, got {_type_name(inner)}"))
                continue
        name = inner.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append((f"{where}.name", "must be a non-empty string"))
        else:
            names.append(name)
        if "parameters" in inner and not isinstance(inner["parameters"], dict):
            errors.append((f"{where}.parameters", f"must be an object, got {_type_name(inner['parameters'])}"))
    return errors, names


def _validate_call(call, where: str, declared: list[str]) -> list[tuple[str, str]]:
    if not isinstance(call, dict):
        return [(where, f"must be an object, got {_type_name(call)}")]
    inner = call
    if "function" in call:
        where, inner = f"{where}.function", call["function"]
        if not isinstance(inner, dict):
            return [(where, f"must be an object, got {_type_name(inner)}")]
    errors = []
    name = inner.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append((f"{where}.name", "must be a non-empty string"))
    elif name not in declared:
        listed = ", ".join(declared) if declared else "none"
        errors.append((f"{where}.name", f'calls undeclared tool "{name}"; declared: {listed}'))
    _, problem = coerce_arguments(inner.get("arguments"))
    if problem:
        errors.append((f"{where}.arguments", problem))
    return errors


def _validate_message(msg, i: int, prev, declared: list[str]) -> list[tuple[str, str]]:
    where = f"messages[{i}]"
    if not isinstance(msg, dict):
        return [(where, f"must be an object, got {_type_name(msg)}")]
    role = msg.get("role")
    if role not in ROLES:
        return [(f"{where}.role", f"invalid role {role!r}; expected one of {', '.join(ROLES)}")]
    errors = []
    if role == "system" and i > 0:
        errors.append((f"{where}.role", "a system message is only allowed at index 0"))
    content = msg.get("content")
    calls = msg.get("tool_calls")
    if role == "assistant":
        if calls is not None and not isinstance(calls, list):
            errors.append((f"{where}.tool_calls", f"must be a list, got {_type_name(calls)}"))
            calls = None
        for j, call in enumerate(calls or []):
            errors += _validate_call(call, f"{where}.tool_calls[{j}]", declared)
        if not calls:
            if not isinstance(content, str):
                errors.append((f"{where}.content", f"must be a string when there are no tool_calls, got {_type_name(content)}"))
            elif not content.strip():
                errors.append((f"{where}.content", "is empty and there are no tool_calls"))
        elif content is not None and not isinstance(content, str):
            errors.append((f"{where}.content", f"must be a string or null, got {_type_name(content)}"))
        return errors
    if not isinstance(content, str):
        errors.append((f"{where}.content", f"must be a string, got {_type_name(content)}"))
    if role == "tool":
        follows_call = isinstance(prev, dict) and (
            prev.get("role") == "tool" or (prev.get("role") == "assistant" and prev.get("tool_calls")))
        if not follows_call:
            errors.append((where, "a tool message must follow an assistant message with tool_calls or another tool message"))
        if "name" in msg and not isinstance(msg["name"], str):
            errors.append((f"{where}.name", f"must be a string, got {_type_name(msg['name'])}"))
    return errors


def validate_record(record) -> list[tuple[str, str]]:
    """Return ``(field, message)`` for every problem in a row; empty if valid.

    >>> validate_record({"messages": [{"role": "assistant", "content": "Hi"}]})
    [('messages[0].role', 'the first non-system message must be from the user')]
    """
    if not isinstance(record, dict):
        return [("", f"row must be a JSON object, got {_type_name(record)}")]
    errors, declared = [], []
    if record.get("tools") is not None:
        errors, declared = _validate_tools(record["tools"])
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        problem = "is missing" if messages is None else (
            "must not be empty" if isinstance(messages, list) else f"must be a list, got {_type_name(messages)}")
        return errors + [("messages", problem)]
    for i, msg in enumerate(messages):
        errors += _validate_message(msg, i, messages[i - 1] if i else None, declared)
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    first = next((i for i, role in enumerate(roles) if role != "system"), None)
    if first is not None and roles[first] != "user":
        errors.append((f"messages[{first}].role", "the first non-system message must be from the user"))
    if "assistant" not in roles:
        errors.append(("messages", "needs at least one assistant message"))
    return errors


# ------------------------------------------------------------- normalisation

def _normalize_tool(tool):
    if not isinstance(tool, dict):
        return tool
    if isinstance(tool.get("function"), dict):
        return {**tool, "type": "function"}
    return {"type": "function", "function": tool}


def _normalize_call(call):
    if not isinstance(call, dict):
        return call
    inner = call.get("function") if isinstance(call.get("function"), dict) else call
    arguments, problem = coerce_arguments(inner.get("arguments"))
    out = {k: v for k, v in call.items() if k not in ("function", "name", "arguments")}
    out["type"] = "function"
    out["function"] = {"name": inner.get("name"), "arguments": inner.get("arguments") if problem else arguments}
    return out


def normalize_record(record: dict) -> dict:
    """Deep copy of ``record`` with tools and tool calls in the canonical OpenAI form.

    >>> row = {"messages": [{"role": "assistant", "tool_calls": [{"name": "f", "arguments": "{}"}]}]}
    >>> normalize_record(row)["messages"][0]["tool_calls"]
    [{'type': 'function', 'function': {'name': 'f', 'arguments': {}}}]
    """
    out = copy.deepcopy(record)
    if isinstance(out.get("tools"), list):
        out["tools"] = [_normalize_tool(t) for t in out["tools"]]
    for msg in out.get("messages") or []:
        if isinstance(msg, dict) and isinstance(msg.get("tool_calls"), list):
            msg["tool_calls"] = [_normalize_call(c) for c in msg["tool_calls"]]
            if msg["tool_calls"] and msg.get("content") is None:
                msg["content"] = ""
    return out


def row_category(record: dict) -> str:
    """Category of a row from its first assistant message (see ``CATEGORIES``).

    >>> row_category({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "Which one?"}]})
    'clarification'
    """
    assistants = [m for m in record.get("messages") or [] if isinstance(m, dict) and m.get("role") == "assistant"]
    if not assistants:
        return "no_tool"
    calls = assistants[0].get("tool_calls") or []
    if len(calls) > 1:
        return "parallel_calls"
    if len(calls) == 1:
        return "multi_step" if any(m.get("tool_calls") for m in assistants[1:]) else "single_call"
    content = assistants[0].get("content")
    label = classify_text(content if isinstance(content, str) else "")
    return {"clarification": "clarification", "refusal": "refusal"}.get(label, "no_tool")


# ------------------------------------------------------------------- loading

def _read_text(path: Path) -> str:
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    if path.suffix.lower() not in (".jsonl", ".json"):
        raise DataFileError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .jsonl or .json")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise DataFileError(f"{path}: looks like a binary file, not JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise DataFileError(f"{path}: file is empty")
    return text


def _jsonl_rows(text: str):
    """Yield ``(line, row, error)`` for the non-blank lines of a JSONL text."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield number, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
        except (ValueError, RecursionError) as exc:  # e.g. a 5,000-digit number, or nesting too deep to read
            yield number, None, f"unreadable JSON: {type(exc).__name__}: {str(exc)[:120]}"


def _json_rows(path: Path, text: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{path}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise DataFileError(f"{path}: unreadable JSON: {type(exc).__name__}: {str(exc)[:120]}") from None
    if isinstance(data, dict):
        data = next((data[k] for k in ("data", "rows") if isinstance(data.get(k), list)), data)
    if not isinstance(data, list) or (data and not any(isinstance(r, dict) for r in data)):
        raise DataFileError(f'{path}: expected a JSON array of row objects (or {{"data": [...]}})')
    return [(i, row, None) for i, row in enumerate(data, start=1)]


def load_records(path) -> LoadResult:
    """Load a ``.jsonl`` or ``.json`` dataset, keeping valid rows and reporting the rest.

    >>> result = load_records("train.jsonl")  # doctest: +SKIP
    >>> result.total, len(result.records), result.errors[:1]  # doctest: +SKIP
    (120, 118, [RowError(line=7, field='', message='invalid JSON: ...')])
    """
    path = Path(path)
    text = _read_text(path)
    rows = list(_jsonl_rows(text)) if path.suffix.lower() == ".jsonl" else _json_rows(path, text)
    if not rows:
        raise DataFileError(f"{path}: contains no rows")
    return check_rows(rows)


def check_rows(rows) -> LoadResult:
    """Validate ``(line, row, parse_error)`` triples: normalised copies of the valid rows, errors for the rest.

    >>> check_rows([(1, {"messages": []}, None)]).errors[0].line
    1
    """
    rows = list(rows)
    result = LoadResult(total=len(rows))
    for line, row, parse_error in rows:
        problems = [("", parse_error)] if parse_error else validate_record(row)
        if problems:
            result.errors += [RowError(line, f, m) for f, m in problems]
        else:
            result.records.append(normalize_record(row))
            result.lines.append(line)
    return result


def split_sizes(rows: int, eval_fraction: float) -> tuple[int, int]:
    """``(train, eval)`` sizes of a split: a rounded share, at least one of each when possible.

    >>> split_sizes(100, 0.1)
    (90, 10)
    >>> split_sizes(5, 0.05)
    (4, 1)
    """
    n_eval = round(rows * eval_fraction)
    if eval_fraction > 0 and rows >= 2:
        n_eval = min(max(n_eval, 1), rows - 1)
    return rows - n_eval, n_eval


def split_records(records: list, eval_fraction: float, seed: int) -> tuple[list, list]:
    """Deterministically shuffle and split into ``(train, eval)``.

    >>> train, ev = split_records(list(range(10)), 0.2, seed=0)
    >>> len(train), len(ev)
    (8, 2)
    """
    if not 0 <= eval_fraction < 1:
        raise ValueError(f"eval_fraction must be in [0, 1), got {eval_fraction}")
    n = len(records)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_eval = split_sizes(n, eval_fraction)[1]
    eval_idx = set(order[:n_eval])
    train = [records[i] for i in order if i not in eval_idx]
    evals = [records[i] for i in order[:n_eval]]
    return train, evals
