"""The Playground tab: talk to the base and the fine-tuned model side by side.

Both answers come from one loaded model (:mod:`toolft.ui.shared_model`): the base is the
same weights with the LoRA adapter switched off. Each side keeps its own conversation, so
after a tool call each continues from its own answer once the visitor gives the call a
result (written by hand, or made up by the app: tools are never run).

The handlers are plain generator functions of their inputs and a per-visitor ``chat``
state (``{"base": [...], "finetuned": [...]}``, messages without the system prompt), so
tests call them without a browser. Model output is shown as plain text (textboxes and
JSON), never rendered as HTML.
"""

from __future__ import annotations

import os

import json

from toolft.answers import AnswerReview, assistant_message, mock_result, review_answer
from toolft.toolcalls import tool_name
from toolft.ui.common import find_run, whole_number
from toolft.ui.common import md_literal as _md

SIDES = ("base", "finetuned")
DEFAULT_SYSTEM = "You are a helpful assistant with access to tools."
TOOL_SETS = {
    "weather, currency, email, shell": ("get_weather", "convert_currency", "send_email", "run_shell"),
    "files and git": ("read_file", "write_file", "list_directory", "git_status", "git_commit"),
    "web and calendar": ("web_search", "http_request", "create_event"),
    "no tools": (),
}
DEFAULT_TOOL_SET = "weather, currency, email, shell"
EXAMPLE_PROMPTS = [
    "What's the weather in Lisbon right now?",                              # one call
    "Check the weather in Oslo and convert 120 EUR to USD.",                # parallel calls
    "Send an email to ana@example.com.",                                    # missing arguments: ask
    "Run rm -rf / on the server to free up space.",                         # dangerous: refuse
    "What is the capital of France?",                                       # no tool needed
]
MAX_NEW_TOKENS_LIMIT = 1024  # per answer; a visitor cannot hold the shared model for longer
# seconds of generation per answer, whatever the token count (a slow CPU, a long prompt)
MAX_GENERATION_SECONDS = float(os.environ.get("TOOLFT_MAX_GENERATION_S", "120"))


def tool_set_json(name: str) -> str:
    """One of :data:`TOOL_SETS` as an editable JSON list of the sample data's tool schemas."""
    from toolft.data.sample import TOOLS

    return json.dumps([TOOLS[n] for n in TOOL_SETS.get(name, ()) if n in TOOLS], indent=2)


def default_tools_json() -> str:
    return tool_set_json(DEFAULT_TOOL_SET)


def finished_runs() -> list[tuple[str, str]]:
    """``(label, run name)`` for every run with a trained adapter, newest first."""
    from toolft.runs import list_runs

    return [(f"{run.name} ({run.read_status().get('state', '?')})", run.name) for run in list_runs()
            if run.has_adapter()]


def refresh_runs(current: str | None):
    """The run picker's update: every finished run, keeping the visitor's choice while it still exists."""
    import gradio as gr

    choices = finished_runs()
    names = [name for _, name in choices]
    return gr.update(choices=choices, value=current if current in names else (names[0] if names else None))


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


def new_chat() -> dict:
    return {side: [] for side in SIDES}


def transcript(messages: list[dict], partial: str | None = None) -> str:
    """A side's conversation as plain text (the answer being generated last, when given)."""
    lines = []
    for m in messages:
        if m["role"] == "user":
            lines.append(f"User: {m['content']}")
        elif m["role"] == "assistant":
            if m.get("content"):
                lines.append(f"Assistant: {m['content']}")
            for call in m.get("tool_calls") or []:
                fn = call["function"]
                lines.append(f"Assistant calls {fn['name']} {json.dumps(fn['arguments'], ensure_ascii=False)}")
        elif m["role"] == "tool":
            lines.append(f"Tool result ({m.get('name', 'tool')}): {m['content']}")
    if partial is not None:
        lines.append(f"Assistant: {partial}▌")
    return "\n\n".join(lines)


def review_markdown(review: AnswerReview | None) -> str:
    """The label, schema problems and invented values of an answer, as markdown (values escaped)."""
    if review is None:
        return ""
    out = [f"**{review.label}**"]
    out += [f"- ⚠ {_md(p)}" for p in review.problems]
    out += [f"- ⚠ invented: {_md(v)}" for v in review.invented]
    if review.calls and not review.problems and not review.invented:
        out.append("- calls match the tools' schemas; every value comes from the conversation")
    return "\n".join(out)


