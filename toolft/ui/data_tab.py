"""The Data tab: pick a dataset, see its format, findings, statistics, and exactly what trains.

Handlers take and return plain values. A loaded dataset is a :class:`DataView`,
kept per visitor in ``gr.State`` on the server: the browser only ever receives one
preview page, the findings table (capped) and the pictures, never the whole dataset.
An upload is copied under the toolft home first (:func:`toolft.ui.common.store_upload`)
and only the copy is read; the converted canonical rows and the train/eval split
are written beside the copy. The visitor's data choice ``{"train_file",
"sample_rows"}`` is what the Recipe tab copies into ``data.*``.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from toolft.data.files import DataFileError, write_jsonl
from toolft.data.records import CATEGORIES, LoadResult, check_rows, load_records, row_category, split_records
from toolft.data.stats import summarize
from toolft.ui.common import md_literal as _md
from toolft.ui.common import drop_gradio_copy, served_copy, store_upload, whole_number

PAGE_ROWS = 25
PREVIEW_HEADERS = ["line", "kind", "user message", "first assistant answer / tool calls", "tools"]
FINDING_HEADERS = ["severity", "line", "id", "field", "message"]
COVERAGE_HEADERS = ["tool", "parameter", "calls giving it", "share of the tool's calls"]
_CELL_CHARS = 160  # keep preview cells to a couple of lines
# per file; Gradio enforces it at upload (app.py) and the handlers again. A free Space has 50 GB of
# disk shared by every visitor, and each upload is kept three times (Gradio's copy, ours, converted).
MAX_UPLOAD_MB = float(os.environ.get("TOOLFT_MAX_UPLOAD_MB", "50"))
MAX_ROWS = int(os.environ.get("TOOLFT_MAX_ROWS", "100000"))  # rows one uploaded or Hub dataset may have
MIN_SAMPLE_ROWS, MAX_SAMPLE_ROWS = 10, 5000  # the sample slider's range; a direct API call is held to it too

# Tokenizers by model name, shared by every visitor (read-only after loading; the lock
# only guards the first load). A tokenizer is small, and loading one takes seconds.
_TOKENIZERS: dict = {}
_TOKENIZER_LOCK = threading.Lock()


@dataclass
class DataView:
    """One visitor's loaded dataset, as the tab shows it."""

    source: str
    result: LoadResult
    summary: dict
    choice: dict
    model: str
    max_length: int
    assistant_only_loss: bool = True
    token_note: str = ""
    split: dict = field(default_factory=dict)
    converted: str | None = None


# ------------------------------------------------------------------ loading
def _tokenizer(model: str):
    with _TOKENIZER_LOCK:
        if model not in _TOKENIZERS:
            from toolft.modeling import load_tokenizer

            _TOKENIZERS[model] = load_tokenizer(model)
        return _TOKENIZERS[model]


def _recipe_settings(recipe: dict | None) -> tuple[str, int, bool, float, int]:
    """``(model, max_length, assistant_only_loss, eval_fraction, split_seed)`` of the visitor's recipe."""
    from toolft.recipe import Recipe

    r = (recipe or {})
    default = Recipe()
    model = (r.get("model") or {}).get("name_or_path") or default.model.name_or_path
    training = r.get("training") or {}
    data = r.get("data") or {}
    return (model, int(training.get("max_length") or default.training.max_length),
            bool(training.get("assistant_only_loss", default.training.assistant_only_loss)),
            float(data.get("eval_fraction", default.data.eval_fraction) or 0),
            int(data.get("split_seed") or 0))


def build_view(result: LoadResult, source: str, choice: dict, recipe: dict | None) -> DataView:
    """Lint lengths with the recipe's model (tokenizer only), summarise, and split by row kind."""
    from toolft.data.render import TemplateError
    from toolft.data.stats import length_lint

    model, max_length, aol, eval_fraction, seed = _recipe_settings(recipe)
    lengths, note = None, ""
    try:
        lengths = length_lint(result, _tokenizer(model), max_length, model, aol)
    except TemplateError as exc:
        note = f"**Chat template problem:** {exc}"
    except (OSError, ValueError) as exc:
        note = (f"Token lengths need the tokenizer of `{model}`, which cannot be loaded here "
                f"({str(exc).splitlines()[0][:160]}).")
    train, evals = split_records(result.records, eval_fraction, seed, key=row_category)
    split = {"seed": seed, "eval_fraction": eval_fraction, "train": len(train), "eval": len(evals),
             "eval_kinds": {k: n for k in CATEGORIES if (n := sum(row_category(r) == k for r in evals))}}
    return DataView(source=source, result=result, summary=summarize(result, lengths, max_length), choice=choice,
                    model=model, max_length=max_length, assistant_only_loss=aol, token_note=note, split=split)


