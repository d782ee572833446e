"""A BFCL-style checker: score raw model outputs against gold rows, rule by rule.

Follows the Berkeley Function Calling Leaderboard's AST checker
(``bfcl_eval/eval_checker/ast_eval/ast_checker.py``): every check returns
``{"valid": bool, "error": [str], "error_type": str}`` so each failure explains itself.
The answer scored is the gold row's *first* assistant turn; its prompt is everything
before it. Rows that want calls (single_call, parallel_calls, multi_step) are checked
call by call against the row's tool schemas:

* the same number of calls (``wrong_count``), the same multiset of names
  (``wrong_name``), matched one-to-one in any order (a bipartite matching);
* every ``required`` parameter present (``missing_required``); no parameter the schema
  lacks, nor one the gold call does not give unless its value is the schema's
  ``default`` (``unexpected_param``, as BFCL: a parameter outside the possible answer);
* a gold value for an *optional* parameter may be omitted only when it equals the
  schema's ``default`` (``missing_optional``; BFCL marks such parameters "" in its
  possible answers, our gold has one answer, so the schema's default stands for it);
* types per the JSON Schema (``type_error``), BFCL's Python rules: an integer is a
  ``number`` (BFCL converts int to float), a bool is never a number or an integer, and
  ``3.0`` is *not* an ``integer`` (BFCL checks ``type(value) == int``; a tool declaring an
  integer may index, count or ``range()`` with it). JSON Schema itself (and so the
  ``jsonschema`` library the data lint uses) counts ``3.0`` as an integer, hence these few
  hand-written rules. Without a schema type (none given, ``any``, an unresolved ``$ref``)
  the gold value's JSON type is the expected one;
* values (``value_error``): strings after BFCL's :func:`standardize_string` (case, spaces
  and ``,./-_*^`` ignored: "New York" = "new-york"), numbers by
  value (``12 == 12.0``), lists in order element by element, objects recursively with
  the rules above (their own ``required``, ``properties`` and defaults).

A parse error in the output fails the row (``parse_error``): BFCL fails an output it
cannot decode. Rows that want no call: ``no_tool`` passes with no call; ``refusal`` and
``clarification`` pass with no call and that :func:`~toolft.toolcalls.parse_answer`
label (``over_calling`` when a call, even a broken one, was attempted; ``wrong_label``).

>>> tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
...     "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
>>> row = {"messages": [{"role": "user", "content": "Weather in NYC?"}, {"role": "assistant", "tool_calls": [
...     {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "New York"}}}]}],
...     "tools": tools}
>>> check_row(row, '<tool_call>{"name": "get_weather", "arguments": {"city": "new-york"}}</tool_call>')["valid"]
True
>>> check_row(row, "It is sunny.")["error_type"]
'no_call'
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from toolft.data.records import CATEGORIES, row_category
from toolft.toolcalls import parse_answer, tool_name

METRICS = ("accuracy", "call_rate", "parse_rate", "tool_name_accuracy", "full_call_accuracy", "over_calling_rate",
           "refusal_accuracy", "clarification_accuracy", "no_call_accuracy")
# schema type names other tool formats use (BFCL's Python types among them) -> JSON Schema's
_TYPE_ALIASES = {"float": "number", "double": "number", "int": "integer", "long": "integer", "str": "string",
                 "bool": "boolean", "dict": "object", "list": "array", "tuple": "array", "none": "null"}
_STRIP_RE = re.compile(r"[ ,./\-_*^]")  # BFCL's standardize_string: the space and ,./-_*^


class ScoringInputError(ValueError):
    """The gold or predictions file cannot be paired or read; the message is one line."""


# ----------------------------------------------------------------- one value
def standardize_string(text: str) -> str:
    """BFCL's string normalisation: drop spaces and ``,./-_*^``, lower-case, ``'`` -> ``"``.

    >>> {standardize_string(s) for s in ("New York", "new york", "New-York", "new_york.")}
    {'newyork'}
    """
    return _STRIP_RE.sub("", text).lower().replace("'", '"')


def _kind(value) -> str:
    """JSON kind of a value; ints and floats are one kind ("number"), bools their own."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value), type(value).__name__)


