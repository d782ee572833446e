"""Base vs fine-tuned: generate answers from the same weights and score them.

The fine-tuned model is the base with its LoRA adapter; the base model's answer
comes from the *same loaded weights* inside ``model.disable_adapter()``, so both
sides see the identical prompt, template and decoding settings.

Scoring looks at the first assistant turn of each held-out row: the reference
turn says what kind of answer was wanted (tool call, clarifying question,
refusal or plain answer) and which calls.

>>> summary = score([])                              # no rows: zeros, not an error
>>> summary["tool_call_rate"], summary["n"]
(0.0, 0)
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

from toolft.toolcalls import LABELS, ParsedAnswer, call_names_declared, label_of_message, parse_answer

DEFAULT_MAX_NEW_TOKENS = 160


def prompt_and_reference(record: dict) -> tuple[list[dict], dict]:
    """Split a conversation at its first assistant turn: ``(prompt_messages, reference_turn)``."""
    for i, message in enumerate(record["messages"]):
        if message["role"] == "assistant":
            return record["messages"][:i], message
    raise ValueError("row has no assistant turn")


def generate(model, tokenizer, messages: list[dict], tools: list[dict] | None,
             max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, use_adapter: bool = True) -> str:
    """Greedy-decode one assistant turn; ``use_adapter=False`` answers as the base model.

    The raw text keeps markup such as ``<tool_call>`` (only special tokens like
    ``<|im_end|>`` are dropped), so the parser sees what the model wrote.
    """
    import torch

    encoded = tokenizer.apply_chat_template(
        messages, tools=tools or None, add_generation_prompt=True, tokenize=True, return_dict=True,
        return_tensors="pt", enable_thinking=False,
    )
    encoded = {k: v.to(model.device) for k, v in encoded.items()}
    adapter_off = model.disable_adapter() if not use_adapter and hasattr(model, "disable_adapter") else nullcontext()
    with torch.no_grad(), adapter_off:
        output = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False,
                                pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    new_tokens = output[0, encoded["input_ids"].shape[1]:]
    return tokenizer.decode(new_tokens, skip_special_tokens=True).strip()


def compare(model, tokenizer, messages: list[dict], tools: list[dict] | None,
            max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> dict[str, dict]:
    """Answer one prompt with the base and the fine-tuned model: ``{"base": ..., "finetuned": ...}``.

    Each side has ``text`` (raw output) and ``parsed`` (a ParsedAnswer).
    """
    out = {}
    for side, use_adapter in (("base", False), ("finetuned", True)):
        text = generate(model, tokenizer, messages, tools, max_new_tokens, use_adapter=use_adapter)
        out[side] = {"text": text, "parsed": parse_answer(text)}
    return out


def canonical_value(value):
    """A value in a form where equal JSON values compare equal: numbers by value, dict keys sorted.

    ``12``, ``12.0`` and ``1.2e1`` are one number; ``True`` stays a boolean (never ``1``).

    >>> canonical_value({"b": 12.0, "a": [1, True]}) == canonical_value({"a": [1.0, True], "b": 12})
    True
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, dict):
        return tuple(sorted((str(k), canonical_value(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canonical_value(v) for v in value))
    return repr(value)


def _call_key(name: str, arguments) -> tuple:
    return name, canonical_value(arguments if isinstance(arguments, dict) else {})


def reference_calls(reference: dict) -> list[dict]:
    """The reference turn's calls as ``[{"name": ..., "arguments": {...}}]``."""
    return [{"name": c["function"]["name"], "arguments": c["function"].get("arguments") or {}}
            for c in reference.get("tool_calls") or []]


def same_calls(parsed: ParsedAnswer, reference: dict) -> bool:
    """True when the calls equal the reference's: same names, every argument value equal, same count.

    Order-free (parallel calls may come in any order); numbers compare by value.
    """
    want = sorted(map(repr, (_call_key(c["name"], c["arguments"]) for c in reference_calls(reference))))
    got = sorted(map(repr, (_call_key(c.name, c.arguments) for c in parsed.calls)))
    return bool(want) and want == got


def score(results: list[dict]) -> dict:
    """Aggregate per-row results (``reference``, ``tools``, ``parsed``) into a scorecard.

    Shares are in [0, 1], rounded to 4 places; each comes with the count it is a share of.

    * ``tool_call_rate``: of the rows whose reference is a tool call (``n``), the share
      answered with at least one parseable call, every call naming a declared tool.
    * ``name_accuracy`` / ``exact_match``: same rows; called names equal the reference's /
      names and every argument value equal (numbers by value, calls in any order).
    * ``exact_match_single``: ``exact_match`` on the rows that want exactly one call (``n_single``).
    * ``call_rate``: of all rows (``rows``), the share answered with a call.
    * ``false_call_rate``: of the rows whose reference is *not* a call (``n_other``), the share
      answered with a call.
    * ``label_accuracy``: per reference label, the share answered with that label.
    """
    tool_rows = [r for r in results if label_of_message(r["reference"]) == "tool_call"]
    single_rows = [r for r in tool_rows if len(r["reference"]["tool_calls"]) == 1]
    other_rows = [r for r in results if label_of_message(r["reference"]) != "tool_call"]

    def share(rows, test) -> float:
        return round(sum(1 for r in rows if test(r)) / len(rows), 4) if rows else 0.0

    by_label = {}
    for label in LABELS:
        rows = [r for r in results if label_of_message(r["reference"]) == label]
        if rows:
            by_label[label] = {"n": len(rows), "accuracy": share(rows, lambda r, lab=label: r["parsed"].label == lab)}
    return {
        "n": len(tool_rows),
        "rows": len(results),
        "tool_call_rate": share(tool_rows, lambda r: call_names_declared(r["parsed"].calls, r["tools"])),
        "name_accuracy": share(tool_rows, lambda r: sorted(c.name for c in r["parsed"].calls) == sorted(
            c["function"]["name"] for c in r["reference"]["tool_calls"])),
        "exact_match": share(tool_rows, lambda r: same_calls(r["parsed"], r["reference"])),
        "n_single": len(single_rows),
        "exact_match_single": share(single_rows, lambda r: same_calls(r["parsed"], r["reference"])),
        "call_rate": share(results, lambda r: r["parsed"].label == "tool_call"),
        "false_call_rate": share(other_rows, lambda r: r["parsed"].label == "tool_call"),
        "n_other": len(other_rows),
        "label_accuracy": by_label,
    }


def evaluate_run(run_dir: str | Path, data_path: str | Path | None = None, limit: int | None = None,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, progress=None, loaded=None) -> dict:
    """Score base and fine-tuned on held-out rows (default: the run's own ``data/eval.jsonl``).

    ``loaded`` may pass an already loaded ``(model, tokenizer)`` of this run (the
    playground's cache) so the weights are not loaded twice.

    Returns ``{"base": scorecard, "finetuned": scorecard, "rows": [...per-row answers...]}``.
    """
    from toolft.data.records import load_records
    from toolft.modeling import load_finetuned

    run_dir = Path(run_dir)
    data_path = Path(data_path) if data_path else run_dir / "data" / "eval.jsonl"
    data = load_records(data_path)
    records = data.records[:limit] if limit else data.records
    model, tokenizer = loaded or load_finetuned(run_dir)
    per_side: dict[str, list[dict]] = {"base": [], "finetuned": []}
    rows = []
    for i, record in enumerate(records):
        prompt, reference = prompt_and_reference(record)
        answers = compare(model, tokenizer, prompt, record.get("tools"), max_new_tokens)
        for side, answer in answers.items():
            per_side[side].append({"reference": reference, "tools": record.get("tools") or [], "parsed": answer["parsed"]})
        rows.append({"line": data.lines[i],
                     "expected": {"label": label_of_message(reference), "calls": reference_calls(reference),
                                  "content": reference.get("content") or ""},
                     **{side: {"label": a["parsed"].label, "text": a["text"],
                               "calls": [{"name": c.name, "arguments": c.arguments} for c in a["parsed"].calls],
                               "exact": same_calls(a["parsed"], reference)}
                        for side, a in answers.items()}})
        if progress:
            progress(i + 1, len(records))
    return {"base": score(per_side["base"]), "finetuned": score(per_side["finetuned"]), "rows": rows,
            "data": str(data_path), "invalid_rows": len(data.errors)}