def _save_beside(view: DataView, copy: Path) -> None:
    """Write the canonical rows and the split next to the upload copy (never over it)."""
    converted = copy.with_name(copy.stem + ".canonical.jsonl")
    write_jsonl(view.result.records, converted)
    (copy.parent / "split.json").write_text(json.dumps(view.split, indent=2))
    view.converted = str(converted)


def use_upload(path: str | None, current: dict | None, recipe: dict | None = None):
    """Check an uploaded file: the tab's outputs (see :func:`outputs`) with the new data choice.

    The file is copied first and only the copy is read. A file that cannot be used at
    all (too big, wrong type, unreadable, no valid row) leaves the data choice at
    ``current`` and says why.
    """
    if not path:
        return outputs(None, "Upload a .jsonl, .json, .parquet or .csv file." + _still(current), current)
    size_mb = Path(path).stat().st_size / 2**20
    if size_mb > MAX_UPLOAD_MB:
        drop_gradio_copy(path)
        return outputs(None, f"**Cannot use this file:** {size_mb:.0f} MB is over the {MAX_UPLOAD_MB:g} MB "
                             "upload limit (TOOLFT_MAX_UPLOAD_MB)." + _still(current), current)
    try:
        copy = store_upload(path)
        drop_gradio_copy(path)
    except OSError as exc:
        return outputs(None, f"**Cannot read the upload:** {exc.strerror or exc}" + _still(current), current)
    shown = Path(path).name  # the name the visitor knows (the copy's is made safe for the disk)
    try:
        result = load_records(copy)
    except DataFileError as exc:
        shutil.rmtree(copy.parent, ignore_errors=True)  # nothing of a refused upload is kept
        message = _md(str(exc).replace(str(copy), shown))
        return outputs(None, f"**Cannot use this file:** {message}" + _still(current), current)
    if result.total > MAX_ROWS:
        shutil.rmtree(copy.parent, ignore_errors=True)
        return outputs(None, f"**Cannot use this file:** {result.total:,} rows is over the {MAX_ROWS:,}-row limit "
                             "of this app (TOOLFT_MAX_ROWS)." + _still(current), current)
    if not result.records:
        shutil.rmtree(copy.parent, ignore_errors=True)
        view = build_view(result, shown, current or {"train_file": "sample", "sample_rows": None}, recipe)
        return outputs(view, "**No valid row: fix the errors below and upload again.**" + _still(current), current)
    choice = {"train_file": str(copy), "sample_rows": None}
    view = build_view(result, shown, choice, recipe)
    _save_beside(view, copy)
    return outputs(view, "", choice)


def _still(choice: dict | None) -> str:
    """Which data the recipe keeps training on after a dataset was refused."""
    if not choice or choice.get("train_file") in (None, "sample"):
        rows = (choice or {}).get("sample_rows")
        return f"\n\nThe recipe still trains on the bundled sample{f' ({rows} rows)' if rows else ''}."
    return f"\n\nThe recipe still trains on `{Path(choice['train_file']).name}`."