def _schema_types(schema) -> list[str] | None:
    """The JSON Schema types a sub-schema allows (``anyOf``/``oneOf`` branches too); None when unknown."""
    if not isinstance(schema, dict):
        return None
    declared = schema.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        names = [_TYPE_ALIASES.get(t.lower(), t.lower()) for t in declared if isinstance(t, str)]
        return None if not names or "any" in names else names
    branches = [_schema_types(s) for s in (schema.get("anyOf") or schema.get("oneOf") or [])]
    if branches and all(branches):
        return [t for b in branches for t in b]
    return None


def _has_type(value, name: str) -> bool:
    if name == "integer":
        return type(value) is int  # BFCL: 3.0 is not an integer, True is not one either
    if name == "number":
        return _kind(value) == "number"  # an int is a number; a bool never is
    if name in ("string", "boolean", "array", "object", "null"):
        return _kind(value) == name
    return True  # a type this checker does not know: not checked


def _branch(schema, value):
    """The ``anyOf``/``oneOf`` branch a value's type selects (for its ``items``/``properties``)."""
    if isinstance(schema, dict) and "type" not in schema:
        for sub in schema.get("anyOf") or schema.get("oneOf") or []:
            if any(_has_type(value, t) for t in _schema_types(sub) or []):
                return sub
    return schema


def check_value(where: str, value, gold, schema=None) -> list[tuple[str, str]]:
    """Problems of a predicted ``value`` against the ``gold`` one: ``[(error_type, message)]``, empty when equal.

    >>> check_value("n", 12, 12.0, {"type": "number"}), check_value("n", 3.0, 3, {"type": "integer"})
    ([], [('type_error', 'n: expected integer, got number 3.0')])
    >>> check_value("tags", ["a", "b"], ["b", "a"], {"type": "array"})[0][1]
    "tags[0]: expected 'b', got 'a'"
    """
    types = _schema_types(schema) or [_kind(gold)]
    if not any(_has_type(value, t) for t in types):
        return [("type_error", f"{where}: expected {' or '.join(types)}, got {_kind(value)} {value!r}")]
    schema = _branch(schema, value)
    if _kind(value) != _kind(gold):
        return [("value_error", f"{where}: expected {gold!r}, got {value!r}")]
    if isinstance(value, dict):
        return check_object(where, value, gold, schema)
    if isinstance(value, list):
        if len(value) != len(gold):
            return [("value_error", f"{where}: expected {len(gold)} items {gold!r}, got {len(value)} {value!r}")]
        items = schema.get("items") if isinstance(schema, dict) and isinstance(schema.get("items"), dict) else None
        return [p for i, (v, g) in enumerate(zip(value, gold)) for p in check_value(f"{where}[{i}]", v, g, items)]
    if isinstance(value, str):
        same = standardize_string(value) == standardize_string(gold)
    elif _kind(value) == "number":
        same = value == gold  # 12 == 12.0, exact for big integers
    else:
        same = value is gold  # true, false, null
    return [] if same else [("value_error", f"{where}: expected {gold!r}, got {value!r}")]


def _is_default(value, spec) -> bool:
    return isinstance(spec, dict) and "default" in spec and not check_value("", value, spec["default"], spec)


