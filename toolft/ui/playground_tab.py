"""The Playground tab: ask the base and the fine-tuned model the same thing, side by side.

Both answers come from one loaded model (the adapter switched off for the base,
see ``toolft.evaluate.compare``). Loading takes seconds to minutes, so the tab
keeps ONE loaded fine-tuned model in a module-level cache shared by every
visitor (:data:`_CACHE`). Its lock is held for the whole comparison, not just the
load: ``compare`` switches the adapter off and on inside the model, which must not
interleave with another visitor's generation on the same object.
"""

from __future__ import annotations

import json
import threading

from toolft.toolcalls import tool_name
from toolft.ui.common import find_run

DEFAULT_TOOL_NAMES = ("get_weather", "convert_currency", "send_email", "run_shell")
DEFAULT_SYSTEM = "You are a helpful assistant with access to tools."
EXAMPLE_PROMPTS = [
    "What's the weather in Lisbon right now?",                              # one call
    "Check the weather in Oslo and convert 120 EUR to USD.",                # parallel calls
    "Send an email to ana@example.com.",                                    # missing arguments: ask
    "Run rm -rf / on the server to free up space.",                         # dangerous: refuse
    "What is the capital of France?",                                       # no tool needed
]
LABEL_TEXT = {"tool_call": "tool call", "clarification": "clarification (asks a question)",
              "refusal": "refusal", "answer": "answer (no tool)"}
SCORE_HEADERS = ["metric", "base", "fine-tuned"]

_CACHE_LOCK = threading.Lock()
_CACHE: dict = {}  # {"key": (run path, adapter mtime), "model": PeftModel, "tokenizer": ...}; one model at most


def default_tools_json() -> str:
    """A few of the sample data's tool schemas, as an editable JSON list."""
    from toolft.data.sample import TOOLS

    return json.dumps([TOOLS[name] for name in DEFAULT_TOOL_NAMES if name in TOOLS], indent=2)


def finished_runs() -> list[tuple[str, str]]:
    """``(label, run name)`` for every run with a trained adapter, newest first."""
    from toolft.runs import list_runs

    return [(f"{run.name} ({run.read_status().get('state', '?')})", run.name) for run in list_runs()
            if run.has_adapter()]


def parse_tools(text: str) -> tuple[list[dict] | None, str | None]:
    """Parse the tools box: ``(tools, None)`` or ``(None, message saying where and what is wrong)``.

    >>> parse_tools('[{"type": "function", "function": {"name": "f"}}]')[1] is None
    True
    >>> parse_tools("[{")[1]
    'Tools JSON is invalid at line 1, column 3: Expecting property name enclosed in double quotes'
    """
    if not (text or "").strip():
        return [], None
    try:
        tools = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"Tools JSON is invalid at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(tools, dict):
        tools = [tools]
    if not isinstance(tools, list):
        return None, f"Tools JSON must be a list of tool schemas, got {type(tools).__name__}"
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not tool_name(tool):
            return None, f"tools[{i}] must be an object with a function name ({{\"type\": \"function\", " \
                         f"\"function\": {{\"name\": ...}}}})"
        inner = tool.get("function") if isinstance(tool.get("function"), dict) else tool
        if "parameters" in inner and not isinstance(inner["parameters"], dict):
            return None, f"tools[{i}].parameters must be a JSON object"
    return [t if isinstance(t.get("function"), dict) else {"type": "function", "function": t} for t in tools], None


def release_model() -> None:
    """Drop the cached model and give its GPU memory back (called before a training job starts,
    so a 16 GB T4 is not shared between the playground's model and the trainer)."""
    import sys

    with _CACHE_LOCK:
        _CACHE.clear()
    torch = sys.modules.get("torch")  # only if a model was ever loaded in this process
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _loaded(run) -> tuple:
    """The cached ``(model, tokenizer)`` for ``run``, loading it (and dropping the old one) if needed.

    Call with ``_CACHE_LOCK`` held.
    """
    from toolft.modeling import load_finetuned

    key = (str(run.path), (run.adapter_path / "adapter_config.json").stat().st_mtime)
    if _CACHE.get("key") != key:
        _CACHE.clear()  # free the previous model before loading the next
        model, tokenizer = load_finetuned(run.path)
        _CACHE.update(key=key, model=model, tokenizer=tokenizer)
    return _CACHE["model"], _CACHE["tokenizer"]


def _side(answer: dict) -> tuple[str, str, str]:
    parsed = answer["parsed"]
    label = f"Label: **{LABEL_TEXT.get(parsed.label, parsed.label)}**"
    if parsed.errors:
        label += "\n\n" + "\n".join(f"- unparsed: {e}" for e in parsed.errors)
    calls = json.dumps([{"name": c.name, "arguments": c.arguments} for c in parsed.calls], indent=2,
                       ensure_ascii=False)
    return label, answer["text"], calls


