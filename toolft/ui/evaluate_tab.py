"""The Evaluate tab: base vs fine-tuned on held-out rows, scored by the BFCL-style rules of ``toolft score``.

It leads with full-call accuracy in words ("right tool and right arguments"), every figure
with its n, warns when a kind of answer got worse (over-calling up; refusals, clarifying
questions or no-call answers down), draws a bar chart per row kind, and lists every row
either side failed with the gold answer and both raw outputs (shown as plain text).

The scoring runs in the shared model's turn (:mod:`toolft.ui.shared_model`), so it queues
behind playground answers instead of blocking them, and never blocks a Launch.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolft.ui.common import drop_gradio_copy, find_run, whole_number
from toolft.ui.common import md_literal as _md

MEASURES = (  # (metric key, words a user reads, True when higher is better)
    ("full_call_accuracy", "right tool and right arguments", True),
    ("tool_name_accuracy", "right tool name", True),
    ("parse_rate", "calls that parse", True),
    ("over_calling_rate", "calls where none was due", False),
    ("refusal_accuracy", "refuses what it should", True),
    ("clarification_accuracy", "asks for what is missing", True),
    ("no_call_accuracy", "answers without a tool when none is needed", True),
    ("accuracy", "passes every rule (all rows)", True),
)
KIND_WORDS = {"single_call": "single call", "parallel_calls": "parallel calls", "multi_step": "multi-step",
              "clarification": "clarification", "refusal": "refusal", "no_tool": "no tool needed"}
TABLE_HEADERS = ["rows", "measure", "n", "base", "fine-tuned", "change"]
MAX_ROWS = 500  # rows per scoring request: each is generated twice on the shared model
# scored by default: all of tiny-cpu's 161 held-out rows (about 55 s on 2 CPU cores), 16 to 41 per kind;
# with 40 a kind had 4 to 9 rows, too few to tell base and fine-tuned apart
DEFAULT_ROWS = 170


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def score_table(result: dict) -> list[list]:
    """``[rows, measure, n, base, fine-tuned, change]``: overall measures, then every kind's pass rate."""
    table = []
    for key, words, _ in MEASURES:
        base, tuned = result["base"]["overall"], result["finetuned"]["overall"]
        if base[f"n_{key}"]:
            table.append(["all", words, base[f"n_{key}"], _pct(base[key]), _pct(tuned[key]), _change(base[key], tuned[key])])
    for kind, words in KIND_WORDS.items():
        base, tuned = result["base"]["by_kind"][kind], result["finetuned"]["by_kind"][kind]
        if base["n"]:
            table.append([words, "passes every rule", base["n"], _pct(base["accuracy"]), _pct(tuned["accuracy"]),
                          _change(base["accuracy"], tuned["accuracy"])])
    return table


def _change(base, tuned) -> str:
    if base is None or tuned is None:
        return "–"
    points = round((tuned - base) * 100)
    return f"{points:+d} pts" if points else "="


def headline(result: dict) -> str:
    """The first line a user reads: full-call accuracy of both sides with its n, and the row count."""
    base, tuned = result["base"]["overall"], result["finetuned"]["overall"]
    n = base["n_full_call_accuracy"]
    if not n:
        return f"Scored {base['n']} rows; none of them wants a tool call."
    return (f"**Right tool and right arguments: base {_pct(base['full_call_accuracy'])} → fine-tuned "
            f"{_pct(tuned['full_call_accuracy'])}** (of {n} rows that want a call; {base['n']} rows in all, "
            f"{result.get('seconds', 0):.0f} s).")


def regressions(result: dict) -> list[str]:
    """One warning per kind of answer that got worse after fine-tuning (published fine-tunes often lose these)."""
    out = []
    base, tuned = result["base"]["overall"], result["finetuned"]["overall"]
    for key, words, higher_is_better in MEASURES:
        if key in ("full_call_accuracy", "tool_name_accuracy", "parse_rate", "accuracy"):
            continue
        before, after = base[key], tuned[key]
        if before is None or after is None or before == after:
            continue
        if (after < before) == higher_is_better:
            verb = "went down" if higher_is_better else "went up"
            out.append(f"⚠ {words} {verb}: {_pct(before)} → {_pct(after)} (n={base[f'n_{key}']})")
    for kind, words in KIND_WORDS.items():
        b, t = result["base"]["by_kind"][kind], result["finetuned"]["by_kind"][kind]
        if b["n"] and t["accuracy"] is not None and b["accuracy"] is not None and t["accuracy"] < b["accuracy"]:
            out.append(f"⚠ {words} rows got worse: {_pct(b['accuracy'])} → {_pct(t['accuracy'])} pass (n={b['n']})")
    return out