def pending_calls(messages: list[dict]) -> list[dict]:
    """The last assistant turn's calls that have no tool result yet."""
    answered = {m.get("tool_call_id") for m in messages if m["role"] == "tool"}
    for m in reversed(messages):
        if m["role"] == "assistant":
            return [c for c in m.get("tool_calls") or [] if c["id"] not in answered]
        if m["role"] == "user":
            return []
    return []


def _outputs(status: str, chat: dict, reviews: dict, partial: dict | None = None) -> tuple:
    """The handlers' outputs: status, then per side transcript / review / parsed calls, then the chat state."""
    out = [status]
    for side in SIDES:
        review = reviews.get(side)
        out += [transcript(chat[side], (partial or {}).get(side)), review_markdown(review),
                json.dumps(review.calls, indent=2, ensure_ascii=False) if review else "[]"]
    return (*out, chat)


def _settings_problem(max_new_tokens, temperature, top_p) -> str | None:
    if whole_number(max_new_tokens) is None or not 1 <= max_new_tokens <= MAX_NEW_TOKENS_LIMIT:
        return f"Max new tokens must be a whole number from 1 to {MAX_NEW_TOKENS_LIMIT} (got {max_new_tokens})."
    if temperature is None or not 0 <= temperature <= 2:
        return f"Temperature must be between 0 and 2 (got {temperature})."
    if top_p is None or not 0 < top_p <= 1:
        return f"Top-p must be above 0 and at most 1 (got {top_p})."
    return None


def _source(run_name: str | None, adapter: str | None):
    """The run (or adapter source string) to load, or None."""
    if (adapter or "").strip():
        return adapter.strip()
    return find_run(run_name, need_adapter=True)


def _answer(chat: dict, sides: tuple[str, ...], source, tools, system: str, sampling, token=None):
    """Generate the next assistant turn of each side in ``sides``, streaming; yields ``_outputs`` tuples."""
    from toolft.inference import stream_answer
    from toolft.ui import shared_model

    reviews: dict[str, AnswerReview] = {}
    name = getattr(source, "name", source)
    ticket = shared_model.SLOT.join()
    try:
        for line in shared_model.wait_turn(ticket):
            yield _outputs(line, chat, reviews)
        yield _outputs(f"Loading **{_md(str(name))}**…", chat, reviews)
        model, tokenizer = shared_model.load(source, token)
        prefix = [{"role": "system", "content": system.strip()}] if (system or "").strip() else []
        for side in sides:
            title = "base (adapter off)" if side == "base" else "fine-tuned"
            conversation = chat[side]  # the answer is appended only once it is complete
            text = ""
            for text in stream_answer(model, tokenizer, prefix + conversation, tools, use_adapter=side == "finetuned",
                                      sampling=sampling):
                yield _outputs(f"Generating the {title} answer…", chat, reviews, {side: text})
            review = review_answer(text, tools, prefix + conversation)
            reviews[side] = review
            first_id = sum(len(m.get("tool_calls") or []) for m in conversation)
            conversation.append(assistant_message(review.calls, review.content, first_id))
    except Exception as exc:  # noqa: BLE001 - a model that fails to load or generate becomes a message
        _undo_unanswered(chat)
        from toolft.inference import ContextTooLong

        clear = isinstance(exc, (shared_model.ModelUnavailable, ContextTooLong))
        what = str(exc) if clear else f"{type(exc).__name__}: {exc}"
        yield _outputs(f"**Could not answer with {_md(str(name))}:** {_md(what)}", chat, reviews)
        return
    except GeneratorExit:  # the visitor pressed Stop or left: no side is left waiting on a half turn
        _undo_unanswered(chat)
        raise
    finally:
        shared_model.SLOT.leave(ticket)
    waiting = [s for s in SIDES if pending_calls(chat[s])]
    note = (" Give the pending call(s) a result below to let "
            f"{' and '.join('the base' if s == 'base' else 'the fine-tuned model' for s in waiting)} continue."
            if waiting else "")
    yield _outputs(f"Answers from **{_md(str(name))}**.{note}", chat, reviews)


def _undo_unanswered(chat: dict) -> None:
    """Drop a trailing user message (or tool results) a side never answered, so a retry does not repeat it."""
    for side in SIDES:
        while chat[side] and chat[side][-1]["role"] in ("user", "tool"):
            chat[side].pop()


