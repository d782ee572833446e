"""Load, check, normalise and split tool-calling datasets.

A dataset row is TRL's conversational format with a ``tools`` column::

    {"messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "tool_calls": [{"type": "function",
                   "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}],
     "tools": [{"type": "function", "function": {"name": "get_weather", ...}}]}

:func:`load_records` reads any source :mod:`toolft.data.files` knows, converts each
row from its format (:mod:`toolft.data.formats`) to this canonical form, lints it
(:mod:`toolft.data.lint`) and keeps the rows without errors. Nothing the user gave
is modified: records are new objects.
"""

from __future__ import annotations

import gc
import random
import re
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass, field

from toolft.data.files import DataFileError, read_rows
from toolft.data.lint import ERROR, WARNING, Finding, duplicate_findings, lint_row
from toolft.toolcalls import classify_text

CATEGORIES = ("single_call", "parallel_calls", "multi_step", "clarification", "refusal", "no_tool")
# families of formats that may share one file: the messages-based ones differ only in how a call is written
_FAMILY = {"openai": "messages", "simple": "messages", "mcp": "messages"}

__all__ = ["CATEGORIES", "DataFileError", "Finding", "LoadResult", "check_rows", "load_records",
           "row_category", "split_records", "split_sizes"]


@dataclass
class LoadResult:
    """Canonical rows without errors (with their source lines), and every finding.

    ``errors`` excluded their row; ``warnings`` did not. ``format`` is the file's format
    (the one most rows have), ``total`` the number of rows read.
    """

    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    total: int = 0
    format: str | None = None
    formats: dict[str, int] = field(default_factory=dict)


def row_category(record: dict) -> str:
    """Kind of a row (one of ``CATEGORIES``): its explicit ``kind``, else decided from its first answer.

    Calls decide single / parallel / multi-step. A text answer is a refusal when it declines,
    and a clarification only when it is a question about a required argument of a declared
    tool (it names the parameter or a word of its description); any other text, a greeting
    such as "Hello! How can I help?" included, is a no-tool answer.

    >>> tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    ...     "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    >>> ask = lambda text: {"messages": [{"role": "user", "content": "x"},
    ...                                  {"role": "assistant", "content": text}], "tools": tools}
    >>> row_category(ask("Which city do you mean?")), row_category(ask("Hello! How can I help?"))
    ('clarification', 'no_tool')
    """
    if record.get("kind") in CATEGORIES:
        return record["kind"]
    assistants = [m for m in record.get("messages") or [] if isinstance(m, dict) and m.get("role") == "assistant"]
    if not assistants:
        return "no_tool"
    calls = assistants[0].get("tool_calls") or []
    if len(calls) > 1:
        return "parallel_calls"
    if len(calls) == 1:
        return "multi_step" if any(m.get("tool_calls") for m in assistants[1:]) else "single_call"
    content = assistants[0].get("content")
    content = content if isinstance(content, str) else ""
    label = classify_text(content)
    if label == "refusal":
        return "refusal"
    if "?" in content and _asks_for_argument(content, record.get("tools") or []):
        return "clarification"
    return "no_tool"


_STOPWORDS = frozenset("the a an of to for in on at by with and or is are be as from this that your you it its "
                       "which what name value optional default format e g id get set".split())
# everyday words for what parameter names and descriptions call otherwise ("folder" for a directory path)
_SYNONYMS = {"folder": "directory", "dir": "directory", "town": "city", "place": "city", "location": "city",
             "look": "search", "find": "search", "google": "search", "recipient": "email", "address": "email",
             "mail": "email", "day": "date", "when": "date", "hour": "time", "money": "amount", "sum": "amount",
             "repo": "repository", "project": "repository", "link": "url", "website": "url", "site": "url"}


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").lower()
    words = {w for w in re.findall(r"[a-z]+", spaced) if w not in _STOPWORDS and len(w) > 2}
    words |= {w[:-3] + "y" if w.endswith("ies") else w[:-1] for w in words if w.endswith("s")}  # "cities": a city
    return words | {_SYNONYMS[w] for w in words if w in _SYNONYMS}