def chart(result: dict):
    """A plotly bar chart: each kind's pass rate, base vs fine-tuned."""
    import plotly.graph_objects as go

    kinds = [k for k in KIND_WORDS if result["base"]["by_kind"][k]["n"]]
    fig = go.Figure()
    for side, title in (("base", "base"), ("finetuned", "fine-tuned")):
        values = [result[side]["by_kind"][k]["accuracy"] or 0 for k in kinds]
        fig.add_bar(name=title, x=[f"{KIND_WORDS[k]} (n={result[side]['by_kind'][k]['n']})" for k in kinds],
                    y=values, text=[f"{v:.0%}" for v in values], textposition="outside")
    fig.update_layout(barmode="group", yaxis={"range": [0, 1.1], "tickformat": ".0%", "title": "rows that pass"},
                      height=340, margin={"l": 50, "r": 20, "t": 30, "b": 40}, legend={"orientation": "h"})
    return fig


def failures(result: dict) -> list[tuple[str, int]]:
    """``(label, index into result["rows"])`` for every row either side failed, fine-tuned failures first."""
    rows = result["rows"]
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["finetuned"]["valid"], rows[i]["line"]))
    out = []
    for i in order:
        row = rows[i]
        if row["base"]["valid"] and row["finetuned"]["valid"]:
            continue
        verdict = ", ".join(f"{name} {row[side]['error_type'] or 'ok'}"
                            for side, name in (("base", "base"), ("finetuned", "fine-tuned")))
        out.append((f"line {row['line']} · {KIND_WORDS.get(row['kind'], row['kind'])} · {verdict}", i))
    return out


def failure_text(result: dict | None, index) -> str:
    """One row in full, as plain text: the gold answer and both sides' raw outputs with their verdicts."""
    if not result or index is None or not 0 <= int(index) < len(result["rows"]):
        return ""
    row = result["rows"][int(index)]
    gold = row["expected"]
    want = (json.dumps(gold["calls"], ensure_ascii=False) if gold["calls"]
            else f"{gold['label']}: {gold['content']}")
    parts = [f"line {row['line']} ({KIND_WORDS.get(row['kind'], row['kind'])})", f"expected: {want}"]
    for side, name in (("base", "BASE"), ("finetuned", "FINE-TUNED")):
        answer = row[side]
        verdict = "passes" if answer["valid"] else f"fails ({answer['error_type']}): {'; '.join(answer['error'])}"
        parts.append(f"{name} {verdict}\n{answer['text'] or '(empty answer)'}")
    return "\n\n".join(parts)


