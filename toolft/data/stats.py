"""Summarise a loaded dataset for ``toolft data check``.

:func:`summarize` counts rows, errors, answer categories and tool calls and,
given a tokenizer, the token lengths of the rendered conversations.
Only the standard library is imported at module level.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from toolft.data.records import CATEGORIES, LoadResult, row_category
from toolft.toolcalls import tool_name

MAX_ERRORS = 200


def token_count(tokenizer, record: dict) -> int:
    """Number of tokens of ``record`` rendered with the tokenizer's chat template."""
    out = tokenizer.apply_chat_template(
        record["messages"], tools=record.get("tools") or None, tokenize=True, return_dict=True)
    ids = out["input_ids"] if isinstance(out, Mapping) or hasattr(out, "keys") else out
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    if ids and isinstance(ids[0], list):  # a batch of one
        ids = ids[0]
    return len(ids)


def _token_stats(records: list[dict], tokenizer, max_length: int | None) -> dict:
    lengths = [token_count(tokenizer, rec) for rec in records]
    if not lengths:
        return {"min": 0, "median": 0, "max": 0, "over_max_length": 0}
    median = statistics.median(lengths)
    return {
        "min": min(lengths),
        "median": int(median) if float(median).is_integer() else median,
        "max": max(lengths),
        "over_max_length": sum(n > max_length for n in lengths) if max_length else 0,
    }


def _tool_counts(records: list[dict]) -> dict[str, int]:
    """Calls per tool name; declared tools that are never called count 0."""
    counts: dict[str, int] = {}
    for rec in records:
        for tool in rec.get("tools") or []:
            name = tool_name(tool)
            if name:
                counts.setdefault(name, 0)
        for msg in rec.get("messages") or []:
            for call in msg.get("tool_calls") or []:
                name = tool_name(call)
                if name:
                    counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summarize(result: LoadResult, tokenizer=None, max_length: int | None = None) -> dict:
    """JSON-serialisable summary of a :class:`LoadResult`.

    >>> from toolft.data.records import LoadResult
    >>> summarize(LoadResult(total=0))["categories"]["single_call"]
    0
    """
    categories = dict.fromkeys(CATEGORIES, 0)
    for rec in result.records:
        categories[row_category(rec)] += 1
    errors = [{"line": e.line, "field": e.field, "message": e.message} for e in result.errors]
    return {
        "rows": result.total,
        "valid": len(result.records),
        "invalid": len({e.line for e in result.errors}),
        "errors": errors[:MAX_ERRORS],
        "errors_truncated": len(errors) > MAX_ERRORS,
        "categories": categories,
        "tools": _tool_counts(result.records),
        "tokens": _token_stats(result.records, tokenizer, max_length) if tokenizer is not None else None,
    }