def _asks_for_argument(question: str, tools: list) -> bool:
    """True when ``question`` is about a declared tool that has required parameters.

    It must name a required parameter, a word of its description, or a word of the tool's
    name or description (after plurals and a few everyday synonyms: "folder" for a
    directory path). A question naming none of them (a greeting, "Anything else?") is not.
    """
    asked = _words(question)
    for tool in tools:
        inner = tool.get("function", tool) if isinstance(tool, dict) else {}
        params = inner.get("parameters") if isinstance(inner, dict) else None
        if not isinstance(params, dict) or not isinstance(params.get("properties"), dict):
            continue
        required = [n for n in params.get("required") or [] if isinstance(n, str)]
        if not required:
            continue
        about = _words(str(inner.get("name", ""))) | _words(str(inner.get("description", "")))
        for name in required:
            spec = params["properties"].get(name)
            about |= _words(name) | _words(str(spec.get("description", "")) if isinstance(spec, dict) else "")
        if asked & about:
            return True
    return False


# ------------------------------------------------------------------- loading
def load_records(source, fmt: str | None = None, *, split: str = "train", limit: int | None = None,
                 max_bytes: int | None = None, hub_only: bool = False, token: str | bool | None = None) -> LoadResult:
    """Read, convert and lint a dataset: a file, a Hub-layout folder or a Hub dataset id.

    ``fmt`` forces a format (one of ``toolft.data.formats.FORMATS``); by default each row's
    format is detected. ``hub_only``: ``source`` must be a Hub dataset id, never a local path.
    ``token``: the Hub token to read with (see :func:`toolft.data.files.read_rows`).

    Raises:
        DataFileError: the source cannot be read as a dataset at all.

    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.jsonl"
    >>> hello = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    >>> _ = path.write_text(json.dumps(hello) + "\\n{oops\\n")
    >>> result = load_records(path)
    >>> result.format, result.total, len(result.records), str(result.errors[0])
    ('openai', 2, 1, 'line 2: invalid JSON: Expecting property name enclosed in double quotes at column 2')
    """
    from toolft.data.files import MAX_BYTES

    with gc_paused():
        rows, notes = read_rows(source, split=split, limit=limit, max_bytes=max_bytes or MAX_BYTES, hub_only=hub_only,
                                token=token)
        result = check_rows(rows, fmt)
    if not result.formats and result.errors and all(e.message.startswith("matches no known format")
                                                    for e in result.errors):
        # one file-level message instead of the same one on every row (e.g. a parquet of text/label columns)
        first_error = result.errors[0]
        raise DataFileError(f"{Path(str(source)).name}: no row is in a known format; line {first_error.line} "
                            f"{first_error.message}")
    first = rows[0][0] if rows else 1
    result.warnings[:0] = [Finding(first, "", note, WARNING) for note in notes]
    return result


def check_rows(rows, fmt: str | None = None) -> LoadResult:
    """Convert and lint ``(line, row, parse_error)`` triples (see :func:`load_records`).

    >>> check_rows([(1, {"messages": []}, None)]).errors[0].message
    'must not be empty'
    """
    rows = list(rows)
    result = LoadResult(total=len(rows))
    checked = [_check_row(line, row, parse_error, fmt) for line, row, parse_error in rows]
    for row_fmt, _, _, _ in checked:
        if row_fmt:
            result.formats[row_fmt] = result.formats.get(row_fmt, 0) + 1
    result.format = max(result.formats, key=result.formats.get) if result.formats else None
    family = _FAMILY.get(result.format, result.format)
    for row_fmt, line, record, findings in checked:
        if row_fmt and _FAMILY.get(row_fmt, row_fmt) != family:
            result.errors.append(Finding(line, "", f"this row is in {row_fmt} format but the file is {result.format} "
                                         "(one format per file)", ERROR, record.get("id")))
            continue
        result.errors += [f for f in findings if f.severity == ERROR]
        result.warnings += [f for f in findings if f.severity == WARNING]
        if record is not None and not any(f.severity == ERROR for f in findings):
            result.records.append(record)
            result.lines.append(line)
    result.warnings += duplicate_findings(result.records, result.lines)
    result.errors.sort(key=lambda f: f.line)
    result.warnings.sort(key=lambda f: f.line)
    return result