def check_object(where: str, value: dict, gold: dict, schema=None) -> list[tuple[str, str]]:
    """Arguments (or a nested object) against the gold ones under an object schema; see the module rules.

    >>> schema = {"type": "object", "properties": {"city": {"type": "string"},
    ...           "unit": {"type": "string", "default": "celsius"}}, "required": ["city"]}
    >>> check_object("f", {"city": "Oslo"}, {"city": "Oslo", "unit": "celsius"}, schema)
    []
    >>> [t for t, _ in check_object("f", {"unit": "kelvin", "x": 1}, {"city": "Oslo"}, schema)]
    ['missing_required', 'unexpected_param', 'unexpected_param']
    """
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else None
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    loose = props is None or schema.get("additionalProperties") not in (None, False)
    problems = [("missing_required", f"{where}: missing required parameter {name!r}")
                for name in required if name not in value]
    for key, item in value.items():
        spec = (props or {}).get(key)
        if spec is None and not loose:
            problems.append(("unexpected_param", f"{where}: unexpected parameter {key!r} (not in the schema)"))
        elif key not in gold:
            if not _is_default(item, spec):
                problems.append(("unexpected_param", f"{where}: unexpected parameter {key!r}={item!r} (the expected "
                                 "call does not give it and it is not the schema's default)"))
        else:
            problems += check_value(f"{where}.{key}", item, gold[key], spec)
    for key, item in gold.items():
        if key not in value and key not in required and not _is_default(item, (props or {}).get(key)):
            problems.append(("missing_optional", f"{where}: optional parameter {key!r} omitted; expected {item!r} "
                             "(omission passes only when that is the schema's default)"))
    return problems


# ----------------------------------------------------------------- calls and rows
def _result(problems: list[tuple[str, str]]) -> dict:
    return {"valid": not problems, "error": [m for _, m in problems], "error_type": problems[0][0] if problems else ""}


def _schemas(tools) -> dict:
    out = {}
    for tool in tools or []:
        inner = tool.get("function", tool) if isinstance(tool, dict) else None
        if isinstance(inner, dict) and tool_name(tool):
            out[tool_name(tool)] = inner.get("parameters")
    return out


def check_call(call: dict, gold: dict, schema=None) -> dict:
    """One predicted call (``{"name", "arguments"}``) against one gold call under its parameters schema.

    >>> check_call({"name": "f", "arguments": {"n": True}}, {"name": "f", "arguments": {"n": 1}},
    ...            {"type": "object", "properties": {"n": {"type": "number"}}})
    {'valid': False, 'error': ['f.n: expected number, got boolean True'], 'error_type': 'type_error'}
    """
    if call["name"] != gold["name"]:
        return _result([("wrong_name", f"expected {gold['name']}, got {call['name']}")])
    return _result(check_object(call["name"], call["arguments"], gold["arguments"], schema))


def _matching(ok: list[list[bool]]) -> list[int | None]:
    """A maximum one-to-one matching (Kuhn's augmenting paths): ``owner[j]`` = predicted call for gold call j."""
    owner: list[int | None] = [None] * (len(ok[0]) if ok else 0)

    def augment(i: int, seen: set) -> bool:
        for j, fits in enumerate(ok[i]):
            if fits and j not in seen:
                seen.add(j)
                if owner[j] is None or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(ok)):
        augment(i, set())
    return owner


def check_calls(calls: list[dict], gold: list[dict], schemas: dict) -> dict:
    """Predicted calls against gold calls in any order: same count, same names, one-to-one valid pairs."""
    if len(calls) != len(gold):
        return _result([("wrong_count", f"expected {len(gold)} call(s) ({', '.join(g['name'] for g in gold)}), "
                                        f"got {len(calls)} ({', '.join(c['name'] for c in calls)})")])
    if Counter(c["name"] for c in calls) != Counter(g["name"] for g in gold):
        return _result([("wrong_name", f"expected {', '.join(sorted(g['name'] for g in gold))}, "
                                       f"got {', '.join(sorted(c['name'] for c in calls))}")])
    checks = [[check_call(c, g, schemas.get(g["name"])) for g in gold] for c in calls]
    owner = _matching([[r["valid"] for r in row] for row in checks])
    if None not in owner:
        return _result([])
    free = [i for i in range(len(calls)) if i not in owner]
    problems = []
    for j in (j for j, i in enumerate(owner) if i is None):  # explain each unmatched gold call by its closest call
        i = min((i for i in free if calls[i]["name"] == gold[j]["name"]), key=lambda i: len(checks[i][j]["error"]))
        free.remove(i)
        prefix = f"call {i + 1} vs expected call {j + 1}: " if len(gold) > 1 else ""
        problems += [(checks[i][j]["error_type"], prefix + m) for m in checks[i][j]["error"]]
    return _result(problems or [("value_error", "the calls cannot be matched one to one to the expected calls")])


