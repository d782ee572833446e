"""Base vs fine-tuned on held-out rows: generate with both, score with the BFCL-style checker.

Each held-out row is cut at its first assistant turn: everything before it is the prompt,
the turn itself is the gold answer (:func:`toolft.scoring.first_turn`). Both sides answer
every prompt in batches (:func:`toolft.inference.generate_batch`) from the same loaded
weights, the base with its adapter switched off, and :func:`toolft.scoring.check_row`
scores each raw output by the rules ``toolft score`` applies to any model's outputs.
"""

from __future__ import annotations

import json

import time
from pathlib import Path

from toolft.inference import Sampling, generate_batch
from toolft.scoring import check_row, first_turn, scorecard

SIDES = (("base", False), ("finetuned", True))  # (name, adapter on)


def evaluate_records(model, tokenizer, records: list[dict], lines: list[int] | None = None, *,
                     sampling: Sampling = Sampling(), batch_size: int = 16, progress=None) -> dict:
    """Generate and score base and fine-tuned answers to ``records`` (canonical rows with an assistant turn).

    Returns ``{"base": scorecard, "finetuned": scorecard, "rows": [...], "seconds": float}``;
    each row has ``line``, ``id``, ``kind``, ``expected`` (``label``, ``calls``, ``content``)
    and per side ``text`` (raw output), ``label``, ``calls``, ``valid``, ``error_type``, ``error``.
    ``progress(done, total)`` counts answers (two per row).
    """
    from toolft.toolcalls import label_of_message

    started = time.time()
    lines = lines or list(range(1, len(records) + 1))
    prompts = [(first_turn(r)[0], r.get("tools") or None) for r in records]
    checks = {}
    for k, (side, adapter_on) in enumerate(SIDES):
        outputs = generate_batch(
            model, tokenizer, prompts, use_adapter=adapter_on, sampling=sampling, batch_size=batch_size,
            progress=progress and (lambda done, total, k=k: progress(k * total + done, 2 * total)))
        checks[side] = [check_row(record, text) | {"text": text} for record, text in zip(records, outputs)]
    rows = []
    for i, record in enumerate(records):
        gold = first_turn(record)[1]
        first = checks["base"][i]
        rows.append({"line": lines[i], "id": record.get("id"), "kind": first["kind"],
                     "expected": {"label": label_of_message(gold), "calls": first["expected_calls"],
                                  "content": gold.get("content") or ""},
                     **{side: {key: checks[side][i][key] for key in
                               ("text", "label", "calls", "valid", "error_type", "error")} for side, _ in SIDES}})
    return {**{side: scorecard(checks[side]) for side, _ in SIDES}, "rows": rows,
            "seconds": round(time.time() - started, 1)}


def evaluate_run(run_dir: str | Path, data_path: str | Path | None = None, limit: int | None = None, *,
                 sampling: Sampling = Sampling(), batch_size: int = 16, progress=None, loaded=None) -> dict:
    """Score base and fine-tuned on held-out rows (default: the run's own ``data/eval.jsonl``).

    ``loaded`` may pass the run's already loaded ``(model, tokenizer)`` (the app's model slot).
    Returns :func:`evaluate_records`'s result plus ``data`` (the file scored) and
    ``invalid_rows`` (rows of it that could not be scored: invalid, or no assistant turn).
    The scores (without the per-row answers) are also written to the run's ``scorecard.json``,
    which the Hub model card shows (``toolft.hub_push``).

    Raises:
        toolft.data.records.DataFileError: the data file cannot be read.
    """
    from toolft.data.records import load_records
    from toolft.modeling import load_finetuned

    run_dir = Path(run_dir)
    data_path = Path(data_path) if data_path else run_dir / "data" / "eval.jsonl"
    data = load_records(data_path)
    scorable = [(line, r) for line, r in zip(data.lines, data.records)
                if any(m.get("role") == "assistant" for m in r["messages"])]
    unscorable = len({e.line for e in data.errors}) + len(data.records) - len(scorable)
    scorable = scorable[:limit] if limit else scorable
    model, tokenizer = loaded or load_finetuned(run_dir)
    result = evaluate_records(model, tokenizer, [r for _, r in scorable], [line for line, _ in scorable],
                              sampling=sampling, batch_size=batch_size, progress=progress)
    out = {**result, "data": str(data_path), "invalid_rows": unscorable}
    try:
        summary = {k: v for k, v in out.items() if k != "rows"}
        (run_dir / "scorecard.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    except OSError:  # a read-only run folder still gets its scores returned
        pass
    return out