def _check_row(line: int, row, parse_error: str | None, fmt: str | None):
    """One row converted and linted: ``(format or None, line, canonical record or None, findings)``.

    The format is None when the row could not be converted (its findings say why).
    """
    from toolft.data.formats import ConvertError, detect_format, to_canonical

    if parse_error:
        return None, line, None, [Finding(line, "", parse_error)]
    row_fmt = fmt or (detect_format(row) if isinstance(row, dict) else None)
    row_id = _row_id(row)
    if row_fmt is None:
        return None, line, None, [Finding(line, "", _unknown_format(row), ERROR, row_id)]
    try:
        record, row_fmt = to_canonical(row, row_fmt)
    except ConvertError as exc:
        return None, line, None, [Finding(line, exc.field, f"cannot read as {row_fmt}: {exc.message}", ERROR, row_id)]
    except RecursionError:  # a row built in memory, nested deeper than any reader allows
        return None, line, None, [Finding(line, "", "nested too deeply to read", ERROR, row_id)]
    row_id = record.get("id")
    try:
        findings = [Finding(line, f, m, sev, row_id) for f, m, sev in lint_row(record)]
    except RecursionError:
        findings = [Finding(line, "", "nested too deeply to check", ERROR, row_id)]
    return row_fmt, line, record, findings


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while many small objects are built.

    Reading 15k rows allocates millions of dicts and lists and none of them is garbage;
    the collector's passes over them cost about as much as the work itself (measured by
    bench/data_check.py). Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _row_id(row) -> str | None:
    return str(row["id"]) if isinstance(row, dict) and row.get("id") is not None else None


def _unknown_format(row) -> str:
    if not isinstance(row, dict):
        return f"a row must be a JSON object, got {_json_type(row)}"
    keys = ", ".join(list(row)[:8]) or "none"
    return (f"matches no known format (keys: {keys}); expected messages (+ tools), conversations, "
            "query + answers (xLAM), or system + chat (Glaive)")


def _json_type(value) -> str:
    from toolft.toolcalls import _type_name

    return _type_name(value)


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


def split_records(records: list, eval_fraction: float, seed: int, key=None) -> tuple[list, list]:
    """Deterministically shuffle and split into ``(train, eval)``; stratified when ``key`` is given.

    The eval size is :func:`split_sizes`'s. With ``key`` (e.g. :func:`row_category`), each
    group gets its share of the eval rows (largest remainders), so every row kind is held
    out in proportion; the same seed always gives the same split.

    >>> train, ev = split_records(list(range(10)), 0.2, seed=0)
    >>> len(train), len(ev)
    (8, 2)
    >>> _, ev = split_records(list(range(10)), 0.2, seed=0, key=lambda n: n % 2)
    >>> sorted(n % 2 for n in ev)
    [0, 1]
    """
    if not 0 <= eval_fraction < 1:
        raise ValueError(f"eval_fraction must be in [0, 1), got {eval_fraction}")
    n = len(records)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    n_eval = split_sizes(n, eval_fraction)[1]
    if key is None:
        eval_idx = order[:n_eval]
    else:
        groups: dict = {}
        for i in order:
            groups.setdefault(key(records[i]), []).append(i)
        exact = {g: len(members) * n_eval / n for g, members in groups.items()}
        quota = {g: int(x) for g, x in exact.items()}
        by_remainder = sorted(groups, key=lambda g: (-(exact[g] - quota[g]), str(g)))
        for g in by_remainder[: n_eval - sum(quota.values())]:
            quota[g] += 1
        chosen = {i for g, members in groups.items() for i in members[: quota[g]]}
        eval_idx = [i for i in order if i in chosen]
    held = set(eval_idx)
    return [records[i] for i in order if i not in held], [records[i] for i in eval_idx]