def _a(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


def first_turn(record: dict) -> tuple[list[dict], dict]:
    """``(prompt_messages, reference_turn)``: the row split at its first assistant message.

    Raises:
        ValueError: the row has no assistant message.
    """
    for i, message in enumerate(record["messages"]):
        if message.get("role") == "assistant":
            return record["messages"][:i], message
    raise ValueError("row has no assistant turn")


def check_row(record: dict, output_text: str) -> dict:
    """Score one raw model output against a gold row's first assistant turn.

    Returns the check (``valid``, ``error``, ``error_type``; ``""`` when valid) with what
    :func:`scorecard` counts: ``id``, ``kind`` (:func:`~toolft.data.records.row_category`),
    ``wants_calls``, ``label`` and ``calls`` (the parsed output, calls as plain dicts),
    ``expected_calls``, ``parse_errors``, ``parsed`` (≥ 1 call, no parse error),
    ``names_match`` (same multiset of names) and ``called`` (a call was attempted).

    >>> row = {"messages": [{"role": "user", "content": "Hack it"},
    ...                     {"role": "assistant", "content": "I can't help with that."}], "kind": "refusal"}
    >>> check_row(row, "I cannot do that.")["valid"], check_row(row, "Sure, done.")["error_type"]
    (True, 'wrong_label')
    """
    _, reference = first_turn(record)
    kind = row_category(record)
    parsed = parse_answer(output_text, record.get("tools"))
    calls = [{"name": c.name, "arguments": c.arguments} for c in parsed.calls]
    gold = [{"name": c["function"]["name"], "arguments": c["function"].get("arguments") or {}}
            for c in reference.get("tool_calls") or []]
    called = bool(calls or parsed.errors)  # a broken call block is an attempted call
    if gold:
        if parsed.errors:
            check = _result([("parse_error", e) for e in parsed.errors])
        elif not calls:
            check = _result([("no_call", f"expected {len(gold)} call(s) ({', '.join(g['name'] for g in gold)}), "
                                         f"got {_a(parsed.label)} with no call")])
        else:
            check = check_calls(calls, gold, _schemas(record.get("tools")))
    elif called:
        what = ", ".join(c["name"] for c in calls) or "a call that did not parse: " + "; ".join(parsed.errors)
        check = _result([("over_calling", f"expected no call ({kind}), got {what}")])
    elif kind in ("refusal", "clarification") and parsed.label != kind:
        check = _result([("wrong_label", f"expected a {kind}, got {_a(parsed.label)}: {parsed.content[:80]!r}")])
    else:
        check = _result([])
    return {"id": record.get("id"), "kind": kind, "wants_calls": bool(gold), **check, "label": parsed.label,
            "calls": calls, "expected_calls": gold, "parse_errors": list(parsed.errors),
            "parsed": bool(calls) and not parsed.errors,
            "names_match": bool(gold) and Counter(c["name"] for c in calls) == Counter(g["name"] for g in gold),
            "called": called}


# ----------------------------------------------------------------- the scorecard
def _metrics(results: list[dict]) -> dict:
    call_rows = [r for r in results if r["wants_calls"]]
    quiet_rows = [r for r in results if not r["wants_calls"]]
    pools = {
        "accuracy": (results, lambda r: r["valid"]),
        "call_rate": (results, lambda r: r["called"]),
        "parse_rate": (call_rows, lambda r: r["parsed"]),
        "tool_name_accuracy": (call_rows, lambda r: r["names_match"]),
        "full_call_accuracy": (call_rows, lambda r: r["valid"]),
        "over_calling_rate": (quiet_rows, lambda r: r["called"]),
        "refusal_accuracy": ([r for r in quiet_rows if r["kind"] == "refusal"], lambda r: r["valid"]),
        "clarification_accuracy": ([r for r in quiet_rows if r["kind"] == "clarification"], lambda r: r["valid"]),
        "no_call_accuracy": ([r for r in quiet_rows if r["kind"] == "no_tool"], lambda r: r["valid"]),
    }
    out: dict = {"n": len(results)}
    for name, (rows, test) in pools.items():
        out[name] = round(sum(1 for r in rows if test(r)) / len(rows), 4) if rows else None
        out[f"n_{name}"] = len(rows)
    out["error_types"] = dict(Counter(r["error_type"] for r in results if not r["valid"]).most_common())
    return out


def scorecard(results: list[dict]) -> dict:
    """Aggregate :func:`check_row` results: ``{"overall": {...}, "by_kind": {kind: {...}}}``.

    Each section has ``n`` (rows) and, for every metric ``m`` in :data:`METRICS`, a share
    ``m`` in [0, 1] (4 places) with its denominator ``n_m``; ``m`` is ``None`` when
    ``n_m`` is 0 (the metric does not apply). ``error_types`` counts failed rows by type.

    * ``accuracy``: all rows that pass every rule;
    * ``call_rate``: all rows where a call was attempted (a base model that knows no
      tools should stay near 0);
    * ``parse_rate``, ``tool_name_accuracy``, ``full_call_accuracy``: of the rows that want
      calls, those whose output parsed into ≥ 1 call with no parse error / whose multiset
      of call names is the gold one / that pass every rule;
    * ``over_calling_rate``: of the rows that want no call, those where a call was attempted;
    * ``refusal_accuracy``, ``clarification_accuracy``, ``no_call_accuracy``: of the
      refusal / clarification / no_tool rows, those that pass.

    ``by_kind`` lists every kind of :data:`~toolft.data.records.CATEGORIES`, empty ones too.

    >>> card = scorecard([])
    >>> card["overall"]["n"], card["overall"]["full_call_accuracy"], card["by_kind"]["refusal"]["n_refusal_accuracy"]
    (0, None, 0)
    """
    return {"overall": _metrics(results),
            "by_kind": {kind: _metrics([r for r in results if r["kind"] == kind]) for kind in CATEGORIES}}


# ----------------------------------------------------------------- files
def _prediction_rows(path: Path) -> list[tuple[int, dict]]:
    from toolft.data.files import DataFileError, read_file

    if not path.is_file():
        raise ScoringInputError(f"{path}: file not found")
    try:
        rows, _ = read_file(path)
    except DataFileError as exc:
        raise ScoringInputError(str(exc)) from None
    out = []
    for line, row, error in rows:
        if error:
            raise ScoringInputError(f"{path.name}: line {line}: {error}")
        if not isinstance(row, dict):
            raise ScoringInputError(f'{path.name}: line {line}: expected a JSON object {{"id", "output"}}, '
                                    f"got {_kind(row)}")
        if not isinstance(row.get("output"), str):
            got = "no output field" if "output" not in row else f"output is {_kind(row['output'])}, not a string"
            raise ScoringInputError(f'{path.name}: line {line}: {got} '
                                    '(expected {"id": ..., "output": "<model text>"})')
        out.append((line, row))
    if not out:
        raise ScoringInputError(f"{path.name}: contains no predictions")
    return out


def _row_id(value) -> str | None:
    """An id as a string, the way gold ids are (``7`` and ``"7"`` are one id)."""
    return None if value is None else value if isinstance(value, str) else str(value)


def _few(items: list, limit: int = 3) -> str:
    return ", ".join(map(str, items[:limit])) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def pair_predictions(gold_path, records: list[dict], lines: list[int], predictions: list[tuple[int, dict]]):
    """``[(gold_index, prediction_line, output)]``: by id when the predictions carry ids, else by line order.

    Raises:
        ScoringInputError: a duplicate id, a prediction without id or gold row, gold rows without
            prediction, or (by order) different counts. One line, naming the first few.
    """
    gold_name, pred_name = Path(str(gold_path)).name, "predictions"
    if not any("id" in row for _, row in predictions):
        if len(predictions) != len(records):
            raise ScoringInputError(f"{gold_name} has {len(records)} rows but there are {len(predictions)} "
                                    "predictions; without ids, line order pairs them, so the counts must match")
        return [(i, line, row["output"]) for i, (line, row) in enumerate(predictions)]
    no_id = [lines[i] for i, r in enumerate(records) if r.get("id") is None]
    if no_id:
        raise ScoringInputError(f"the predictions carry ids but {gold_name} line(s) {_few(no_id)} have none; "
                                "give every gold row an id, or drop the ids to pair by line order")
    index: dict[str, int] = {}
    for i, r in enumerate(records):
        if index.setdefault(r["id"], i) != i:
            raise ScoringInputError(f"{gold_name}: id {r['id']!r} is on lines {lines[index[r['id']]]} and {lines[i]}")
    pairs, seen, unknown = [], {}, []
    for line, row in predictions:
        pid = _row_id(row.get("id"))
        if pid is None:
            raise ScoringInputError(f"{pred_name} line {line} has no id (the other predictions have ids)")
        if pid in seen:
            raise ScoringInputError(f"{pred_name}: id {pid!r} is on lines {seen[pid]} and {line}")
        seen[pid] = line
        if pid not in index:
            unknown.append(f"{pid!r} (line {line})")
        else:
            pairs.append((index[pid], line, row["output"]))
    if unknown:
        raise ScoringInputError(f"prediction id(s) with no gold row in {gold_name}: {_few(unknown)}")
    missing = [f"{r['id']!r}" for r in records if r["id"] not in seen]
    if missing:
        raise ScoringInputError(f"{len(missing)} gold row(s) have no prediction: ids {_few(missing)}")
    return sorted(pairs)


def score_file(gold_path, predictions_path) -> dict:
    """Score a predictions JSONL against a gold dataset: ``{"overall", "by_kind", "rows"}``.

    ``predictions_path`` holds one ``{"id": ..., "output": "<raw model text>"}`` per gold
    row, paired by id (as strings) when the predictions carry ids, else by line order.
    ``rows`` are the :func:`check_row` results in gold order, each with its gold ``line``.

    Raises:
        ScoringInputError: a file is missing or unreadable, a gold row is invalid, a
            prediction line is not a JSON object with a string ``output``, or the two files
            cannot be paired (see :func:`pair_predictions`).
    """
    from toolft.data.records import DataFileError, load_records

    try:
        data = load_records(gold_path)
    except DataFileError as exc:
        raise ScoringInputError(str(exc)) from None
    if data.errors:
        raise ScoringInputError(f"{Path(str(gold_path)).name}: {len({e.line for e in data.errors})} invalid gold "
                                f"row(s); first: {data.errors[0]}")
    predictions = _prediction_rows(Path(predictions_path))
    rows = []
    for i, line, output in pair_predictions(gold_path, data.records, data.lines, predictions):
        rows.append({"line": data.lines[i], "prediction_line": line, **check_row(data.records[i], output)})
    return {**scorecard(rows), "rows": rows}


def format_scorecard(card: dict) -> str:
    """A short readable table of a :func:`scorecard`: one line per kind with rows, then overall."""
    columns = (("full calls", "full_call_accuracy"), ("names", "tool_name_accuracy"), ("parsed", "parse_rate"),
               ("over-calling", "over_calling_rate"), ("refusal", "refusal_accuracy"),
               ("clarif.", "clarification_accuracy"), ("no-call", "no_call_accuracy"), ("all rules", "accuracy"))

    def cell(section, key) -> str:
        return "-" if section[key] is None else f"{section[key]:.0%} of {section['n_' + key]}"

    lines = [f"{'kind':<15}{'n':>5}" + "".join(f" {title:>12}" for title, _ in columns)]
    sections = [(k, s) for k, s in card["by_kind"].items() if s["n"]] + [("overall", card["overall"])]
    for name, section in sections:
        lines.append(f"{name:<15}{section['n']:>5}" + "".join(f" {cell(section, key):>12}" for _, key in columns))
    return "\n".join(lines)