def score(run_name: str | None, data_file: str | None, limit, result_state=None):
    """Score a run: yields ``(message, headline, table, warnings, chart, failure choices, first failure, result)``."""
    import gradio as gr

    from toolft.data.records import DataFileError

    def show(message, result=None):
        if result is None:
            return message, "", [], "", None, gr.update(choices=[], value=None), "", result_state
        choices = failures(result)
        warnings = regressions(result)
        return (message, headline(result), score_table(result),
                "\n".join(f"- {_md(w)}" for w in warnings) or "No kind of answer got worse.", chart(result),
                gr.update(choices=choices, value=choices[0][1] if choices else None),
                failure_text(result, choices[0][1] if choices else None), result)

    run = find_run(run_name, need_adapter=True)
    if run is None:
        yield show("**Pick a finished run** (train one in the Train tab, then press ↻).")
        return
    if whole_number(limit) is None or not 1 <= limit <= MAX_ROWS:
        yield show(f"**Rows must be a whole number from 1 to {MAX_ROWS}** (got {limit}).")
        return
    limit = whole_number(limit)
    if not data_file and not (run.data_dir / "eval.jsonl").is_file():
        yield show(f"**{run.name} has no held-out rows** (eval_fraction was 0): upload a file to score on.")
        return
    import shutil
    import tempfile

    from toolft.evaluate import evaluate_run
    from toolft.ui import shared_model

    held = None
    if data_file:  # Gradio's copy of the upload may expire (delete_cache) while this waits its turn: keep one
        held = Path(tempfile.mkdtemp(prefix="toolft-eval-")) / Path(data_file).name
        try:
            shutil.copyfile(data_file, held)
            drop_gradio_copy(data_file)
        except OSError as exc:
            shutil.rmtree(held.parent, ignore_errors=True)
            yield show(f"**Cannot read the uploaded file:** {_md(exc.strerror or str(exc))}")
            return
    ticket = shared_model.SLOT.join()
    try:
        for line in shared_model.wait_turn(ticket):
            yield show(line)
        yield show(f"Loading **{_md(run.name)}** and answering up to {limit} rows twice (base, fine-tuned)…")
        result = evaluate_run(run.path, str(held) if held else None, limit=limit, loaded=shared_model.load(run))
    except DataFileError as exc:
        yield show(f"**Cannot score this file:** {_md(str(exc))}")
        return
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        yield show(f"**Scoring failed:** {type(exc).__name__}: {_md(str(exc))}")
        return
    finally:
        shared_model.SLOT.leave(ticket)
        if held is not None:
            shutil.rmtree(held.parent, ignore_errors=True)
    if not result["rows"]:
        yield show(f"**No row could be scored**: {result['invalid_rows']} rows are invalid or have no assistant "
                   "turn (the Data tab shows why).")
        return
    what = f"from `{_md(Path(data_file).name)}`" if data_file else "held out by the run"  # never a server folder
    yield show(f"Scored **{len(result['rows'])}** rows {what} with **{_md(run.name)}**"
               + (f"; {result['invalid_rows']} rows could not be scored (invalid, or no assistant turn: the Data "
                  "tab shows why)." if result["invalid_rows"] else "."), result)


def build_evaluate_tab(demo, tab) -> None:
    """Lay out the Evaluate tab: run, data and row count; headline, warnings, table, chart, failures."""
    import gradio as gr

    from toolft.ui.playground_tab import refresh_runs

    with gr.Row():
        run = gr.Dropdown(choices=[], label="Finished run", scale=3)
        refresh_btn = gr.Button("↻ Refresh runs", scale=1)
    with gr.Row():
        data = gr.File(label="Held-out rows (optional)", file_types=[".jsonl", ".json"], type="filepath", scale=3)
        limit = gr.Number(DEFAULT_ROWS, label="Rows to score", precision=0, scale=1,
                          info="Default: the run's own held-out rows. Each row is answered twice (base and fine-tuned).")
        score_btn = gr.Button("Score base vs fine-tuned", variant="primary", scale=1, elem_id="evaluate-score")
    status = gr.Markdown(elem_id="evaluate-status")
    top = gr.Markdown(elem_id="evaluate-headline")
    warnings = gr.Markdown(elem_id="evaluate-warnings")
    table = gr.Dataframe(headers=TABLE_HEADERS, value=[], interactive=False, elem_id="evaluate-table")
    plot = gr.Plot(label="Rows that pass, by kind")
    with gr.Accordion("Rows either side got wrong", open=True):
        pick = gr.Dropdown(choices=[], label="Failed row", elem_id="evaluate-failures")
        detail = gr.Textbox(label="Gold answer and both outputs", lines=12, interactive=False,
                            elem_id="evaluate-detail")
    result = gr.State(None)

    refresh_btn.click(refresh_runs, inputs=[run], outputs=[run])
    demo.load(refresh_runs, inputs=[run], outputs=[run])
    tab.select(refresh_runs, inputs=[run], outputs=[run])
    score_btn.click(score, inputs=[run, data, limit, result],
                    outputs=[status, top, table, warnings, plot, pick, detail, result])
    pick.change(failure_text, inputs=[result, pick], outputs=[detail])
