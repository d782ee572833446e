"""Summarise a loaded dataset for ``toolft data check`` and the Data tab.

:func:`length_lint` renders every row with the model's chat template (tokenizer
only, never a model) and moves rows that would train on nothing into the errors;
:func:`summarize` counts rows, findings, row kinds, calls and argument coverage per
tool, duplicates and token lengths. Every table lists all its entries.
"""

from __future__ import annotations

import statistics

from toolft.data.lint import ERROR, WARNING, Finding
from toolft.data.records import CATEGORIES, LoadResult, row_category
from toolft.toolcalls import tool_name

MAX_FINDINGS = 500  # findings listed per severity in a summary (all are counted)
HISTOGRAM_BINS = 30


def length_lint(result: LoadResult, tokenizer, max_length: int | None, model_name: str = "this model",
                assistant_only_loss: bool = True) -> list[int]:
    """Token lengths of ``result``'s rows; rows that cannot train move to ``result.errors``.

    Errors: the template fails on the row; its tool schemas alone exceed ``max_length``; no
    trained token is left within ``max_length`` (TRL would drop it silently). Warning: some
    trained tokens fall past ``max_length`` (the row trains on a cut answer).
    Returns the lengths (tokens) of the rows kept, in order.

    Raises:
        toolft.data.render.TemplateError: the template cannot train at all this way.
    """
    from toolft.data.render import row_lengths, tools_prompt_tokens, training_chat_template

    from toolft.data.records import gc_paused

    template = training_chat_template(tokenizer, assistant_only_loss, model_name)
    with gc_paused():
        lengths = row_lengths(tokenizer, result.records, template, assistant_only_loss)
    tool_floor: dict[str, int] = {}
    keep_records, keep_lines, kept_lengths = [], [], []
    for record, line, length in zip(result.records, result.lines, lengths):
        row_id = record.get("id")
        problem = length.error
        if problem is None and max_length and not 0 <= length.first_trained < max_length:
            key = repr(record.get("tools"))  # the cause: the tool schemas alone, or the whole prompt?
            if record.get("tools") and key not in tool_floor:
                tool_floor[key] = tools_prompt_tokens(tokenizer, record["tools"], template)
            if tool_floor.get(key, 0) > max_length:
                problem = (f"the tool schemas alone take {tool_floor[key]} tokens, over max_length {max_length}: "
                           "the row trains on nothing")
            else:
                problem = (f"no trained token within max_length {max_length} (the first answer starts at token "
                           f"{length.first_trained}): TRL would drop this row")
        elif problem is None and max_length and length.last_trained >= max_length:
            result.warnings.append(Finding(
                line, "", f"{length.total} tokens: the answer is cut at max_length {max_length} "
                f"({length.last_trained - max_length + 1} trained tokens lost)", WARNING, row_id))
        if problem:
            result.errors.append(Finding(line, "", problem, ERROR, row_id))
            continue
        keep_records.append(record)
        keep_lines.append(line)
        kept_lengths.append(length.total)
    result.records, result.lines = keep_records, keep_lines
    result.errors.sort(key=lambda f: f.line)
    result.warnings.sort(key=lambda f: f.line)
    return kept_lengths


def _token_stats(lengths: list[int], max_length: int | None) -> dict:
    if not lengths:
        return {"min": 0, "median": 0, "max": 0, "over_max_length": 0, "max_length": max_length, "histogram": []}
    median = statistics.median(lengths)
    low, high = min(lengths), max(lengths)
    width = max(1, -(-(high - low + 1) // HISTOGRAM_BINS))
    counts: dict[int, int] = {}
    for n in lengths:
        start = low + (n - low) // width * width
        counts[start] = counts.get(start, 0) + 1
    return {
        "min": low,
        "median": int(median) if float(median).is_integer() else median,
        "max": high,
        "over_max_length": sum(n > max_length for n in lengths) if max_length else 0,
        "max_length": max_length,
        "histogram": [{"from": start, "to": start + width - 1, "rows": n} for start, n in sorted(counts.items())],
    }


def _tool_tables(records: list[dict]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Calls per tool (declared, never-called tools count 0) and, per tool, calls giving each parameter."""
    calls: dict[str, int] = {}
    coverage: dict[str, dict[str, int]] = {}
    for rec in records:
        for tool in rec.get("tools") or []:
            name = tool_name(tool)
            if not name:
                continue
            calls.setdefault(name, 0)
            params = (tool.get("function") or tool).get("parameters") or {}
            for param in (params.get("properties") or {}) if isinstance(params, dict) else {}:
                coverage.setdefault(name, {}).setdefault(param, 0)
        for msg in rec.get("messages") or []:
            for call in msg.get("tool_calls") or []:
                name = tool_name(call)
                if not name:
                    continue
                calls[name] = calls.get(name, 0) + 1
                for param in (call.get("function") or call).get("arguments") or {}:
                    table = coverage.setdefault(name, {})
                    table[param] = table.get(param, 0) + 1
    ordered = dict(sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])))
    return ordered, {name: coverage.get(name, {}) for name in ordered}


def summarize(result: LoadResult, lengths: list[int] | None = None, max_length: int | None = None,
              max_findings: int | None = MAX_FINDINGS) -> dict:
    """JSON-serialisable summary of a :class:`LoadResult` (``lengths`` from :func:`length_lint`).

    ``max_findings`` caps the errors and warnings listed (each; ``None`` = all, as the CLI
    prints); the ``*_truncated`` flags say when some were left out.

    >>> from toolft.data.records import LoadResult
    >>> summarize(LoadResult(total=0))["categories"]["single_call"]
    0
    """
    categories = dict.fromkeys(CATEGORIES, 0)
    for rec in result.records:
        categories[row_category(rec)] += 1
    calls, coverage = _tool_tables(result.records)
    errors = [f.to_json() for f in result.errors]
    warnings = [f.to_json() for f in result.warnings]
    return {
        "format": result.format,
        "formats": result.formats,
        "rows": result.total,
        "valid": len(result.records),
        "invalid": len({e.line for e in result.errors}),
        "errors": errors[:max_findings],
        "errors_truncated": max_findings is not None and len(errors) > max_findings,
        "warnings": warnings[:max_findings],
        "warnings_truncated": max_findings is not None and len(warnings) > max_findings,
        "duplicates": sum(w.message.startswith("duplicate of line") for w in result.warnings),
        "categories": categories,
        "tools": calls,
        "argument_coverage": coverage,
        "tokens": _token_stats(lengths, max_length) if lengths is not None else None,
    }