def use_hub(repo_id: str | None, split: str | None, limit: int | float | None, current: dict | None,
            recipe: dict | None = None, token: str | bool | None = None):
    """Load ``limit`` rows of one split of a Hub dataset (needs network access), like an upload.

    ``token``: the Hub token to read with (``toolft.access.hub_read_token``: on a Space the
    visitor's own login or none, never the Space's secret).

    The valid rows are written as canonical JSONL under the toolft home (the run trains on
    that file, not on a new download); a dataset that cannot be fetched or used leaves the
    data choice at ``current`` and says why.
    """
    import uuid

    from toolft.uploads import uploads_dir

    repo_id = (repo_id or "").strip()
    split = (split or "train").strip()
    limit = max(1, whole_number(limit)) if whole_number(limit) else None  # none, NaN or infinity: no limit
    if not repo_id:
        return outputs(None, "Type a Hub dataset id such as `owner/name`." + _still(current), current)
    max_bytes = int(MAX_UPLOAD_MB * 2**20)
    try:
        result = load_records(repo_id, split=split, limit=limit, max_bytes=max_bytes, hub_only=True, token=token)
    except DataFileError as exc:
        return outputs(None, f"**Cannot use this dataset:** {_md(str(exc))}" + _still(current), current)
    target = uploads_dir() / uuid.uuid4().hex / f"{repo_id.replace('/', '__')}-{split}.jsonl"
    choice = current
    view = build_view(result, f"{repo_id} ({split}{f', first {limit} rows' if limit else ''})",
                      current or {"train_file": "sample", "sample_rows": None}, recipe)
    if result.records:
        write_jsonl(result.records, target)
        choice = {"train_file": str(target), "sample_rows": None}
        view.choice = choice
        view.converted = str(target)
    note = "" if result.records else "**No valid row in this split.**" + _still(current)
    return outputs(view, note, choice)


def use_sample(rows: int | None, recipe: dict | None = None):
    """Generate the bundled sample (``rows`` rows, seeded by the recipe's split seed) and check it."""
    from toolft.data.sample import generate_sample

    rows = min(max(whole_number(rows) or default_sample_rows(), MIN_SAMPLE_ROWS), MAX_SAMPLE_ROWS)
    seed = _recipe_settings(recipe)[4]
    data = (recipe or {}).get("data") or {}
    share, no_call = _share(data, "invented_share"), _share(data, "no_call_share")
    records = generate_sample(rows, seed=seed, invented_share=share, no_call_share=no_call)
    result = check_rows((line, record, None) for line, record in enumerate(records, start=1))
    choice = {"train_file": "sample", "sample_rows": rows}
    invented = f", {share:.0%} with invented values" if share else ""
    return outputs(build_view(result, f"Bundled sample data ({rows} rows, seed {seed}{invented}, "
                                      f"{no_call:.0%} without a call)", choice, recipe), "", choice)


def _default_data():
    from toolft.recipe import default_preset_name, load_recipe

    return load_recipe(default_preset_name()).data


def _share(data: dict, key: str) -> float:
    """The recipe's ``data.<key>``, read and checked by the recipe's own rules (``recipe_from_dict``, ``validate``);
    the default preset's when it is missing or invalid (a form mid-edit; the Recipe tab says what is wrong)."""
    from toolft.recipe import RecipeError, recipe_from_dict

    if key in data:
        try:
            recipe = recipe_from_dict({"data": {key: data[key]}})
        except RecipeError:
            pass
        else:
            if not recipe.validate():
                return getattr(recipe.data, key)
    return getattr(_default_data(), key)


def default_sample_rows() -> int:
    """The default recipe's sample size, so "Use bundled sample data" trains what the README measured."""
    return _default_data().sample_rows


# ------------------------------------------------------------------ views
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