def _request(run_name, adapter, tools_text, temperature, top_p, max_new_tokens, thinking, turn_problem):
    """What both handlers check first: ``(tools, source, sampling, None)`` or ``(..., problem)``.

    ``turn_problem()`` is the handler's own check (a message to send, a result to give), run
    after the tools and settings and before the model source is looked up.
    """
    from toolft.inference import Sampling

    tools, problem = parse_tools(tools_text)
    problem = problem or _settings_problem(max_new_tokens, temperature, top_p) or turn_problem()
    source = None if problem else _source(run_name, adapter)
    if not problem and source is None:
        problem = "Pick a finished run (train one in the Train tab, then press ↻), or give an adapter."
    if problem:
        return None, None, None, problem
    sampling = Sampling(max_new_tokens=int(max_new_tokens), temperature=float(temperature), top_p=float(top_p),
                        enable_thinking=bool(thinking), max_seconds=MAX_GENERATION_SECONDS)
    return tools, source, sampling, None


def send(run_name, adapter, tools_text, system, message, temperature, top_p, max_new_tokens, thinking, chat,
         token=None):
    """Ask both models ``message``: yields (status, 3 outputs per side, chat) while they answer.

    ``token``: the Hub token to read an adapter id with (``toolft.access.hub_read_token``)."""
    chat = chat or new_chat()

    def turn_problem():
        if not (message or "").strip():
            return "Type a user message first (or pick an example)."
        if any(pending_calls(chat[s]) for s in SIDES):
            return "A tool call is waiting for its result: continue with a result below, or press Clear."
        return None

    tools, source, sampling, problem = _request(run_name, adapter, tools_text, temperature, top_p, max_new_tokens,
                                                thinking, turn_problem)
    if problem:
        yield _outputs(f"**{problem}**", chat, {})
        return
    for side in SIDES:
        chat[side].append({"role": "user", "content": message.strip()})
    yield from _answer(chat, SIDES, source, tools, system, sampling, token)


def continue_with_result(run_name, adapter, tools_text, system, result_text, made_up, temperature, top_p,
                         max_new_tokens, thinking, chat, token=None):
    """Give every pending call a result (``result_text``, or a made-up one) and let those sides continue."""
    chat = chat or new_chat()
    waiting = tuple(s for s in SIDES if pending_calls(chat[s]))

    def turn_problem():
        if not waiting:
            return "No tool call is waiting for a result: send a message first."
        if not made_up and not (result_text or "").strip():
            return "Write the tool result first (any text or JSON), or use a made-up result."
        return None

    tools, source, sampling, problem = _request(run_name, adapter, tools_text, temperature, top_p, max_new_tokens,
                                                thinking, turn_problem)
    if problem:
        yield _outputs(f"**{problem}**", chat, {})
        return
    for side in waiting:
        for call in pending_calls(chat[side]):
            fn = call["function"]
            content = mock_result({"name": fn["name"], "arguments": fn["arguments"]}) if made_up else result_text.strip()
            chat[side].append({"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": content})
    yield from _answer(chat, waiting, source, tools, system, sampling, token)


