"""The Data tab: pick a dataset (an upload or the bundled sample), check it, preview it.

The handlers (:func:`use_upload`, :func:`use_sample`) take and return plain values:
a summary in markdown, preview and error rows as lists, and the visitor's data
choice ``{"train_file": ..., "sample_rows": ...}`` that the Recipe tab copies into
``data.train_file`` / ``data.sample_rows``. An upload is copied under the toolft
home first (:func:`toolft.ui.common.store_upload`); only the copy is read.
"""

from __future__ import annotations

import json

from toolft.data.records import DataFileError, LoadResult, check_rows, load_records, row_category
from toolft.data.stats import summarize
from toolft.ui.common import store_upload

PREVIEW_ROWS = 50
PREVIEW_HEADERS = ["line", "category", "user message", "first assistant answer / tool calls", "tools"]
ERROR_HEADERS = ["line", "field", "message"]
_CELL_CHARS = 160  # keep preview cells to a couple of lines


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def _first_answer(record: dict) -> str:
    """The first assistant turn: its tool calls as ``name(args)``, else its text."""
    for message in record["messages"]:
        if message["role"] != "assistant":
            continue
        calls = message.get("tool_calls") or []
        if calls:
            return "; ".join(f"{c['function']['name']}({json.dumps(c['function']['arguments'], ensure_ascii=False)})"
                             for c in calls)
        return message.get("content") or ""
    return ""


def default_sample_rows() -> int:
    """The default recipe's sample size, so "Use bundled sample data" trains what the README measured."""
    from toolft.recipe import default_preset_name, load_recipe

    return load_recipe(default_preset_name()).data.sample_rows


def preview_rows(result: LoadResult, limit: int = PREVIEW_ROWS) -> list[list]:
    """One row per valid record (the first ``limit``): line, category, user message, answer, tool count."""
    rows = []
    for line, record in zip(result.lines[:limit], result.records[:limit]):
        user = next((m.get("content") or "" for m in record["messages"] if m["role"] == "user"), "")
        rows.append([line, row_category(record), _short(user), _short(_first_answer(record)),
                     len(record.get("tools") or [])])
    return rows


def summary_markdown(summary: dict, source: str) -> str:
    """Rows / valid / invalid counts and the answer categories, as markdown."""
    categories = " · ".join(f"{name.replace('_', ' ')} **{count}**" for name, count in summary["categories"].items())
    tools = ", ".join(f"{name} ({n})" for name, n in list(summary["tools"].items())[:8]) or "none"
    lines = [f"### {source}",
             f"**{summary['rows']}** rows: **{summary['valid']}** valid, **{summary['invalid']}** invalid",
             f"Categories: {categories}",
             f"Tool calls by tool: {tools}"]
    if summary["invalid"]:
        lines.append("Invalid rows are listed below and are skipped by training.")
    if summary["errors_truncated"]:
        lines.append(f"(only the first {len(summary['errors'])} errors are listed)")
    return "\n\n".join(lines)


def _view(result: LoadResult, source: str) -> tuple[str, list[list], list[list]]:
    summary = summarize(result)
    errors = [[e["line"], e["field"] or "(row)", e["message"]] for e in summary["errors"]]
    return summary_markdown(summary, source), preview_rows(result), errors


def use_upload(path: str | None, current: dict | None) -> tuple[str, list[list], list[list], dict | None]:
    """Check an uploaded .jsonl/.json file: ``(summary, preview, errors, data choice)``.

    The file is copied first and only the copy is read. A file that cannot be
    used at all (wrong type, not JSON, no valid row) leaves the data choice at
    ``current`` and says why.
    """
    if not path:
        return "Upload a .jsonl or .json file of {messages, tools} rows.", [], [], current
    try:
        copy = store_upload(path)
    except OSError as exc:
        return f"**Cannot read the upload:** {exc.strerror or exc}", [], [], current
    try:
        result = load_records(copy)
    except DataFileError as exc:
        message = str(exc).replace(str(copy), copy.name)
        return f"**Cannot use this file:** {message}", [], [], current
    summary_md, preview, errors = _view(result, copy.name)
    if not result.records:
        return summary_md + "\n\n**No valid row: fix the errors below and upload again.**", preview, errors, current
    return summary_md, preview, errors, {"train_file": str(copy), "sample_rows": None}


def use_sample(rows: int | None, seed: int = 0) -> tuple[str, list[list], list[list], dict]:
    """Generate the bundled sample (``rows`` rows, ``seed`` = the recipe's split seed) and check it."""
    from toolft.data.sample import generate_sample

    rows = int(rows or default_sample_rows())
    records = generate_sample(rows, seed=int(seed or 0))
    result = check_rows((line, record, None) for line, record in enumerate(records, start=1))
    summary_md, preview, errors = _view(result, f"Bundled sample data ({rows} rows, seed {seed or 0})")
    return summary_md, preview, errors, {"train_file": "sample", "sample_rows": rows}


def build_data_tab(data_state, recipe_state) -> None:
    """Lay out the Data tab; its handlers set ``data_state`` (the visitor's data choice)."""
    import gradio as gr

    gr.Markdown("Upload a dataset in TRL's conversational format with a `tools` column (one JSON object per "
                "line), or start from toolft's bundled synthetic tool-calling conversations.")
    with gr.Row():
        with gr.Column():
            upload = gr.File(label="Upload .jsonl / .json", file_types=[".jsonl", ".json"], type="filepath")
        with gr.Column():
            rows = gr.Slider(10, 5000, value=default_sample_rows(), step=10, label="Sample rows",
                             info="How many synthetic conversations to generate.")
            sample_btn = gr.Button("Use bundled sample data", variant="primary")
    summary = gr.Markdown("No dataset chosen yet: the recipe uses the bundled sample by default.")
    preview = gr.Dataframe(headers=PREVIEW_HEADERS, value=[], label=f"Preview (first {PREVIEW_ROWS} valid rows)",
                           interactive=False, wrap=True, column_widths=["6%", "11%", "37%", "38%", "8%"])
    errors = gr.Dataframe(headers=ERROR_HEADERS, value=[], label="Errors", interactive=False, wrap=True,
                          column_widths=["8%", "30%", "62%"])

    def sample_for_recipe(n, recipe):
        return use_sample(n, (recipe or {}).get("data", {}).get("split_seed") or 0)

    outputs = [summary, preview, errors, data_state]
    upload.upload(use_upload, inputs=[upload, data_state], outputs=outputs)
    sample_btn.click(sample_for_recipe, inputs=[rows, recipe_state], outputs=outputs)