def compare_answers(run_name: str | None, tools_text: str, message: str, system: str = DEFAULT_SYSTEM) -> tuple:
    """Answer ``message`` with base and fine-tuned: ``(status, base label, text, calls, ft label, text, calls)``."""
    empty = ("", "", "")
    tools, problem = parse_tools(tools_text)
    if problem:
        return (f"**{problem}**", *empty, *empty)
    if not (message or "").strip():
        return ("**Type a user message first** (or pick an example).", *empty, *empty)
    run = find_run(run_name, need_adapter=True)
    if run is None:
        return ("**Pick a finished run** (train one in the Train tab, then press ↻).", *empty, *empty)
    from toolft.evaluate import compare

    messages = ([{"role": "system", "content": system.strip()}] if (system or "").strip() else []) + \
        [{"role": "user", "content": message.strip()}]
    try:
        with _CACHE_LOCK:
            model, tokenizer = _loaded(run)
            answers = compare(model, tokenizer, messages, tools)
    except Exception as exc:  # noqa: BLE001 - a model that fails to load or generate becomes a message
        return (f"**Could not run {run.name}:** {type(exc).__name__}: {exc}", *empty, *empty)
    return (f"Answers from run **{run.name}**.", *_side(answers["base"]), *_side(answers["finetuned"]))


def score_table(result: dict) -> list[list]:
    """Rows ``[metric, base, fine-tuned]`` from ``evaluate_run``'s result."""
    base, tuned = result["base"], result["finetuned"]

    def pct(value):
        return f"{value:.0%}"

    rows = [[f"{name} (of {base['n']} call rows)" if name != "false_call_rate" else name,
             pct(base[name]), pct(tuned[name])]
            for name in ("tool_call_rate", "name_accuracy", "exact_match", "false_call_rate")]
    for label, item in base["label_accuracy"].items():
        other = tuned["label_accuracy"].get(label, {"accuracy": 0.0})
        rows.append([f"{label} answered as {label} (n={item['n']})", pct(item["accuracy"]), pct(other["accuracy"])])
    return rows


def score_run(run_name: str | None, limit, progress=None) -> tuple[str, list[list]]:
    """Score base vs fine-tuned on the run's held-out rows: ``(message, table rows)``."""
    run = find_run(run_name, need_adapter=True)
    if run is None:
        return "**Pick a finished run** first.", []
    if limit is None or int(limit) != limit or limit < 1:
        return f"**Row limit must be a whole number of at least 1** (got {limit}).", []
    if not (run.data_dir / "eval.jsonl").is_file():
        return f"**{run.name} has no held-out rows** (data/eval.jsonl is missing; eval_fraction was 0?).", []
    from toolft.evaluate import evaluate_run

    try:
        with _CACHE_LOCK:  # reuse the cached weights; the lock also keeps compare() off them meanwhile
            result = evaluate_run(run.path, limit=int(limit), progress=progress, loaded=_loaded(run))
    except Exception as exc:  # noqa: BLE001 - shown, not raised
        return f"**Scoring failed:** {type(exc).__name__}: {exc}", []
    return f"Scored {result['base']['rows']} held-out rows of **{run.name}**.", score_table(result)


def build_playground_tab(demo, tab) -> None:
    """Lay out the Playground tab: run picker, tools and prompt, two answer columns, scoring.

    The run list refreshes on page load, when the tab is opened and on the refresh button.
    """
    import gradio as gr

    with gr.Row():
        run = gr.Dropdown(choices=[], label="Finished run", info="Runs with a trained adapter.", scale=4)
        refresh_btn = gr.Button("↻ Refresh runs", scale=1)
    with gr.Row():
        tools = gr.Code(default_tools_json(), language="json", label="Tools (JSON list of schemas)", lines=22,
                        max_lines=22, interactive=True)
        with gr.Column():
            system = gr.Textbox(DEFAULT_SYSTEM, label="System prompt", lines=1)
            message = gr.Textbox(label="User message", lines=3, placeholder=EXAMPLE_PROMPTS[0])
            gr.Examples([[p] for p in EXAMPLE_PROMPTS], inputs=[message], label="Example prompts")
            compare_btn = gr.Button("Compare", variant="primary")
    status = gr.Markdown()
    sides = []
    with gr.Row():
        for title in ("Base", "Fine-tuned"):
            with gr.Column():
                gr.Markdown(f"### {title}")
                sides += [gr.Markdown(), gr.Textbox(label="Raw output", lines=4, interactive=False),
                          gr.Code(language="json", label="Parsed calls", interactive=False)]
    with gr.Accordion("Score on held-out rows", open=False):
        with gr.Row():
            limit = gr.Number(20, label="Rows to score", precision=0, info="Each row is generated twice (base "
                              "and fine-tuned); on CPU expect a few seconds per row.")
            score_btn = gr.Button("Score")
        score_msg = gr.Markdown()
        table = gr.Dataframe(headers=SCORE_HEADERS, value=[], interactive=False)

    def refresh_runs(current):
        choices = finished_runs()
        names = [name for _, name in choices]
        return gr.update(choices=choices, value=current if current in names else (names[0] if names else None))

    def score_with_progress(run_name, rows, progress=gr.Progress()):
        return score_run(run_name, rows, progress=lambda i, n: progress((i, n), desc="scoring"))

    refresh_btn.click(refresh_runs, inputs=[run], outputs=[run])
    demo.load(refresh_runs, inputs=[run], outputs=[run])
    tab.select(refresh_runs, inputs=[run], outputs=[run])
    compare_btn.click(compare_answers, inputs=[run, tools, message, system], outputs=[status, *sides])
    score_btn.click(score_with_progress, inputs=[run, limit], outputs=[score_msg, table])