def preview_page(view: DataView | None, page: int | float | None) -> tuple[list[list], str]:
    """One page of valid rows (line, kind, user message, answer, tool count) and a "rows a–b of n" label."""
    if view is None or not view.result.records:
        return [], "no rows"
    n = len(view.result.records)
    pages = max(1, -(-n // PAGE_ROWS))
    page = min(max(whole_number(page) or 1, 1), pages)
    start = (page - 1) * PAGE_ROWS
    rows = []
    for line, record in zip(view.result.lines[start:start + PAGE_ROWS], view.result.records[start:start + PAGE_ROWS]):
        user = next((m.get("content") or "" for m in record["messages"] if m["role"] == "user"), "")
        rows.append([line, row_category(record), _short(user), _short(_first_answer(record)),
                     len(record.get("tools") or [])])
    return rows, f"Page {page} of {pages}: valid rows {start + 1}–{start + len(rows)} of {n}"


def finding_rows(summary: dict) -> list[list]:
    """Errors then warnings, one table row each: severity, line, id, field, message."""
    return [[f["severity"], f["line"], f["id"] or "", f["field"] or "(row)", f["message"]]
            for f in summary["errors"] + summary["warnings"]]


def coverage_rows(summary: dict) -> list[list]:
    """Every declared parameter of every tool, with how many of the tool's calls give it."""
    rows = []
    for tool, params in summary["argument_coverage"].items():
        calls = summary["tools"].get(tool, 0)
        for param, n in params.items():
            rows.append([tool, param, n, f"{n / calls:.0%}" if calls else "no calls"])
    return rows


def _n(count: int, noun: str) -> str:
    """``**2** rows``, ``**1** row``."""
    return f"**{count}** {noun}{'' if count == 1 else 's'}"


def summary_markdown(view: DataView) -> str:
    """Format, counts, row kinds, split and token lengths, as markdown."""
    s = view.summary
    kinds = " · ".join(f"{name.replace('_', ' ')} **{count}**" for name, count in s["categories"].items())
    fmt = s["format"] or "none recognised"
    if len(s["formats"]) > 1:
        fmt += " (" + ", ".join(f"{k} {v}" for k, v in s["formats"].items()) + ")"
    lines = [f"### {_md(view.source)}",
             f"Format: **{fmt}** · {_n(s['rows'], 'row')}: **{s['valid']}** valid, **{s['invalid']}** invalid, "
             f"{_n(len(view.result.warnings), 'warning')}, {_n(s['duplicates'], 'duplicate')}",
             f"Row kinds: {kinds}",
             f"Split (seed {view.split['seed']}, stratified by kind): **{view.split['train']}** train, "
             f"**{view.split['eval']}** held out"]
    tokens = s.get("tokens")
    if tokens and s["valid"]:
        lines.append(f"Tokens ({_md(view.model)}, as the recipe stood when this data was loaded: load it again after "
                     f"changing the model or max_length): min {tokens['min']}, median {tokens['median']}, max "
                     f"{tokens['max']}; **{tokens['over_max_length']}** over max_length {view.max_length}")
    if view.token_note:
        lines.append(view.token_note)
    if s["invalid"]:
        lines.append("Rows with errors are listed below and are left out of training; warnings keep their row.")
    cut = [f"the first {len(s[k])} {k}" for k in ("errors", "warnings") if s[f"{k}_truncated"]]
    if cut:
        lines.append(f"(only {' and '.join(cut)} are listed)")
    return "\n\n".join(lines)


def figures(view: DataView | None):
    """Plotly figures: token-length histogram with the max_length line, row kinds, calls per tool."""
    import plotly.graph_objects as go

    if view is None:
        return None, None, None
    s = view.summary
    lengths = None
    tokens = s.get("tokens")
    if tokens and tokens["histogram"]:
        bins = tokens["histogram"]
        lengths = go.Figure(go.Bar(x=[(b["from"] + b["to"]) / 2 for b in bins], y=[b["rows"] for b in bins],
                                   width=[b["to"] - b["from"] + 1 for b in bins], name="rows"))
        low, high = bins[0]["from"], bins[-1]["to"]
        pad = max(5, (high - low) // 10)
        cut_note = f"max_length {view.max_length}: {tokens['over_max_length']} rows cut"
        if view.max_length <= high + 2 * (high - low + pad):  # near enough to draw on the same axis
            lengths.add_vline(x=view.max_length, line_dash="dash", line_color="crimson", annotation_text=cut_note)
            low, high = min(low, view.max_length), max(high, view.max_length)  # in view even below every row
        else:  # far beyond the longest row: a line there would squeeze the bars to slivers
            lengths.add_annotation(text=f"{cut_note} (beyond the longest row)", xref="paper", yref="paper",
                                   x=1, y=1.1, showarrow=False)
        lengths.update_layout(title="Tokens per row", xaxis_title="tokens", yaxis_title="rows", height=300,
                              xaxis_range=[low - pad, high + pad], margin=dict(t=40, b=40, l=40, r=20))
    kinds = go.Figure(go.Bar(x=[k.replace("_", " ") for k in s["categories"]], y=list(s["categories"].values())))
    kinds.update_layout(title="Row kinds", height=300, margin=dict(t=40, b=40, l=40, r=20))
    names = list(s["tools"])
    tools = go.Figure(go.Bar(y=names[::-1], x=[s["tools"][n] for n in names][::-1], orientation="h"))
    tools.update_layout(title=f"Calls per tool (all {len(names)})", height=max(300, 22 * len(names) + 80),
                        margin=dict(t=40, b=40, l=140, r=20))
    return lengths, kinds, tools


def outputs(view: DataView | None, note: str, choice: dict | None):
    """All the tab's outputs for a view: summary, findings, preview, page label, figures, coverage,
    the converted file, the first row to inspect, the view and the data choice."""
    if view is None:
        return (note, [], [], "no rows", None, None, None, [], None, None, None, choice)
    rows, label = preview_page(view, 1)
    lengths, kinds, tools = figures(view)
    first = view.result.lines[0] if view.result.lines else None
    text = summary_markdown(view) + (f"\n\n{note}" if note else "")
    return (text, finding_rows(view.summary), rows, label, lengths, kinds, tools, coverage_rows(view.summary),
            served_copy(view.converted), first, view, choice)


# ------------------------------------------------------------------ inspector
def inspect(view: DataView | None, line: int | float | None) -> tuple[str, str]:
    """``(html, counts markdown)`` of one row rendered as the trainer tokenizes it, trained tokens marked."""
    from toolft.data.render import TemplateError, inspect_row

    if view is None or not view.result.records:
        return "", "Load a dataset first."
    line = whole_number(line)
    if line is None:
        return "", "Type the line of a row (a whole number)."
    if line not in view.result.lines:
        errors = [f"- {_md(str(f))}" for f in view.result.errors if f.line == line]
        detail = ("This row has errors and is left out of training:\n" + "\n".join(errors)) if errors else (
            f"No valid row at line {line}; the nearest valid lines are "
            f"{', '.join(str(n) for n in sorted(view.result.lines, key=lambda n: (abs(n - line), n))[:3])}.")
        return "", detail
    record = view.result.records[view.result.lines.index(line)]
    try:
        result = inspect_row(_tokenizer(view.model), record, model_name=view.model,
                             max_length=view.max_length, assistant_only_loss=view.assistant_only_loss)
    except (TemplateError, OSError, ValueError) as exc:
        return "", f"**Cannot render with {view.model}:** {exc}"
    parts = [f'<mark class="trained">{html.escape(text)}</mark>' if trained else html.escape(text)
             for text, trained in result.segments]
    body = f'<pre class="toolft-inspect" style="white-space: pre-wrap">{"".join(parts)}</pre>'
    share = result.trained_tokens / result.total_tokens if result.total_tokens else 0
    counts = [f"**{result.total_tokens}** tokens with {view.model}'s chat template; **{result.trained_tokens}** "
              f"trained ({share:.0%}, highlighted)" + (f"; {result.truncated_tokens} cut at max_length "
                                                      f"{view.max_length}" if result.truncated_tokens else ""),
              ("Round trip: **ok** (the gold calls parse back out of the rendering)"
               if any(m.get("tool_calls") for m in record.get("messages", []))
               else "Round trip: **ok** (no calls here: the answers read back as plain text)")
              if result.roundtrip_ok else "Round trip: **failed**"]
    counts += [f"- {p}" for p in result.problems]
    return body, "\n\n".join(counts)


# ------------------------------------------------------------------ layout
class LatestLoad:
    """Which load each visitor started last, so an older, slower one cannot overwrite a newer choice.

    Shared by all visitors (keyed by Gradio's session hash); the lock is held for a dict update only.
    """

    def __init__(self, keep: int = 10_000):
        self._tokens: dict[str, int] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._keep = keep

    def begin(self, session: str | None) -> int:
        with self._lock:
            self._next += 1
            if len(self._tokens) >= self._keep:  # forget the oldest sessions
                for key in list(self._tokens)[: self._keep // 2]:
                    del self._tokens[key]
            self._tokens[session or ""] = self._next
            return self._next

    def is_latest(self, session: str | None, token: int) -> bool:
        with self._lock:
            return self._tokens.get(session or "") == token


LATEST_LOAD = LatestLoad()



def restore_view(choice: dict | None, recipe: dict | None):
    """The tab's outputs (see :func:`outputs`) for a data choice brought back after a page reload: the
    bundled sample regenerated, or the visitor's upload copy checked again where it lies (not copied).
    ``None`` when there is no choice; a file that can no longer be read gives a message and the
    data choice ``None`` (the recipe falls back to the sample)."""
    if not choice:
        return None
    if choice.get("train_file") == "sample":
        return use_sample(choice.get("sample_rows"), recipe)
    source = Path(choice["train_file"])
    try:
        result = load_records(source)
    except DataFileError as exc:
        return outputs(None, f"**Your earlier dataset cannot be read any more:** {_md(str(exc))}", None)
    name = source.name.removesuffix(".canonical.jsonl")
    view = build_view(result, name, choice, recipe)
    return outputs(view, f"Restored `{name}`, the dataset you chose before the page was reloaded.", choice)


def build_data_tab(data_state, recipe_state, restored_parts):
    """Lay out the Data tab; its handlers set ``data_state`` (the visitor's data choice).

    Returns ``(restore, inputs, outputs)``: the handler that shows the view of a data choice the
    app restored from the visitor's browser (``toolft.ui.build_app`` chains it after page load).
    """
    import gradio as gr

    gr.Markdown("Upload tool-calling conversations in any common format (OpenAI/TRL messages with a `tools` "
                "column, ShareGPT/Hermes, xLAM, Glaive, ToolACE, MCP) as .jsonl, .json, .parquet or .csv, or start "
                "from toolft's bundled synthetic conversations. Every row is converted, checked against its tools' "
                "JSON Schemas and rendered with your model's chat template before a GPU minute is spent.")
    view_state = gr.State(None)
    with gr.Row():
        with gr.Column():
            upload = gr.File(label="Upload a dataset", file_types=[".jsonl", ".json", ".parquet", ".csv"],
                             type="filepath")
        with gr.Column():
            rows = gr.Slider(MIN_SAMPLE_ROWS, MAX_SAMPLE_ROWS, value=default_sample_rows(), step=10, label="Sample rows",
                             info="How many synthetic conversations to generate.")
            sample_btn = gr.Button("Use bundled sample data", variant="primary")
    with gr.Accordion("Or load a Hugging Face Hub dataset (needs network access)", open=False):
        with gr.Row():
            hub_id = gr.Textbox(label="Dataset id", placeholder="owner/name", scale=3)
            hub_split = gr.Textbox(label="Split", value="train", scale=1)
            hub_limit = gr.Number(label="Rows (at most)", value=2000, precision=0, scale=1)
            hub_btn = gr.Button("Load from the Hub", scale=1)
    summary = gr.Markdown("No dataset chosen yet: the recipe uses the bundled sample by default.",
                          elem_id="data-summary")
    findings = gr.Dataframe(headers=FINDING_HEADERS, value=[], label="Findings (errors leave the row out; "
                            "warnings keep it)", interactive=False, wrap=True, max_height=320,
                            column_widths=["9%", "7%", "9%", "25%", "50%"], elem_id="data-findings")
    with gr.Row():
        prev_btn = gr.Button("◀ Previous", size="sm")
        page = gr.Number(value=1, precision=0, label="Page", scale=0, min_width=90)  # the handler clamps it
        next_btn = gr.Button("Next ▶", size="sm")
        page_label = gr.Markdown("no rows")
    preview = gr.Dataframe(headers=PREVIEW_HEADERS, value=[], label="Preview", interactive=False, wrap=True,
                           column_widths=["6%", "11%", "37%", "38%", "8%"], elem_id="data-preview")
    with gr.Row():
        lengths_plot = gr.Plot(label="Token lengths")
        kinds_plot = gr.Plot(label="Row kinds")
    tools_plot = gr.Plot(label="Calls per tool")
    coverage = gr.Dataframe(headers=COVERAGE_HEADERS, value=[], label="Argument coverage", interactive=False,
                            max_height=300)
    converted = gr.File(label="Converted rows (canonical JSONL)", interactive=False)
    gr.Markdown("### Inspector: what the model trains on\nThe row rendered with the recipe's model and chat "
                "template exactly as the trainer tokenizes it; highlighted text carries loss.")
    with gr.Row():
        row_line = gr.Number(value=None, label="Row (its line in the file)", scale=0, min_width=160)
        inspect_btn = gr.Button("Inspect row", scale=0)
    inspect_counts = gr.Markdown(elem_id="inspect-counts")
    inspect_html = gr.HTML(elem_id="inspect-text")

    outs = [summary, findings, preview, page_label, lengths_plot, kinds_plot, tools_plot, coverage, converted,
            row_line, view_state, data_state]

    def guarded(request: gr.Request, run, clear_upload: bool):
        """Run a load; its result is dropped when the visitor started a newer load meanwhile."""
        from toolft.uploads import OWNERS

        token = LATEST_LOAD.begin(request.session_hash)
        out = run()
        choice = out[-1]
        if choice and choice.get("train_file") != "sample" and "key" not in choice:  # a new upload or Hub split:
            choice["key"] = OWNERS.claim(choice["train_file"], request.session_hash)  # this session's, by its key
        if not LATEST_LOAD.is_latest(request.session_hash, token):
            return tuple(gr.skip() for _ in range(len(outs) + 2))  # a slower, older load: keep the newer one
        return (*out, 1, None if clear_upload else gr.skip())

    def on_upload(path, current, recipe, request: gr.Request):
        return guarded(request, lambda: use_upload(path, current, recipe), clear_upload=False)

    def on_sample(n, recipe, request: gr.Request):
        return guarded(request, lambda: use_sample(n, recipe), clear_upload=True)

    def on_hub(repo_id, split, limit, current, recipe, request: gr.Request):
        from toolft.access import hub_read_token

        token = hub_read_token(request)
        return guarded(request, lambda: use_hub(repo_id, split, limit, current, recipe, token), clear_upload=True)

    for handler in (on_upload, on_sample, on_hub):  # this module's annotations are strings (PEP 563):
        handler.__annotations__["request"] = gr.Request  # give Gradio the class, so it passes the request
    load_outs = outs + [page, upload]
    upload.upload(on_upload, inputs=[upload, data_state, recipe_state], outputs=load_outs)
    sample_btn.click(on_sample, inputs=[rows, recipe_state], outputs=load_outs)
    hub_btn.click(on_hub, inputs=[hub_id, hub_split, hub_limit, data_state, recipe_state], outputs=load_outs)

    def go(view, number, step):
        target = (whole_number(number) or 1) + step
        rows_, label = preview_page(view, target)
        pages = max(1, -(-len(view.result.records) // PAGE_ROWS)) if view else 1
        return rows_, label, min(max(target, 1), pages)

    page.submit(lambda v, n: go(v, n, 0), inputs=[view_state, page], outputs=[preview, page_label, page])
    prev_btn.click(lambda v, n: go(v, n, -1), inputs=[view_state, page], outputs=[preview, page_label, page])
    next_btn.click(lambda v, n: go(v, n, 1), inputs=[view_state, page], outputs=[preview, page_label, page])
    inspect_btn.click(inspect, inputs=[view_state, row_line], outputs=[inspect_html, inspect_counts])
    row_line.submit(inspect, inputs=[view_state, row_line], outputs=[inspect_html, inspect_counts])

    def on_restore(parts, choice, recipe, request: gr.Request):
        skip = tuple(gr.skip() for _ in range(len(outs) + 1))
        if not (parts or {}).get("data"):
            return skip
        token = LATEST_LOAD.begin(request.session_hash)
        out = restore_view(choice, recipe)
        if out is None or not LATEST_LOAD.is_latest(request.session_hash, token):
            return skip  # the visitor loaded another dataset meanwhile: theirs stays
        # data_state is already the restored choice, unless the file could not be read any more
        return (*out[:-1], out[-1] if out[-1] != choice else gr.skip(), 1)

    on_restore.__annotations__["request"] = gr.Request
    return on_restore, [restored_parts, data_state, recipe_state], outs + [page]