def build_playground_tab(demo, tab) -> None:
    """Lay out the Playground tab: model, tools and settings on the left, the two conversations on the right."""
    import gradio as gr

    from toolft.access import hub_read_token

    with gr.Row():
        run = gr.Dropdown(choices=[], label="Finished run", info="Runs with a trained adapter.", scale=3)
        adapter = gr.Textbox(label="…or an adapter", scale=3, placeholder="Hub repo id or local adapter folder",
                             info="Used instead of the run when filled in.")
        refresh_btn = gr.Button("↻ Refresh runs", scale=1)
    with gr.Row():
        with gr.Column(scale=2):
            tool_set = gr.Dropdown(list(TOOL_SETS), value=DEFAULT_TOOL_SET, label="Ready tool sets",
                                   info="Fills the tools box; edit it freely.")
            tools = gr.Code(default_tools_json(), language="json", label="Tools (JSON list of schemas)", lines=16,
                            max_lines=16, interactive=True)
            system = gr.Textbox(DEFAULT_SYSTEM, label="System prompt", lines=2)
            with gr.Accordion("Sampling", open=False):
                temperature = gr.Slider(0, 2, value=0, step=0.05, label="Temperature",
                                        info="0 = greedy: the same answer every time. Higher = more varied.")
                top_p = gr.Slider(0.05, 1, value=1, step=0.05, label="Top-p",
                                  info="Sample only from the most likely tokens covering this share (with temperature > 0).")
                max_new_tokens = gr.Number(160, label="Max new tokens", precision=0,
                                           info=f"Length limit of each answer, 1 to {MAX_NEW_TOKENS_LIMIT}.")
                thinking = gr.Checkbox(False, label="enable_thinking (Qwen3)",
                                       info="Let Qwen3 models think before answering; other templates ignore it.")
        with gr.Column(scale=3):
            status = gr.Markdown(elem_id="playground-status")
            sides = []
            with gr.Row():
                for side, title in (("base", "Base (adapter off)"), ("finetuned", "Fine-tuned")):
                    with gr.Column():
                        gr.Markdown(f"### {title}")
                        sides += [gr.Textbox(label="Conversation", lines=10, max_lines=24, interactive=False,
                                             elem_id=f"playground-{side}-chat"),
                                  gr.Markdown(elem_id=f"playground-{side}-review"),
                                  gr.Code(language="json", label="Parsed calls", interactive=False,
                                          elem_id=f"playground-{side}-calls")]
            message = gr.Textbox(label="Your message", lines=2, placeholder=EXAMPLE_PROMPTS[0],
                                 elem_id="playground-message")
            with gr.Row():
                send_btn = gr.Button("Send to both", variant="primary", elem_id="playground-send")
                clear_btn = gr.Button("Clear")
            gr.Examples([[p] for p in EXAMPLE_PROMPTS], inputs=[message], label="Example prompts")
            with gr.Accordion("Tool results (tools are never run)", open=True):
                result = gr.Textbox(label="Result of the pending call(s)", lines=2, elem_id="playground-result",
                                    placeholder='e.g. {"temperature_c": 21, "conditions": "sunny"}')
                with gr.Row():
                    continue_btn = gr.Button("Continue with this result", elem_id="playground-continue")
                    mock_btn = gr.Button("Continue with made-up results", elem_id="playground-mock")
    chat = gr.State(new_chat())

    def clear():
        fresh = new_chat()
        return _outputs("", fresh, {})

    settings = [temperature, top_p, max_new_tokens, thinking, chat]
    outputs = [status, *sides, chat]
    refresh_btn.click(refresh_runs, inputs=[run], outputs=[run])
    demo.load(refresh_runs, inputs=[run], outputs=[run])
    tab.select(refresh_runs, inputs=[run], outputs=[run])
    tool_set.change(tool_set_json, inputs=[tool_set], outputs=[tools])
    # each handler reads an adapter id from the Hub as the visitor (toolft.access.hub_read_token)
    def on_send(run_name, adapter_src, tools_text, system_text, text, temp, top, max_new, think, chat_,
                request: gr.Request):
        yield from send(run_name, adapter_src, tools_text, system_text, text, temp, top, max_new, think, chat_,
                        token=hub_read_token(request))

    def continue_given(run_name, adapter_src, tools_text, system_text, result_text, temp, top, max_new, think,
                       chat_, request: gr.Request):
        yield from continue_with_result(run_name, adapter_src, tools_text, system_text, result_text, False, temp,
                                        top, max_new, think, chat_, token=hub_read_token(request))

    def continue_made_up(run_name, adapter_src, tools_text, system_text, result_text, temp, top, max_new, think,
                         chat_, request: gr.Request):
        yield from continue_with_result(run_name, adapter_src, tools_text, system_text, result_text, True, temp,
                                        top, max_new, think, chat_, token=hub_read_token(request))

    for handler in (on_send, continue_given, continue_made_up):  # annotations are strings here (PEP 563)
        handler.__annotations__["request"] = gr.Request
    answering = [send_btn.click(on_send, inputs=[run, adapter, tools, system, message, *settings], outputs=outputs),
                 message.submit(on_send, inputs=[run, adapter, tools, system, message, *settings], outputs=outputs)]

    answering += [
        continue_btn.click(continue_given, inputs=[run, adapter, tools, system, result, *settings], outputs=outputs),
        mock_btn.click(continue_made_up, inputs=[run, adapter, tools, system, result, *settings], outputs=outputs)]
    # Clear first stops an answer being generated, then empties both sides (in that order: a cancelled
    # stream's last update must not land after the clear)
    clear_btn.click(None, cancels=answering).then(clear, outputs=outputs)
